#include "worker/change_source.hpp"

namespace pulseboard::worker {

std::optional<std::string> sqlite_path_from_url(std::string_view url) {
  constexpr std::string_view scheme = "sqlite:";
  if (!url.starts_with(scheme)) return std::nullopt;
  url.remove_prefix(scheme.size());
  // sqlite:///abs/path keeps the third slash as the root; sqlite://rel is treated as relative.
  if (url.starts_with("//")) url.remove_prefix(2);
  if (url.empty()) return std::nullopt;
  return std::string(url);
}

std::unique_ptr<ChangeSource> open_change_source(std::string_view url, const SourceOptions& options,
                                                 std::string* error) {
  if (auto path = sqlite_path_from_url(url)) return make_sqlite_source(*path, options);
  if (url.starts_with("postgresql://") || url.starts_with("postgres://"))
    return make_postgres_source(std::string(url), options);
  if (url.starts_with("mongodb://") || url.starts_with("mongodb+srv://"))
    return make_mongo_source(std::string(url), options);
  if (error)
    *error = "unsupported database URL (expected sqlite:, postgresql://, or mongodb://): " +
             std::string(url.substr(0, url.find(':')));
  return nullptr;
}

}  // namespace pulseboard::worker
