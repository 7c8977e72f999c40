#include "websocket/deflate_stream.hpp"

#include <climits>

namespace pulseboard::websocket {
const std::string* follow_stream(const SharedPayload& payload, StreamFollower& follower) {
  const StreamForm* form = payload.stream_form();
  if (form == nullptr) return nullptr;
  if (follower.stream == form->stream && follower.next == form->seq) {
    ++follower.next;
    return &form->bytes;
  }
  if (form->fresh) {
    follower = {form->stream, form->seq + 1};
    return &form->bytes;
  }
  follower = {};
  form->reset_wanted->store(true, std::memory_order_relaxed);
  return nullptr;
}

DeflateChoice choose_deflate(const SharedPayload& payload, StreamFollower* follower,
                             const DeflateSettings& settings) {
  DeflateChoice choice{.bytes = &payload};
  if (follower) {
    if (const std::string* z = follow_stream(payload, *follower)) {
      choice = {.bytes = z, .compressed = true, .in_stream = true};
      return choice;
    }
  }
  if (payload.size() < settings.min_size) return choice;
  if (const std::string* z = payload.deflated(settings.level, choice.made_now)) {
    if (follower) *follower = {};
    choice.bytes = z;
    choice.compressed = true;
  }
  return choice;
}

// One room's deflater, its context kept from one message to the next.
class DeflateStreams::Stream {
 public:
  Stream(std::string key, std::uint64_t id, int level)
      : key_(std::move(key)), id_(id), level_(level) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const std::string& key() const { return key_; }
  std::chrono::steady_clock::time_point last_used() const { return last_used_; }
  void use(std::chrono::steady_clock::time_point now) { last_used_ = now; }

  void compress(const SharedPayload& payload, std::chrono::steady_clock::time_point now,
                DeflateStreamCounters& counters) {
    if (payload.stream_form() != nullptr || payload.size() < kStreamMinBytes ||
        payload.size() > UINT_MAX / 2)
      return;
    bool fresh = seq_ == 0 || broken_;
    if (!fresh && reset_wanted_->load(std::memory_order_relaxed) &&
        now - last_reset_ >= kStreamResetInterval) {
      fresh = true;
      counters.resets.fetch_add(1, std::memory_order_relaxed);
    }
    if (fresh) {
      broken_ = !deflater_.start(level_);
      if (broken_) return;
      last_reset_ = now;
      reset_wanted_->store(false, std::memory_order_relaxed);
    }
    auto form = std::make_unique<StreamForm>();
    if (!deflater_.compress(payload, form->bytes)) {
      broken_ = true;  // the deflater's state is unknown: the next message starts afresh
      return;
    }
    form->stream = id_;
    form->seq = ++seq_;
    form->fresh = fresh;
    form->reset_wanted = reset_wanted_;
    payload.attach_stream_form(std::move(form));
    counters.messages.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  std::string key_;
  std::uint64_t id_;
  int level_;
  Deflater deflater_;
  bool broken_ = false;
  std::uint64_t seq_ = 0;
  std::chrono::steady_clock::time_point last_reset_{};
  std::chrono::steady_clock::time_point last_used_{};
  std::shared_ptr<std::atomic<bool>> reset_wanted_ = std::make_shared<std::atomic<bool>>(false);
};

DeflateStreams::DeflateStreams(int level, DeflateStreamCounters& counters, std::size_t max_streams)
    : level_(level), counters_(counters), max_streams_(max_streams == 0 ? 1 : max_streams) {}

DeflateStreams::~DeflateStreams() {
  counters_.live.fetch_sub(static_cast<std::int64_t>(by_use_.size()), std::memory_order_relaxed);
}

void DeflateStreams::compress_at(const std::string& key,
                                 std::span<const SharedPayload* const> payloads,
                                 std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  compress_locked(key, payloads, now);
}

void DeflateStreams::compress_locked(const std::string& key,
                                     std::span<const SharedPayload* const> payloads,
                                     std::chrono::steady_clock::time_point now) {
  Stream* stream = stream_for(key, now);
  if (stream == nullptr) {
    counters_.refused.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  stream->use(now);
  for (const SharedPayload* payload : payloads) stream->compress(*payload, now, counters_);
}

DeflateStreams::Stream* DeflateStreams::stream_for(const std::string& key,
                                                   std::chrono::steady_clock::time_point now) {
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    by_use_.splice(by_use_.begin(), by_use_, it->second);
    return by_use_.front().get();
  }
  if (by_use_.size() >= max_streams_) {
    if (now - by_use_.back()->last_used() < kStreamIdleBeforeEviction) return nullptr;
    by_key_.erase(by_use_.back()->key());
    by_use_.pop_back();
    counters_.evictions.fetch_add(1, std::memory_order_relaxed);
    counters_.live.fetch_sub(1, std::memory_order_relaxed);
  }
  by_use_.push_front(std::make_unique<Stream>(key, next_id_++, level_));
  by_key_.emplace(key, by_use_.begin());
  counters_.live.fetch_add(1, std::memory_order_relaxed);
  return by_use_.front().get();
}

}  // namespace pulseboard::websocket
