#pragma once
// permessage-deflate (RFC 7692) for the gateway's WebSocket transport.
//
// The gateway always answers `server_no_context_takeover`: each message it sends is compressed
// on its own, so one compressed copy of a broadcast is right for every socket that agreed to
// deflate. The copy is made once, the first time such a socket writes the message, and kept
// beside the plain bytes in the message's shared buffer (SharedPayload); a socket that did not
// agree gets the plain bytes. The deflater is one per thread, so a connection holds no
// compression state at all.
//
// What clients send compressed is inflated by a per-connection Inflater created on the first
// compressed message (ws and browsers compress only messages over about 1 KiB, which a dashboard
// rarely sends), with the small window the handshake agreed when the client let us choose, and
// never past the message size limit (a decompression bomb fails the connection with 1009).
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
  std::string response;                     // the Sec-WebSocket-Extensions value to answer
};

// Picks the first acceptable permessage-deflate offer of a Sec-WebSocket-Extensions value (all
// the request's headers joined with ", "). An offer with an unknown, duplicate or malformed
// parameter, or one asking for a server window under 15 (the shared copies use 15), is declined;
// nothing acceptable: no deflate, and the handshake goes on without it.
std::optional<DeflateAgreement> negotiate_deflate(std::string_view offers);

// Raw deflate of one whole message with no context kept, without the trailing 00 00 ff ff
// (RFC 7692 §7.2.1). False when zlib failed.
bool deflate_message(std::string_view in, int level, std::string& out);

// An immutable message buffer that can also carry its compressed form, made once and shared by
// every socket (of any thread) that sends it compressed.
class SharedPayload : public std::string {
 public:
  explicit SharedPayload(std::string plain) : std::string(std::move(plain)) {}
  // The compressed bytes, or null when compression did not make it smaller. `made_now` is set
  // when this call compressed it (the first caller).
  const std::string* deflated(int level, bool& made_now) const;

 private:
  mutable std::once_flag once_;
  mutable std::string deflated_;
  mutable bool smaller_ = false;
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
