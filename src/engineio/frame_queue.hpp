#pragma once
// A session's outbound frames, first in first out. A vector with a moving head rather than a
// std::deque: libstdc++'s deque allocates about 600 bytes as soon as it exists, and a gateway
// holds one queue per connection, nearly all of them empty between broadcasts.
//
// Latest value wins: a frame with a conflation key (websocket::Message) replaces the queued frame
// with the same key, in its place, instead of growing the queue. Every frame in the queue is
// still unwritten: the transport takes frames out of it before it writes them (a frame cut short
// by a full socket lives on as the transport's own copy), so a replaced frame was never sent.
#include <cstddef>
#include <cstdint>
#include <optional>
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
  // Where the next push_back() writes (past the end while no slot is allocated): to prefetch.
  const void* next_slot() const { return items_.data() + items_.size(); }
  // The live frames, oldest first, until the queue next changes.
  std::span<const Frame> pending() const { return {items_.data() + head_, size()}; }

  void push_back(Frame frame) {
    if (frame.conflation_key != 0) remember(frame.conflation_key, first_seq_ + size());
    items_.push_back(std::move(frame));
  }
  void push_front(Frame frame) {
    --first_seq_;
    if (head_ > 0)
      items_[--head_] = std::move(frame);
    else
      items_.insert(items_.begin(), std::move(frame));
  }
  // A keyed frame takes the place of the queued one with its key: returns the size in bytes of
  // the frame it replaced. Nothing (and the queue unchanged) when it has no key or none waits.
  std::optional<std::size_t> replace(const Frame& frame) {
    if (frame.conflation_key == 0) return std::nullopt;
    for (const Keyed& k : keyed_) {
      if (k.key != frame.conflation_key || !live(k.seq)) continue;
      Frame& queued = items_[head_ + static_cast<std::size_t>(k.seq - first_seq_)];
      if (queued.conflation_key != k.key) return std::nullopt;  // cannot happen; stay safe
      const std::size_t old_bytes = queued.data->size();
      queued = frame;
      return old_bytes;
    }
    return std::nullopt;
  }
  void pop_front() {
    items_[head_++] = Frame{};  // drop the reference to a shared broadcast buffer now
    ++first_seq_;
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      // A queue that never drains (a slow reader) would otherwise grow at the back forever.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    first_seq_ += static_cast<std::int64_t>(size());
    items_.clear();
    head_ = 0;
    // Keep a few slots for the next broadcast, but give a burst's memory back.
    if (items_.capacity() > kKeptCapacity) std::vector<Frame>().swap(items_);
    std::vector<Keyed>().swap(keyed_);
  }
  // Conflation keys remembered: at most one per keyed frame in the queue.
  std::size_t keys_tracked() const { return keyed_.size(); }

 private:
  // Where the latest frame of a key sits, as a position in the order frames entered the queue
  // (stable while the head moves); a position behind the head was written.
  struct Keyed {
    std::uint32_t key;
    std::int64_t seq;
  };
  bool live(std::int64_t seq) const {
    return seq >= first_seq_ && seq < first_seq_ + static_cast<std::int64_t>(size());
  }
  // One entry per key; an entry whose frame was written is reused, so the list never outgrows
  // the keyed frames waiting (a handful: one per latest-value event of the socket's rooms).
  void remember(std::uint32_t key, std::int64_t seq) {
    Keyed* free_slot = nullptr;
    for (Keyed& k : keyed_) {
      if (k.key == key) {
        k.seq = seq;
        return;
      }
      if (!free_slot && !live(k.seq)) free_slot = &k;
    }
    if (free_slot)
      *free_slot = {key, seq};
    else
      keyed_.push_back({key, seq});
  }

  static constexpr std::size_t kCompactAfter = 64;
  static constexpr std::size_t kKeptCapacity = 8;
  std::vector<Frame> items_;
  std::size_t head_ = 0;
  std::int64_t first_seq_ = 0;  // the position of items_[head_]
  std::vector<Keyed> keyed_;
};

}  // namespace pulseboard::eio
