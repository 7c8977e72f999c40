#pragma once
// Bounds on what a Redis peer can make a gateway decode, hold or build. Anything that can
// PUBLISH on the adapter's channels is a peer, so each of its messages is hostile until it is
// inside these bounds (docs/redis.md, "Bounds on peer input"). A message past a bound is
// refused whole: the gateway drops it, counts it and logs a rate-limited warning.
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pulseboard::cluster {

struct Limits {
  // A message received from Redis (channel name included), checked before it is decoded.
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  // Values (keys included) in one message, msgpack or JSON, checked before room is made for
  // them: a decoded message holds about 50 bytes per value, so this keeps one under 60 MB
  // where 4 MiB of small values would make 120 MB.
  std::size_t max_values = 1024 * 1024;
  // msgpack `bin` values in one message (each becomes an attachment).
  std::size_t max_attachments = 1000;
  // Entries of one list of rooms: `rooms`, `except`, or the rooms to join or leave.
  std::size_t max_rooms = 1024;
  std::size_t max_room_bytes = 1024;  // one room name
  // uid, requestId, nsp and the legacy sid: a response repeats the requester's uid and
  // requestId once per client ack, so they must stay small.
  std::size_t max_id_bytes = 256;
  // A message this gateway builds, binary attachments expanded at each of their placeholders.
  // Computed before anything is allocated. Sized for a fetchSockets answer listing 19,900
  // sockets (about 300 bytes each).
  std::size_t max_encoded_bytes = 8 * 1024 * 1024;
  // What one request may make this gateway hold per target socket, summed over the sockets:
  // a broadcast with acks is encoded once per socket (each has its own ack id), a socketsJoin
  // adds each room to each socket.
  std::size_t max_fanout_bytes = 64 * 1024 * 1024;
};

// Which bound a message crossed. `none`: within every bound (a refusal then means malformed).
enum class Bound {
  none = 0,
  message_bytes,
  depth,  // nesting beyond msgpack::kMaxDepth (64 arrays/maps), msgpack or JSON
  values,
  attachments,
  rooms,
  room_bytes,
  id_bytes,
  encoded_bytes,
  fanout_bytes,
  memory,  // std::bad_alloc while decoding, applying or encoding it
};
std::string_view to_string(Bound bound);

// Bytes a request makes this gateway hold for each target socket.
// A broadcast with acks: its packet's JSON text plus each attachment once (what one socket's
// copy of the packet holds), plus 64. Measured without writing the text out.
std::size_t ack_cost_per_socket(const boost::json::value& data,
                                const std::vector<std::string>& attachments);
// A join: each room name plus 64 bytes for its entries in the socket's and the room index's
// sets.
std::size_t join_cost_per_socket(std::size_t rooms, std::size_t room_name_bytes);
// Whether `sockets` targets at `per_socket` bytes each stay within `max_fanout_bytes`
// (without overflowing).
bool fanout_within(std::size_t sockets, std::size_t per_socket, const Limits& limits);

// Runs `fn`, turning a std::bad_alloc out of it into Bound::memory. The bounds above keep a
// peer's message far below what a gateway can allocate, so this is a last resort: if memory
// runs out anyway (a tight cgroup, many messages at once), losing one adapter message is
// better than losing the process and every connection it holds. Only std::bad_alloc is
// caught: any other exception is a bug and keeps its usual fate.
template <class F>
Bound refuse_on_bad_alloc(F&& fn) {
  try {
    fn();
    return Bound::none;
  } catch (const std::bad_alloc&) {
    return Bound::memory;
  }
}

// At most `per_window` lines per window pass; the first line of a later window says how many
// were left out in between. Thread-safe: adapters run on the broker's executor, responses on
// the event loops.
class WarnLimiter {
 public:
  explicit WarnLimiter(unsigned per_window = 1,
                       std::chrono::steady_clock::duration window = std::chrono::seconds(10))
      : per_window_(per_window), window_(window) {}
  // Empty: leave the line out. Otherwise log it, with the returned count of lines left out.
  std::optional<std::uint64_t> admit(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  std::mutex mutex_;
  const unsigned per_window_;
  const std::chrono::steady_clock::duration window_;
  bool started_ = false;
  std::chrono::steady_clock::time_point window_start_{};
  unsigned in_window_ = 0;
  std::uint64_t left_out_ = 0;
};

}  // namespace pulseboard::cluster
