#pragma once
// Drives an io_context until a condition holds or a deadline passes (tests never sleep).
#include <boost/asio/io_context.hpp>
#include <chrono>

namespace pulseboard::testing {

template <class Pred>
bool run_until(boost::asio::io_context& io, Pred pred,
               std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace pulseboard::testing
