#pragma once
// Log lines a remote party causes (a refused CONNECT, a client cut at a bound) go through a
// budget (log_limiter.hpp) shared by the whole process; what it leaves out is counted. Layers
// that log such lines get this interface instead of the process that owns the budget.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <string>
#include <utility>

namespace pulseboard {

class RefusalLog {
 public:
  template <typename... Args>
  void log(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args) {
    std::uint64_t left_out = 0;
    if (!may_log(left_out)) return;  // formatted only when it is written
    std::string line = fmt::format(format, std::forward<Args>(args)...);
    if (left_out)
      spdlog::log(level, "{} ({} similar lines left out)", line, left_out);
    else
      spdlog::log(level, "{}", line);
  }

 protected:
  ~RefusalLog() = default;
  // True when a line may be written now (counting it when it may not); `left_out`: how many were
  // left out before this one.
  virtual bool may_log(std::uint64_t& left_out) = 0;
};

}  // namespace pulseboard
