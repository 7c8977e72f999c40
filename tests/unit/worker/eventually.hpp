#pragma once
// Polls a condition a worker thread will make true, so tests wait for an outcome, not a time.
#include <chrono>
#include <thread>

namespace pulseboard::testing {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

}  // namespace pulseboard::testing
