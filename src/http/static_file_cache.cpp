#include "http/static_file_cache.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <sstream>

namespace pulseboard::http {
namespace fs = std::filesystem;
namespace {

std::int64_t nanoseconds(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

std::shared_ptr<StaticFile> read_whole(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream ss;
  ss << in.rdbuf();
  auto file = std::make_shared<StaticFile>();
  file->body = std::move(ss).str();
  file->etag = etag_of(file->body);
  return file;
}

}  // namespace

// A strong validator from the bytes, not the mtime: every gateway behind a load balancer serves
// its own copy of web/dist, and a copy made at another time must still answer 304.
std::string etag_of(std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), md.data(), &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned int i = 0; i < 16 && i < len; ++i) {
    tag += kHex[md[i] >> 4];
    tag += kHex[md[i] & 0xf];
  }
  tag += '"';
  return tag;
}

bool StaticFileCache::version_of(const fs::path& file, Version& out) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  out = {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
         static_cast<std::uint64_t>(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)};
  return true;
}

std::shared_ptr<const StaticFile> StaticFileCache::get(const fs::path& file) {
  Version before;
  if (!version_of(file, before)) return nullptr;
  const std::string key = file.string();
  if (auto hit = find(key, before)) return hit;
  auto fresh = read_whole(file);
  if (!fresh) return nullptr;
  {
    std::lock_guard lock(mutex_);
    ++reads_;
  }
  // Kept only when the file did not change while it was read (otherwise the bytes may be half
  // of one version and half of the next) and its times are older than their resolution: the
  // kernel stamps files with a coarse clock, so a rewrite of the same size within the same tick
  // would look unchanged. Until then every request reads it again.
  Version after;
  if (version_of(file, after) && after == before && fresh->body.size() == before.size &&
      fresh->body.size() <= kMaxFileBytes && settled(before))
    keep(key, before, fresh);
  return fresh;
}

// The status-change time counts, not only the modification time: a copy that sets an old
// modification time (cp -p, rsync -t) has just changed all the same.
bool StaticFileCache::settled(const Version& version) const {
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return now - std::max(version.modified_ns, version.changed_ns) >= settle_ns_;
}

std::shared_ptr<const StaticFile> StaticFileCache::find(const std::string& key,
                                                        const Version& version) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !(it->second.version == version)) return nullptr;
  recency_.splice(recency_.begin(), recency_, it->second.recency);
  return it->second.file;
}

void StaticFileCache::keep(const std::string& key, const Version& version,
                           std::shared_ptr<const StaticFile> file) {
  std::lock_guard lock(mutex_);
  if (auto old = entries_.find(key); old != entries_.end()) {
    bytes_ -= old->second.file->body.size();
    recency_.erase(old->second.recency);
    entries_.erase(old);
  }
  bytes_ += file->body.size();
  recency_.push_front(key);
  entries_.emplace(key, Entry{version, std::move(file), recency_.begin()});
  while (entries_.size() > kMaxFiles || bytes_ > kMaxBytes) evict_one();
}

void StaticFileCache::evict_one() {
  const std::string& oldest = recency_.back();
  auto it = entries_.find(oldest);
  bytes_ -= it->second.file->body.size();
  entries_.erase(it);
  recency_.pop_back();
}

std::size_t StaticFileCache::files() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}
std::size_t StaticFileCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}
std::uint64_t StaticFileCache::reads() const {
  std::lock_guard lock(mutex_);
  return reads_;
}

}  // namespace pulseboard::http
