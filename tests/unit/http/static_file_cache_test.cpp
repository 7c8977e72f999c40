#include "http/static_file_cache.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace pulseboard::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class StaticFileCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("pulseboard-cache-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Written with a modification time in the past, as a deployed build's files are.
  fs::path write(const std::string& name, const std::string& bytes, std::chrono::seconds age) {
    auto p = dir_ / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
    fs::last_write_time(p, fs::file_time_type::clock::now() - age);
    return p;
  }

  fs::path dir_;
  // Kept as soon as read: the file times set below are in the past, but the status-change time
  // a test cannot set is now.
  StaticFileCache cache_{std::chrono::nanoseconds(0)};
};

TEST_F(StaticFileCacheTest, ReadsAndHashesAFileOnce) {
  auto p = write("app.js", "console.log(1)", 1h);
  auto first = cache_.get(p);
  auto second = cache_.get(p);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->body, "console.log(1)");
  EXPECT_EQ(second->etag, etag_of("console.log(1)"));
  EXPECT_EQ(cache_.reads(), 1u);
}

TEST_F(StaticFileCacheTest, ReadsAgainWhenTheFileChanges) {
  auto p = write("index.html", "version-1", 1h);
  EXPECT_EQ(cache_.get(p)->body, "version-1");
  write("index.html", "version-2", 30min);  // same size, a new modification time
  auto now = cache_.get(p);
  EXPECT_EQ(now->body, "version-2");
  EXPECT_EQ(now->etag, etag_of("version-2"));
  EXPECT_EQ(cache_.reads(), 2u);
}

TEST_F(StaticFileCacheTest, DoesNotKeepAFileChangedJustNow) {
  // A rewrite within the file system's timestamp tick would look unchanged, so a fresh file is
  // read every time until it has settled.
  StaticFileCache cache;                      // the default settling time
  auto p = write("index.html", "fresh", 1h);  // an old modification time, changed just now
  cache.get(p);
  cache.get(p);
  EXPECT_EQ(cache.reads(), 2u);
  EXPECT_EQ(cache.files(), 0u);
}

TEST_F(StaticFileCacheTest, AMissingFileIsNull) {
  EXPECT_EQ(cache_.get(dir_ / "nope.js"), nullptr);
  EXPECT_EQ(cache_.get(dir_), nullptr);  // a directory is not a file
}

TEST_F(StaticFileCacheTest, StaysWithinItsBounds) {
  for (std::size_t i = 0; i < StaticFileCache::kMaxFiles + 10; ++i)
    cache_.get(write("f" + std::to_string(i), "x", 1h));
  EXPECT_EQ(cache_.files(), StaticFileCache::kMaxFiles);
  auto big = write("big.bin", std::string(StaticFileCache::kMaxFileBytes + 1, 'b'), 1h);
  EXPECT_EQ(cache_.get(big)->body.size(), StaticFileCache::kMaxFileBytes + 1);
  EXPECT_LE(cache_.bytes(), StaticFileCache::kMaxBytes);
  EXPECT_EQ(cache_.files(), StaticFileCache::kMaxFiles);  // served, never kept
}

TEST_F(StaticFileCacheTest, EvictsTheLeastRecentlyUsed) {
  auto keep = write("keep", "k", 1h);
  cache_.get(keep);
  for (std::size_t i = 0; i < StaticFileCache::kMaxFiles; ++i) {
    cache_.get(write("f" + std::to_string(i), "x", 1h));
    cache_.get(keep);  // used all along
  }
  auto reads = cache_.reads();
  cache_.get(keep);
  EXPECT_EQ(cache_.reads(), reads);
}

}  // namespace
}  // namespace pulseboard::http
