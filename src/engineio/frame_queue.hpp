#pragma once
// A session's outbound frames, first in first out. A vector with a moving head rather than a
// std::deque: libstdc++'s deque allocates about 600 bytes as soon as it exists, and a gateway
// holds one queue per connection, nearly all of them empty between broadcasts.
#include <cstddef>
#include <span>
#include <vector>

#include "engineio/frame.hpp"

namespace pulseboard::eio {

class FrameQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  // Slots allocated, the live frames included: what the queue costs in memory.
  std::size_t capacity() const { return items_.capacity(); }
  const Frame& front() const { return items_[head_]; }
  const Frame& operator[](std::size_t i) const { return items_[head_ + i]; }
  // The live frames, oldest first, until the queue next changes.
  std::span<const Frame> pending() const { return {items_.data() + head_, size()}; }

  void push_back(Frame frame) { items_.push_back(std::move(frame)); }
  void push_front(Frame frame) {
    if (head_ > 0)
      items_[--head_] = std::move(frame);
    else
      items_.insert(items_.begin(), std::move(frame));
  }
  void pop_front() {
    items_[head_++] = Frame{};  // drop the reference to a shared broadcast buffer now
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      // A queue that never drains (a slow reader) would otherwise grow at the back forever.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    items_.clear();
    head_ = 0;
    // Keep a few slots for the next broadcast, but give a burst's memory back.
    if (items_.capacity() > kKeptCapacity) std::vector<Frame>().swap(items_);
  }

 private:
  static constexpr std::size_t kCompactAfter = 64;
  static constexpr std::size_t kKeptCapacity = 8;
  std::vector<Frame> items_;
  std::size_t head_ = 0;
};

}  // namespace pulseboard::eio
