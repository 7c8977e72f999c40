#include "websocket/deflate_stream.hpp"

#include <zlib.h>

#include <climits>
#include <cstring>

namespace pulseboard::websocket {
namespace {

// The empty stored block a sync flush ends with, which the wire form leaves out (§7.2.1).
constexpr char kFlushTail[4] = {0, 0, '\xff', '\xff'};

}  // namespace

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
  ~Stream() {
    if (ready_) deflateEnd(&z_);
  }
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
    bool fresh = !ready_ || broken_;
    if (!fresh && reset_wanted_->load(std::memory_order_relaxed) &&
        now - last_reset_ >= kStreamResetInterval) {
      fresh = true;
      counters.resets.fetch_add(1, std::memory_order_relaxed);
    }
    if (fresh) {
      if (!restart()) return;
      last_reset_ = now;
      reset_wanted_->store(false, std::memory_order_relaxed);
    }
    auto form = std::make_unique<StreamForm>();
    if (!deflate_into(payload, form->bytes)) {
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
  bool restart() {
    if (ready_) {
      broken_ = deflateReset(&z_) != Z_OK;
      return !broken_;
    }
    ready_ = deflateInit2(&z_, level_, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    return ready_;
  }

  // Deflates `in` with a sync flush, keeping the context, into `out` without the flush tail.
  bool deflate_into(std::string_view in, std::string& out) {
    out.resize(deflateBound(&z_, static_cast<uLong>(in.size())) + 16);
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    std::size_t produced = 0;
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      z_.avail_out = static_cast<uInt>(out.size() - produced);
      const int rc = deflate(&z_, Z_SYNC_FLUSH);
      // Z_BUF_ERROR on a second call: the first had filled the buffer exactly, nothing was left.
      if (rc != Z_OK && !(rc == Z_BUF_ERROR && produced > 0)) return false;
      produced = out.size() - z_.avail_out;
      if (z_.avail_out > 0 || rc == Z_BUF_ERROR) break;  // all of it flushed
      out.resize(out.size() * 2);
    }
    if (z_.avail_in != 0 || produced < 4 ||
        std::memcmp(out.data() + produced - 4, kFlushTail, 4) != 0)
      return false;
    out.resize(produced - 4);
    return true;
  }

  std::string key_;
  std::uint64_t id_;
  int level_;
  z_stream z_{};
  bool ready_ = false;
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

void DeflateStreams::compress_at(std::string_view key,
                                 std::span<const SharedPayload* const> payloads,
                                 std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  compress_locked(key, payloads, now);
}

void DeflateStreams::compress_locked(std::string_view key,
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

DeflateStreams::Stream* DeflateStreams::stream_for(std::string_view key,
                                                   std::chrono::steady_clock::time_point now) {
  if (auto it = by_key_.find(std::string(key)); it != by_key_.end()) {
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
  by_use_.push_front(std::make_unique<Stream>(std::string(key), next_id_++, level_));
  by_key_.emplace(std::string(key), by_use_.begin());
  counters_.live.fetch_add(1, std::memory_order_relaxed);
  return by_use_.front().get();
}

}  // namespace pulseboard::websocket
