#include "changes/resume_token_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pulseboard::changes {

std::variant<std::string, ResumeTokenFile::Missing, ResumeTokenFile::Error> ResumeTokenFile::load()
    const {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return Missing{};
  std::ifstream in(path_);
  if (!in) return Error{"cannot read " + path_.string()};
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code jec;
  auto v = boost::json::parse(text.str(), jec);
  if (jec || !v.is_object() || v.as_object().empty())
    return Error{path_.string() +
                 " does not hold a resume token (a JSON object); refusing to "
                 "guess a position"};
  return boost::json::serialize(v);
}

std::optional<ResumeTokenFile::Error> ResumeTokenFile::save(std::string_view token_json) const {
  auto fail = [&](const char* what) {
    return Error{std::string(what) + " " + path_.string() + ": " + std::strerror(errno)};
  };
  std::error_code ec;
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
  const std::string tmp = path_.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create");
  std::string_view rest = token_json;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail("cannot write");
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("cannot fsync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return fail("cannot rename onto");
  // Make the rename itself durable.
  int dir = ::open(path_.has_parent_path() ? path_.parent_path().c_str() : ".",
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return std::nullopt;
}

}  // namespace pulseboard::changes
