#pragma once
// permessage-deflate (RFC 7692) for the gateway's WebSocket transport.
//
// A message's own compressed form refers to nothing outside it, so one compressed copy of a
// broadcast is right for every socket that agreed to deflate. The copy is made once, the first
// time such a socket writes the message, and kept beside the plain bytes in the message's
// shared buffer (SharedPayload); a socket that did not agree gets the plain bytes. The deflater
// is one per thread, so a connection holds no compression state at all. A broadcast to a room
// may also carry a smaller form compressed in its room's context (deflate_stream.hpp), which
// the sockets that follow that room's stream send instead.
//
// What clients send compressed is inflated by a per-connection Inflater created on the first
// compressed message (ws and browsers compress only messages over about 1 KiB, which a dashboard
// rarely sends), with the small window the handshake agreed when the client let us choose, and
// never past the message size limit (a decompression bomb fails the connection with 1009).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::websocket {

struct DeflateSettings {
  bool enabled = true;
  // zlib level 1 (fastest) to 9 (smallest). A broadcast is compressed once for all its
  // recipients, so the level costs per message, not per socket.
  int level = 6;
  // Messages smaller than this are sent plainly: the few bytes saved cost a zlib pass.
  std::size_t min_size = 256;
};

// The window (in bits) the gateway asks a client to compress with when the client lets it choose
// (client_max_window_bits): 512 bytes. zlib cannot deflate raw data with 256 (Node raises 8 to
// 9), so 9 is the smallest window an inflater can rely on.
inline constexpr int kClientWindowBits = 9;

// What the upgrade agreed.
struct DeflateAgreement {
  int client_window_bits = 15;              // the window our inflater needs
  bool client_no_context_takeover = false;  // each client message compressed on its own
  // The client asked `server_no_context_takeover`: the socket sends only self-contained
  // messages (it never follows a stream, deflate_stream.hpp).
  bool server_no_context_takeover = false;
  std::string response;  // the Sec-WebSocket-Extensions value to answer
};

// Picks the first acceptable permessage-deflate offer of a Sec-WebSocket-Extensions value (all
// the request's headers joined with ", "). An offer with an unknown, duplicate or malformed
// parameter, or one asking for a server window under 15 (the shared copies use 15), is declined;
// nothing acceptable: no deflate, and the handshake goes on without it. The server keeps its
// context (no `server_no_context_takeover` in the answer) unless the client asked otherwise.
std::optional<DeflateAgreement> negotiate_deflate(std::string_view offers);

// A raw deflater (window 15) whose messages end with a sync flush, the trailing 00 00 ff ff
// left out (RFC 7692 §7.2.1). Its context runs from one message to the next until start().
class Deflater {
 public:
  Deflater();
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  // Forgets every message before (a fresh context) at `level`; false when zlib failed.
  bool start(int level);
  // The next message into `out`; false when zlib failed (the context is then unknown: start()).
  bool compress(std::string_view in, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Raw deflate of one whole message with no context kept, without the trailing 00 00 ff ff
// (RFC 7692 §7.2.1). False when zlib failed.
bool deflate_message(std::string_view in, int level, std::string& out);

// A message compressed as one message of a stream that keeps its context (deflate_stream.hpp).
struct StreamForm {
  std::uint64_t stream = 0;  // the stream's id, never reused within the process
  std::uint64_t seq = 0;     // the message's position in it
  bool fresh = false;        // compressed from nothing: refers to no message before it
  std::string bytes;         // raw deflate without the trailing 00 00 ff ff
  // Set by a socket that could not follow the stream: the stream then resets soon.
  std::shared_ptr<std::atomic<bool>> reset_wanted;
};

// An immutable message buffer that can also carry its compressed forms, made once and shared by
// every socket (of any thread) that sends it compressed.
class SharedPayload : public std::string {
 public:
  explicit SharedPayload(std::string plain) : std::string(std::move(plain)) {}
  ~SharedPayload();
  SharedPayload(const SharedPayload&) = delete;
  SharedPayload& operator=(const SharedPayload&) = delete;
  // The compressed bytes, or null when compression did not make it smaller. `made_now` is set
  // when this call compressed it (the first caller).
  const std::string* deflated(int level, bool& made_now) const;
  // Its form in a stream, or null. Set at most once, by the stream that compressed it; the
  // buffer may already be shared then (a retained copy), hence the atomic.
  const StreamForm* stream_form() const { return stream_form_.load(std::memory_order_acquire); }
  // False (and `form` is dropped) when it already has one: a message is in one stream only.
  bool attach_stream_form(std::unique_ptr<StreamForm> form) const;

 private:
  mutable std::once_flag once_;
  mutable std::string deflated_;
  mutable bool smaller_ = false;
  mutable std::atomic<const StreamForm*> stream_form_{nullptr};
};

std::shared_ptr<const SharedPayload> make_shared_payload(std::string plain);

// Inflates the messages of one connection (raw deflate, the window agreed).
class Inflater {
 public:
  enum class Result { ok, too_big, corrupt };
  explicit Inflater(int window_bits);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates one message into `out`; stops as soon as it would exceed `limit` bytes (too_big),
  // so a bomb never takes more than `limit` + 1 bytes of memory.
  Result inflate(std::string_view compressed, std::size_t limit, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pulseboard::websocket
