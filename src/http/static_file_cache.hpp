#pragma once
// The dashboard's files as served: bytes and ETag, read and hashed once and kept until the file
// changes (another inode, size, modification or status-change time), so a request costs a
// stat() rather than a read and a SHA-256 of the whole file. A file changed in the last two
// seconds is read on every request until it settles (see settled()). Bounded: at most kMaxFiles
// files and kMaxBytes bytes are kept, the least recently used leaving first; a file over
// kMaxFileBytes is served from disk each time and never kept. Thread-safe.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace pulseboard::http {

struct StaticFile {
  std::string body;
  std::string etag;  // a strong validator from the bytes (see etag_of)
};

class StaticFileCache {
 public:
  static constexpr std::size_t kMaxFiles = 512;
  static constexpr std::size_t kMaxBytes = 64 * 1024 * 1024;
  static constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

  // `settle`: how long after its last change a file is first kept (see settled()).
  explicit StaticFileCache(std::chrono::nanoseconds settle = std::chrono::seconds(2))
      : settle_ns_(settle.count()) {}

  // The file's current bytes and ETag; null when it cannot be read.
  std::shared_ptr<const StaticFile> get(const std::filesystem::path& file);

  std::size_t files() const;
  std::size_t bytes() const;
  std::uint64_t reads() const;  // files read from disk (misses), for tests

 private:
  // What identifies one version of a file without reading it.
  struct Version {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t modified_ns = 0, changed_ns = 0;
    bool operator==(const Version&) const = default;
  };
  struct Entry {
    Version version;
    std::shared_ptr<const StaticFile> file;
    std::list<std::string>::iterator recency;
  };
  static bool version_of(const std::filesystem::path& file, Version& out);
  // True when the file's times are far enough in the past to tell any later change apart.
  bool settled(const Version& version) const;
  std::shared_ptr<const StaticFile> find(const std::string& key, const Version& version);
  void keep(const std::string& key, const Version& version, std::shared_ptr<const StaticFile> f);
  void evict_one();

  const std::int64_t settle_ns_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // most recently used first
  std::size_t bytes_ = 0;
  std::uint64_t reads_ = 0;
};

// The strong ETag of `body`: the first 128 bits of its SHA-256, quoted.
std::string etag_of(std::string_view body);

}  // namespace pulseboard::http
