#pragma once
// permessage-deflate with the gateway's compression context kept across the messages of one
// broadcast stream (a room), while each message is still compressed once for every recipient.
//
// Compressed on its own, a small dashboard update barely shrinks (its keys and most of its
// values are in the previous update, not in itself). With context takeover (RFC 7692 §7.2.3,
// the default the client expects unless the server says `server_no_context_takeover`), a
// message may refer back to the last 32 KiB of what the client inflated before it. A per-socket
// deflater would cost a zlib pass per recipient; here one deflater per stream compresses each
// broadcast once, and every socket whose inflater has seen exactly that stream's messages
// since a reset sends those same bytes:
//
//  - DeflateStreams (at broadcast time, under its lock) compresses a broadcast's message as
//    the next message of its room's stream and attaches the result, a StreamForm, to the
//    message's shared buffer. A stream's first message, and the first after a reset, refers to
//    nothing before it ("fresh").
//  - A socket (StreamFollower, at write time) sends a message's stream form when it follows
//    that stream and the message is the next one it expects; or when the message is fresh, and
//    it starts following there. Otherwise (it missed one: conflated, held back for a hidden tab,
//    dropped as volatile; it connected after the reset) it sends the message's own compressed
//    form or its plain bytes, and asks the stream to reset, which the stream does at its next
//    message, at most once per kStreamResetInterval, so that the socket can start following.
//  - Any other message a following socket sends compressed enters its client's window too, so
//    the socket stops following (it starts again at the next fresh message). Plain messages
//    (small ones, control frames) never enter the window and change nothing.
//
// A stream holds one deflater (about 256 KiB); at most kMaxDeflateStreams live at once. A new
// room takes the place of the least recently used stream only when that one has been idle for
// kStreamIdleBeforeEviction; while every stream is busy, the new room's messages are compressed
// on their own, so a publisher that broadcasts to many rooms cannot make the streams churn. A
// socket holds 16 bytes of position. A client that asks for `server_no_context_takeover` never
// follows a stream.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "websocket/deflate.hpp"

namespace pulseboard::websocket {

inline constexpr std::size_t kMaxDeflateStreams = 32;
// How long the least recently used stream must have been idle before a new room may take its
// place: a stream that a room still uses is never closed for another.
inline constexpr std::chrono::seconds kStreamIdleBeforeEviction{30};
// A stream resets (its next message compressed from nothing) when a socket asks, at most this
// often: a socket that could not follow sends self-contained messages until then.
inline constexpr std::chrono::seconds kStreamResetInterval{5};
// Messages this big or bigger get a stream form (smaller ones are sent plain). Lower than
// DeflateSettings::min_size: with context even a 100-byte update shrinks to a third.
inline constexpr std::size_t kStreamMinBytes = 64;

// Where a socket is in a stream: the id of the stream it follows (0: none) and the sequence
// number of the message it expects next.
struct StreamFollower {
  std::uint64_t stream = 0;
  std::uint64_t next = 0;
};

// The bytes `payload` goes out as for a socket at `follower`: its stream form when the socket
// follows the payload's stream at this message or can start following here (the follower
// moves on), else null, and the socket stops following; when the payload has a stream form it
// then asks that stream to reset.
const std::string* follow_stream(const SharedPayload& payload, StreamFollower& follower);

// How one message goes out to one socket that agreed to deflate.
struct DeflateChoice {
  const std::string* bytes = nullptr;  // what to send
  bool compressed = false;             // with RSV1
  bool in_stream = false;              // its stream form
  bool made_now = false;               // this call compressed the message's own form
};

// Its stream form while `follower` (null: the socket keeps no server context) follows the
// payload's stream; else its own compressed form when it is at least `settings.min_size` and
// compressing made it smaller (a following socket then stops following: those bytes enter its
// client's window); else its plain bytes.
DeflateChoice choose_deflate(const SharedPayload& payload, StreamFollower* follower,
                             const DeflateSettings& settings);

// What DeflateStreams counts, in counters the process shows on /metrics.
struct DeflateStreamCounters {
  std::atomic<std::uint64_t> messages{0};   // compressed into a stream
  std::atomic<std::uint64_t> resets{0};     // a stream restarted for a socket that asked
  std::atomic<std::uint64_t> evictions{0};  // an idle stream closed for a newer room
  std::atomic<std::uint64_t> refused{0};    // a broadcast without a stream: all were busy
  std::atomic<std::int64_t> live{0};        // streams open now
};

// The streams of one process, by key (the gateway uses namespace and room).
class DeflateStreams {
 public:
  // `counters` outlives this.
  DeflateStreams(int level, DeflateStreamCounters& counters,
                 std::size_t max_streams = kMaxDeflateStreams);
  ~DeflateStreams();
  DeflateStreams(const DeflateStreams&) = delete;
  DeflateStreams& operator=(const DeflateStreams&) = delete;

  // Compresses each payload of at least kStreamMinBytes as the next message of stream `key`,
  // then calls `deliver` still holding the lock, so that every event loop receives a stream's
  // messages in the order they were compressed.
  template <typename Deliver>
  void compress(const std::string& key, std::span<const SharedPayload* const> payloads,
                Deliver&& deliver) {
    std::lock_guard lock(mutex_);
    compress_locked(key, payloads, std::chrono::steady_clock::now());
    deliver();
  }
  // As compress(), at a given time (tests).
  void compress_at(const std::string& key, std::span<const SharedPayload* const> payloads,
                   std::chrono::steady_clock::time_point now);

 private:
  class Stream;
  void compress_locked(const std::string& key, std::span<const SharedPayload* const> payloads,
                       std::chrono::steady_clock::time_point now);
  // Null when the room has no stream and none can be closed for it.
  Stream* stream_for(const std::string& key, std::chrono::steady_clock::time_point now);

  std::mutex mutex_;
  int level_;
  DeflateStreamCounters& counters_;
  std::size_t max_streams_;
  std::uint64_t next_id_ = 1;
  std::list<std::unique_ptr<Stream>> by_use_;  // most recently used first
  std::unordered_map<std::string, std::list<std::unique_ptr<Stream>>::iterator> by_key_;
};

}  // namespace pulseboard::websocket
