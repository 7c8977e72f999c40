#pragma once
// Where the MongoDB source keeps its durable position: the last acknowledged resume token (the
// change event's `_id` document, as JSON) in one small file under the worker's state directory.
// Saved atomically (write, fsync, rename), so a crash leaves the old token or the new one.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace pulseboard::changes {

class ResumeTokenFile {
 public:
  struct Missing {};  // no token yet: start from the current end of the stream
  struct Error {
    std::string message;
  };

  explicit ResumeTokenFile(std::filesystem::path path) : path_(std::move(path)) {}

  // The stored token JSON; a file that is not a JSON object is an Error, never "missing".
  std::variant<std::string, Missing, Error> load() const;
  std::optional<Error> save(std::string_view token_json) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace pulseboard::changes
