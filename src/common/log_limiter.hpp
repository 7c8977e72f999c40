#pragma once
// Rate limit for log lines that a remote party can cause (a refused CONNECT, a client cut at a
// bound): one hostile client must not be able to write the disk full or bury the lines an
// operator needs at 3 a.m. At most `per_second` lines pass each second; the first line of a
// later second says how many were left out in between.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace pulseboard {

class LogLimiter {
 public:
  explicit LogLimiter(unsigned per_second) : per_second_(per_second) {}

  // Empty: leave the line out. Otherwise log it, mentioning the returned count of lines left
  // out since the last one that passed (when it is not 0).
  std::optional<std::uint64_t> admit(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    std::lock_guard lock(mutex_);
    if (now - window_start_ >= std::chrono::seconds(1)) {
      window_start_ = now;
      in_window_ = 0;
    }
    if (in_window_ >= per_second_) {
      ++suppressed_;
      return std::nullopt;
    }
    ++in_window_;
    const std::uint64_t left_out = suppressed_;
    suppressed_ = 0;
    return left_out;
  }

 private:
  std::mutex mutex_;
  unsigned per_second_;
  unsigned in_window_ = 0;
  std::uint64_t suppressed_ = 0;
  std::chrono::steady_clock::time_point window_start_{};
};

}  // namespace pulseboard
