// Whole Engine.IO v4 / Socket.IO v5 sessions through the real gateway code, stateful: the input
// is a script of operations on one event loop — polling sessions created as the Engine.IO
// endpoint creates them, POST bodies and GETs, WebSocket sessions and upgrade probes over real
// loopback TCP connections whose client end writes masked frames, broadcasts and retained
// messages, joins, leaves, disconnects and emits as a cluster peer asks for them, session
// closes, and turns of the loop (timers of 0-1 ms fire). Send-queue bounds of a few frames and
// a few hundred bytes make "send queue overflow" close sessions inside every handler, and a
// JWT verifier makes CONNECTs succeed or fail. Each input ends with every session closed, the
// loop idle and then destroyed; whatever is still alive then has leaked.
//
// Checks besides ASan/UBSan/LSan: every polling request is answered exactly once, and a 200
// answer to a GET is a valid payload; every server WebSocket frame is final and unmasked, text
// frames hold valid Engine.IO packets, nothing follows a close frame; after teardown no session,
// socket, room member or transport remains.
//
// Input format (all one byte each unless stated; bytes past the end read as 0):
//   header: frames bytes payload timers options retained (see World::World)
//   then up to kMaxOps operations: <op % kOpCount> <arguments>, see `enum Op` below.
// Connection state recovery is on, with an in-process store of 16 messages and 64 sessions:
// broadcasts with flags&4 are bridge messages with an offset, and CONNECT auth bytes >= 0xf0
// ask for a pid and offset the input saw.
// Seeds: PULSEBOARD_SESSION_FUZZ_SEEDS=fuzz/corpus/session build/fuzz/session_fuzz
// (re)writes fuzz/corpus/session/ and exits.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"
#include "common/base64.hpp"
#include "common/ids.hpp"
#include "common/utf8.hpp"
#include "engineio/packet.hpp"
#include "engineio/session.hpp"
#include "gateway/bridge_broadcast.hpp"
#include "gateway/gateway.hpp"
#include "gateway/session_stack.hpp"
#include "recovery/recovery_store_memory.hpp"
#include "sio/packet.hpp"
#include "socketio/broadcast.hpp"
#include "socketio/socket.hpp"
#include "socketio/socketio_client.hpp"
#include "websocket/transport.hpp"

namespace gw = pulseboard::gateway;
namespace eio = pulseboard::eio;
namespace sio = pulseboard::sio;
namespace sock = pulseboard::socketio;
namespace asio = boost::asio;
using boost::beast::http::status;

namespace {

// ---- the fixed world ---------------------------------------------------------------------

constexpr std::string_view kSecret = "pulseboard-session-fuzz-hs256-secret-0123456789";
// HS256 with kSecret, exp 2100-01-01. No rooms claim: any room.
constexpr std::string_view kTokenAny =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmdXp6LWFueSIsImV4cCI6NDEwMjQ0NDgwMH0."
    "E9gpHXNASZzqsRWT31aPXC8SAVxdQJotb182gi8Aeys";
// rooms: ["live-metrics", "r1", "r2"]
constexpr std::string_view kTokenRooms =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmdXp6LXJvb21zIiwicm9vbXMiOlsibGl2ZS1tZXRy"
    "aWNzIiwicjEiLCJyMiJdLCJleHAiOjQxMDI0NDQ4MDB9.sKAKZVw9ssb3Kt5o0eZk2ybz-6l9wwD1Pe_Nzwl9n-4";
// rooms: [] (not even the default room)
constexpr std::string_view kTokenNoRooms =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmdXp6LW5vbmUiLCJyb29tcyI6W10sImV4cCI6NDEw"
    "MjQ0NDgwMH0.CNidG9arHZGQnWmMjLPEpK5dz734iLfiwvY0jCRob50";
// exp 2001: refused as expired
constexpr std::string_view kTokenExpired =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmdXp6LW9sZCIsImV4cCI6MTAwMDAwMDAwMH0."
    "0cmkLP9KVuGnixsLviC-6GPL68JAjoRqKGZy8T5UYFs";
// kTokenAny with another signature
constexpr std::string_view kTokenBadSig =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmdXp6LWFueSIsImV4cCI6NDEwMjQ0NDgwMH0."
    "E9gpHXNASZzqsRWT31aPXC8SAVxdQJotb182gi8Aeyt";

// "/nope" is not configured: CONNECT_ERROR "Invalid namespace".
constexpr std::array<std::string_view, 4> kNamespaces{"/", "/admin", "/metrics", "/nope"};
const std::array<std::string, 8> kRooms{"live-metrics",        "r0",           "r1", "r2", "r3", "",
                                        std::string(257, 'x'), "room-\xc3\xa9"};
constexpr std::array<std::string_view, 3> kRetainedEvents{"metrics-snapshot", "a", "b"};

constexpr std::size_t kMaxInput = 8192;
constexpr int kMaxOps = 96;
constexpr std::size_t kMaxSessions = 8;
constexpr std::size_t kMaxConnections = 6;
constexpr int kMaxSleepMs = 1;  // per input: real time spent waiting for timers
constexpr std::size_t kMaxWsWrite = 64 * 1024;
constexpr char kMask[4] = {0x37, static_cast<char>(0xfa), 0x21, 0x3d};

enum Op : std::uint8_t {
  new_polling,      // create a polling session: open(), then the handshake GET
  new_websocket,    // <flags>: a WebSocket session on a new loopback connection (flags&1: tiny
                    // socket buffers)
  post,             // <slot> <flags> then flags&4 ? <len> <bytes> : <count> <eio packet>...
                    // flags&1: posted to the loop (as the endpoint does); flags&2: octet-stream
  get,              // <slot> <flags>: flags&1 posted
  broadcast,        // <nsp> <rooms> <except> <size> <attachments> <flags>: flags&1 volatile,
                    // flags&2 posted (Gateway::broadcast)
  close_session,    // <slot> <reason>
  poll,             // <rounds>: ioc.poll()
  sleep,            // <wait>: wait >= 0xf0: ioc.run_for(1 ms), at most kMaxSleepMs per input;
                    // else one turn of the loop
  ws_send,          // <conn> <count> <ws frame>...
  ws_read,          // <conn>: read and check what the server wrote
  probe,            // <slot> <flags>: upgrade probe on a new connection (flags&1 tiny buffers,
                    // flags&2 posted)
  ws_client_close,  // <conn> <how>: close, half-close, or reset the client end
  retain,           // <nsp> <room> <event> <size>: retained.put
  peer_action,      // <nsp> <action> <count> <room>...: what a cluster peer asks of the
                    // loop's sockets (join, leave, disconnect, emit with/without ack)
  kOpCount
};

// ---- input -------------------------------------------------------------------------------

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  std::uint8_t byte() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  std::string bytes(std::size_t max) {
    const std::size_t k = std::min(max, n_);
    std::string s(reinterpret_cast<const char*>(p_), k);
    p_ += k;
    n_ -= k;
    return s;
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

// PULSEBOARD_SESSION_FUZZ_TRACE=1: print what the clients receive (to check what a seed does).
bool g_trace = false;

void trace(std::string_view who, std::string_view bytes) {
  if (!g_trace) return;
  std::string what;
  for (unsigned char ch : bytes) {
    if (ch >= 0x20 && ch < 0x7f) {
      what += static_cast<char>(ch);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", ch);
      what += hex;
    }
  }
  if (g_trace)
    std::fprintf(stderr, "%.*s: %.*s\n", int(who.size()), who.data(), int(what.size()),
                 what.data());
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "session_fuzz: %s\n", what);
  std::abort();
}

// ---- what a client sends -----------------------------------------------------------------

// One Engine.IO message: text holds "<type digit><data>", binary the raw bytes.
struct Msg {
  bool binary = false;
  std::string data;
};

std::string nsp_prefix(std::string_view nsp) {
  return nsp == "/" ? std::string() : std::string(nsp) + ",";
}
// High bit set: no ack id.
std::string ack_id(std::uint8_t b) {
  return (b & 0x80) ? std::string() : std::to_string(b & 0x3f);
}
std::string json_quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// The in-process recovery store, remembering the pids it was given and the offsets recorded,
// so CONNECTs can ask for sessions that exist (and for ones that do not).
class FuzzRecoveryStore final : public pulseboard::recovery::RecoveryStore {
 public:
  void record(const std::string& nsp, const std::string& room, const std::string& offset,
              const std::string& packet) override {
    offsets.push_back(offset);
    store_.record(nsp, room, offset, packet);
  }
  void save(const pulseboard::recovery::RecoverableSession& s,
            std::chrono::milliseconds ttl) override {
    pids.push_back(s.pid);
    store_.save(s, ttl);
  }
  void forget(const std::string& nsp, const std::string& pid) override { store_.forget(nsp, pid); }
  void recover(const std::string& nsp, const std::string& pid, const std::string& offset,
               Done done) override {
    store_.recover(nsp, pid, offset, std::move(done));
  }
  std::vector<std::string> pids, offsets;

 private:
  pulseboard::recovery::MemoryRecoveryStore store_{16, 64};
};
FuzzRecoveryStore* g_recovery = nullptr;  // the current input's

std::string pick(const std::vector<std::string>& from, std::uint8_t b) {
  return from.empty() ? std::string("none") : from[b % from.size()];
}

std::string auth_json(std::uint8_t b) {
  auto token = [](std::string_view t) { return R"({"token":")" + std::string(t) + "\"}"; };
  if (b >= 0xf0 && g_recovery) {
    // A reconnect asking for a socket back: a pid and an offset this input saw (or not).
    return R"({"token":")" + std::string(b & 1 ? kTokenAny : kTokenRooms) + R"(","pid":")" +
           pick(g_recovery->pids, b >> 1) + R"(","offset":")" + pick(g_recovery->offsets, b >> 2) +
           "\"}";
  }
  switch (b % 9) {
    case 0:
      return "";
    case 1:
      return token(kTokenAny);
    case 2:
      return token(kTokenRooms);
    case 3:
      return token(kTokenNoRooms);
    case 4:
      return token(kTokenExpired);
    case 5:
      return token(kTokenBadSig);
    case 6:
      return token("not.a.token");
    case 7:
      return R"({"token":42})";
    default:
      return R"("token")";
  }
}

std::string echo_args(Input& in) {
  std::string out;
  const int n = in.byte() % 4;
  for (int i = 0; i < n; ++i) {
    const std::uint8_t b = in.byte();
    out += ',';
    out += b < 128 ? json_quote(std::string(b % 40, 'e')) : std::to_string(b);
  }
  return out;
}

std::string placeholders(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += R"(,{"_placeholder":true,"num":)" + std::to_string(i) + "}";
  return out;
}

// A Socket.IO packet: <type> <nsp> <type-specific bytes>.
void sio_packet(Input& in, std::vector<Msg>& out) {
  const int type = in.byte() % 10;
  const std::string prefix = nsp_prefix(kNamespaces[in.byte() % kNamespaces.size()]);
  switch (type) {
    case 0:  // CONNECT <auth>
      out.push_back({false, "40" + prefix + auth_json(in.byte())});
      return;
    case 1:    // EVENT subscribe <ack> <count> <room>...
    case 2: {  // EVENT unsubscribe
      std::string text =
          "42" + prefix + ack_id(in.byte()) + (type == 1 ? R"(["subscribe")" : R"(["unsubscribe")");
      const std::uint8_t c = in.byte();
      const int n = c % 6;
      if (n == 1 && !(c & 0x80)) {
        text += "," + json_quote(kRooms[in.byte() % kRooms.size()]);
      } else if (n > 0) {
        text += ",[";
        for (int i = 0; i < n; ++i)
          text += (i ? "," : "") + json_quote(kRooms[in.byte() % kRooms.size()]);
        text += "]";
      }
      out.push_back({false, text + "]"});
      return;
    }
    case 3: {  // EVENT echo <ack> <args>
      std::string id = ack_id(in.byte());
      out.push_back({false, "42" + prefix + id + R"(["echo")" + echo_args(in) + "]"});
      return;
    }
    case 4: {  // BINARY_EVENT echo <ack> <attachments> <sent> <size>...
      std::string id = ack_id(in.byte());
      const int n = 1 + in.byte() % 3;
      const std::uint8_t sent = in.byte();
      out.push_back({false, "45" + std::to_string(n) + "-" + prefix + id + R"(["echo")" +
                                placeholders(n) + "]"});
      const int attached = (sent & 0x80) ? n - 1 : n;  // one short: the next text is unexpected
      for (int i = 0; i < attached; ++i) out.push_back({true, in.bytes(in.byte() % 24)});
      return;
    }
    case 5: {  // ACK <id> <args>
      std::string text = "43" + prefix + std::to_string(in.byte() % 8) + "[";
      std::string args = echo_args(in);
      if (!args.empty()) args.erase(0, 1);  // the leading comma
      out.push_back({false, text + args + "]"});
      return;
    }
    case 6: {  // BINARY_ACK <id> <size>
      std::string text =
          "461-" + prefix + std::to_string(in.byte() % 8) + R"([{"_placeholder":true,"num":0}])";
      out.push_back({false, text});
      out.push_back({true, in.bytes(in.byte() % 24)});
      return;
    }
    case 7:  // DISCONNECT
      out.push_back({false, "41" + prefix});
      return;
    case 8:  // <which>: another event, or a CONNECT_ERROR (only servers send those)
      out.push_back(
          {false, (in.byte() & 1) ? "44" + prefix + "{}" : "42" + prefix + R"(["hi",1])"});
      return;
    default:  // <len> <bytes>: raw Socket.IO text
      out.push_back({false, "4" + in.bytes(in.byte() % 48)});
      return;
  }
}

// An Engine.IO packet: <kind> <kind-specific bytes>.
void eio_packet(Input& in, std::vector<Msg>& out) {
  switch (in.byte() % 12) {
    case 1:
      out.push_back({false, "3"});  // pong
      return;
    case 2:
      out.push_back({false, "2"});  // ping: clients may not (transport error)
      return;
    case 3:
      out.push_back({false, "2probe"});
      return;
    case 4:
      out.push_back({false, "5"});  // upgrade
      return;
    case 5:
      out.push_back({false, "6"});  // noop
      return;
    case 6:
      out.push_back({false, "1"});  // close
      return;
    case 7:
      out.push_back({false, "0"});  // open: servers only
      return;
    case 8:  // <len> <bytes>: a binary message
      out.push_back({true, in.bytes(in.byte() % 32)});
      return;
    case 9:  // <len> <bytes>: raw text
      out.push_back({false, in.bytes(in.byte() % 48)});
      return;
    default:
      sio_packet(in, out);
      return;
  }
}

std::string polling_body(const std::vector<Msg>& msgs) {
  std::string body;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    if (i) body += eio::kRecordSeparator;
    body += msgs[i].binary ? "b" + pulseboard::base64_encode(msgs[i].data) : msgs[i].data;
  }
  return body;
}

// A client frame: FIN/RSV/opcode byte, masked unless told otherwise.
void ws_frame(std::string& out, std::uint8_t first, std::string_view payload, bool mask = true) {
  if (g_trace) trace("client", std::to_string(first) + " " + std::string(payload.substr(0, 200)));
  out += static_cast<char>(first);
  const char m = mask ? static_cast<char>(0x80) : 0;
  const std::size_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(m | static_cast<char>(n));
  } else if (n <= 0xffff) {
    out += static_cast<char>(m | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n);
  } else {
    out += static_cast<char>(m | 127);
    for (int i = 0; i < 8; ++i)
      out += static_cast<char>(static_cast<std::uint64_t>(n) >> (56 - 8 * i));
  }
  if (!mask) {
    out += payload;
    return;
  }
  out.append(kMask, 4);
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>(payload[i] ^ kMask[i % 4]);
}

// A WebSocket frame from the client: <kind> <kind-specific bytes>.
void ws_frames(Input& in, std::string& out, std::size_t max_payload) {
  switch (in.byte() % 8) {
    case 0: {  // <eio packet>: each message one frame
      std::vector<Msg> msgs;
      eio_packet(in, msgs);
      for (const auto& m : msgs) ws_frame(out, m.binary ? 0x82 : 0x81, m.data);
      return;
    }
    case 1: {  // <split> <eio packet>: each message in two fragments, maybe a ping between,
               // maybe never finished
      const std::uint8_t split = in.byte();
      std::vector<Msg> msgs;
      eio_packet(in, msgs);
      for (const auto& m : msgs) {
        const std::size_t at = split % (m.data.size() + 1);
        ws_frame(out, m.binary ? 0x02 : 0x01, std::string_view(m.data).substr(0, at));
        if (split & 0x80) ws_frame(out, 0x89, "p");
        if (!(split & 0x40)) ws_frame(out, 0x80, std::string_view(m.data).substr(at));
      }
      return;
    }
    case 2:  // <len>: a ping; over 125 bytes is a protocol error
      ws_frame(out, 0x89, std::string(in.byte() % 130, 'p'));
      return;
    case 3: {  // <which>: a close frame
      const int c = in.byte() % 6;
      constexpr std::string_view kClose[] = {
          {"", 0},         {"\x03\xe8", 2}, {"\x03\xe9\x62ye", 5},
          {"\x03\xe7", 2}, {"\x03", 1},     {"\x03\xe8\xff", 3}};
      ws_frame(out, 0x88, kClose[c]);
      return;
    }
    case 4:  // <len> <bytes>: raw bytes
      out += in.bytes(in.byte() % 64);
      return;
    case 5: {  // <how>: a message over max_payload, or a header announcing 2^40 bytes
      const std::uint8_t e = in.byte();
      if (e & 0x80) {
        out += static_cast<char>(0x82);
        out += static_cast<char>(0xff);
        for (int i = 0; i < 8; ++i) out += static_cast<char>(i == 3 ? 1 : 0);
        out.append(kMask, 4);
      } else {
        ws_frame(out, 0x81, "4" + std::string(max_payload + 1 + e % 16, 'a'));
      }
      return;
    }
    case 6: {  // <which>: unmasked, a reserved bit, a reserved opcode
      const int v = in.byte() % 3;
      if (v == 0) ws_frame(out, 0x81, "3", /*mask=*/false);
      if (v == 1) ws_frame(out, 0xc1, "3");
      if (v == 2) ws_frame(out, 0x83, "3");
      return;
    }
    default: {  // <which>: an unsolicited pong, invalid UTF-8, a continuation with no start
      const int v = in.byte() % 3;
      if (v == 0) ws_frame(out, 0x8a, "x");
      if (v == 1) ws_frame(out, 0x81, "4\xc3\x28");
      if (v == 2) ws_frame(out, 0x80, "3");
      return;
    }
  }
}

// ---- loopback connections ----------------------------------------------------------------

struct Listener {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor{ioc};
  asio::ip::tcp::endpoint endpoint;
  Listener() {
    acceptor.open(asio::ip::tcp::v4());
    acceptor.bind({asio::ip::make_address_v4("127.0.0.1"), 0});
    acceptor.listen(64);
    acceptor.non_blocking(true);
    endpoint = acceptor.local_endpoint();
  }
};

Listener& listener() {
  static Listener* l = new Listener;  // for the whole process
  return *l;
}

// A connected pair: the server end on `loop`, the client end a non-blocking descriptor.
std::optional<asio::ip::tcp::socket> connect_pair(gw::Loop& loop, bool tiny_buffers, int& client) {
  client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0) return std::nullopt;
  if (tiny_buffers) {
    int size = 2048;
    ::setsockopt(client, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  const auto& ep = listener().endpoint;
  if (::connect(client, ep.data(), static_cast<socklen_t>(ep.size())) != 0) {
    ::close(client);
    client = -1;
    return std::nullopt;
  }
  boost::system::error_code ec;
  asio::ip::tcp::socket server(loop.ioc);
  for (int attempt = 0; attempt < 100; ++attempt) {
    listener().acceptor.accept(server, ec);
    if (ec != asio::error::would_block && ec != asio::error::try_again) break;
    pollfd p{listener().acceptor.native_handle(), POLLIN, 0};
    ::poll(&p, 1, 10);
  }
  if (ec) {
    ::close(client);
    client = -1;
    return std::nullopt;
  }
  ::fcntl(client, F_SETFL, ::fcntl(client, F_GETFL) | O_NONBLOCK);
  // What websocket::Transport::accept() leaves behind after Beast's handshake, which is skipped
  // here.
  server.non_blocking(true, ec);
  server.set_option(asio::ip::tcp::no_delay(true), ec);
  if (tiny_buffers) server.set_option(asio::socket_base::send_buffer_size(2048), ec);
  return server;
}

// The client end of one connection and what it has read of the server's frames.
struct Connection {
  int fd = -1;
  std::string in;  // server bytes not yet parsed
  bool close_seen = false;
};

// Reads what the server wrote and checks its framing.
void drain(Connection& c) {
  if (c.fd < 0) return;
  char buf[16384];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    c.in.append(buf, static_cast<std::size_t>(n));
  }
  while (c.in.size() >= 2) {
    const auto b0 = static_cast<std::uint8_t>(c.in[0]);
    const auto b1 = static_cast<std::uint8_t>(c.in[1]);
    const std::uint8_t opcode = b0 & 0x0f;
    if (!(b0 & 0x80) || (b0 & 0x70) || (b1 & 0x80)) fail("server frame not final, RSV or masked");
    if (opcode != 0x1 && opcode != 0x2 && opcode != 0x8 && opcode != 0xa)
      fail("server frame with an unexpected opcode");
    std::size_t header = 2;
    std::uint64_t len = b1 & 0x7f;
    if (len == 126) {
      if (c.in.size() < 4) return;
      len = (std::uint64_t(std::uint8_t(c.in[2])) << 8) | std::uint8_t(c.in[3]);
      header = 4;
    } else if (len == 127) {
      if (c.in.size() < 10) return;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | std::uint8_t(c.in[2 + i]);
      header = 10;
    }
    if ((opcode & 0x8) && len > 125) fail("server control frame over 125 bytes");
    if (len > (1u << 24)) fail("server frame implausibly large");
    if (c.in.size() < header + len) return;
    if (c.close_seen) fail("server frame after its close frame");
    const std::string_view payload = std::string_view(c.in).substr(header, len);
    if (opcode == 0x1 && (!pulseboard::is_valid_utf8(payload) || !eio::decode_text(payload)))
      fail("server text frame is not an Engine.IO packet");
    trace("ws", std::to_string(opcode) + " " + std::string(payload));
    if (opcode == 0x8) {
      if (len == 1) fail("server close frame with a one-byte payload");
      c.close_seen = true;
    }
    c.in.erase(0, header + len);
  }
}

// ---- one input's world -------------------------------------------------------------------

const std::shared_ptr<const pulseboard::auth::JwtVerifier>& verifier() {
  static const auto v = [] {
    pulseboard::auth::JwtConfig c;
    c.hs256_secret = std::string(kSecret);
    return std::make_shared<const pulseboard::auth::JwtVerifier>(c);
  }();
  return v;
}

struct Answers {
  int issued = 0;
  int answered = 0;
};

class World {
 public:
  explicit World(Input& in) : in_(in) {
    auto& c = config_;
    c.max_queued_frames = 1 + in.byte() % 8;
    c.max_queued_bytes = 64 + 2 * std::size_t(in.byte());
    c.max_payload = 48 + 4 * std::uint64_t(in.byte());
    const std::uint8_t timers = in.byte();
    // Mostly long timers (nothing fires); 0 and 1 ms fire at the next turns of the loop.
    constexpr int kPingInterval[] = {25000, 25000, 0, 1};
    constexpr int kPingTimeout[] = {20000, 0, 1, 20000};
    constexpr int kConnectTimeout[] = {45000, 45000, 0, 1};
    constexpr int kUpgradeTimeout[] = {10000, 10000, 0, 1};
    c.ping_interval = std::chrono::milliseconds(kPingInterval[timers & 3]);
    c.ping_timeout = std::chrono::milliseconds(kPingTimeout[(timers >> 2) & 3]);
    c.connect_timeout = std::chrono::milliseconds(kConnectTimeout[(timers >> 4) & 3]);
    c.upgrade_timeout = std::chrono::milliseconds(kUpgradeTimeout[(timers >> 6) & 3]);
    const std::uint8_t options = in.byte();
    constexpr std::size_t kAttachments[] = {10, 1, 2, 3};
    c.max_attachments = kAttachments[options & 3];
    switch ((options >> 2) & 3) {
      case 0:
        c.default_rooms = {"live-metrics"};
        break;
      case 1:
        c.default_rooms = {"live-metrics", "r0"};
        break;
      case 2:
        c.default_rooms = {};
        break;
      default:
        c.default_rooms = {"r1", "live-metrics", "r2"};
        break;
    }
    // The per-client bounds, small enough to be reached.
    constexpr std::size_t kConnectAttempts[] = {10, 1, 3, 2};
    c.max_connect_attempts = kConnectAttempts[(options >> 4) & 3];
    if (options & 0x40) c.max_rooms_per_socket = 2;
    if (options & 0x80) {
      c.events_per_second = 1;
      c.event_burst = 3;
      c.connects_per_second = 1;
      c.connect_burst = 3;
    } else {
      c.connects_per_second = 0;  // unlimited: long inputs keep reaching CONNECT and DISCONNECT
    }
    c.namespaces = {"/", "/admin", "/metrics"};
    stack_ = std::make_unique<gw::SessionStack>(gw::SessionStack::Parts{.config = config_,
                                                                        .metrics = metrics_,
                                                                        .sessions = registry_,
                                                                        .admission = admission_,
                                                                        .retained = retained_,
                                                                        .verifier = verifier()});
    // Retained messages: bits 0-3 choose rooms, bits 4-5 how many events each, 6-7 their size.
    const std::uint8_t retained = in.byte();
    for (int r = 0; r < 4; ++r) {
      if (!((retained >> r) & 1)) continue;
      for (int e = 0; e <= ((retained >> 4) & 3) && e < 3; ++e)
        put_retained("/", kRooms[r], kRetainedEvents[e], 8 + 24 * ((retained >> 6) & 3));
    }
    recovery_ = std::make_shared<FuzzRecoveryStore>();
    g_recovery = recovery_.get();
    stack_->socketio().set_recovery_store(recovery_);
    loops_.push_back(std::make_unique<gw::Loop>(0));
    loop_ = loops_.front().get();
    answers_ = std::make_shared<Answers>();
  }

  void run() {
    for (int ops = 0; ops < kMaxOps && !in_.empty(); ++ops) step(in_.byte() % kOpCount);
    teardown();
  }

 private:
  void step(int op) {
    switch (op) {
      case new_polling:
        return make_polling();
      case new_websocket:
        return make_websocket(in_.byte());
      case post:
        return do_post();
      case get:
        return do_get();
      case broadcast:
        return do_broadcast();
      case close_session: {
        auto s = session_at(in_.byte());
        constexpr eio::CloseReason kReasons[] = {
            eio::CloseReason::server_shutting_down, eio::CloseReason::transport_close,
            eio::CloseReason::forced_server_close, eio::CloseReason::ping_timeout};
        const eio::CloseReason reason = kReasons[in_.byte() % 4];
        if (s) s->close(reason);
        return;
      }
      case poll: {
        const int rounds = 1 + in_.byte() % 4;
        for (int i = 0; i < rounds; ++i) turn();
        return;
      }
      case sleep: {
        // Rare and short: 0 ms timers fire at the next turn anyway; this is for the 1 ms ones.
        const bool wait = in_.byte() >= 0xf0;
        if (!wait || slept_ms_ >= kMaxSleepMs) return turn();
        ++slept_ms_;
        loop_->ioc.restart();
        loop_->ioc.run_for(std::chrono::milliseconds(1));
        return;
      }
      case ws_send:
        return do_ws_send();
      case ws_read:
        if (auto* c = connection_at(in_.byte())) drain(*c);
        return;
      case probe:
        return do_probe();
      case ws_client_close:
        return do_client_close();
      case retain: {
        const std::string_view nsp = kNamespaces[in_.byte() % kNamespaces.size()];
        const std::string room = room_name(nsp, in_.byte());
        const std::string_view event = kRetainedEvents[in_.byte() % kRetainedEvents.size()];
        put_retained(nsp, room, event, in_.byte());
        return;
      }
      case peer_action:
        return do_peer_action();
      default:
        return;
    }
  }

  void turn() {
    loop_->ioc.restart();
    loop_->ioc.poll();
  }

  // ---- sessions ----

  eio::PollRespond responder(bool is_get) {
    ++answers_->issued;
    auto once = std::make_shared<bool>(false);
    return [answers = answers_, once, is_get](status st, std::string body, std::string_view) {
      if (*once) fail("a polling request was answered twice");
      *once = true;
      trace(is_get ? "GET" : "POST", std::to_string(int(st)) + " " + body);
      ++answers->answered;
      if (is_get && st == status::ok) {
        auto packets = eio::decode_payload(body);
        if (!packets || packets->empty()) fail("a GET was answered 200 with a malformed payload");
      }
    };
  }

  void track(const std::shared_ptr<eio::Session>& s) {
    sids_.push_back(s->sid());
    sessions_.push_back(s);
  }

  // Found through the registry, as an HTTP request finds its session by sid.
  std::shared_ptr<eio::Session> session_at(std::uint8_t b) {
    if (sids_.empty()) return nullptr;
    return registry_.find(sids_[b % sids_.size()]);
  }

  Connection* connection_at(std::uint8_t b) {
    if (connections_.empty()) return nullptr;
    return &connections_[b % connections_.size()];
  }

  void make_polling() {
    if (sessions_.size() >= kMaxSessions) return;
    auto s = stack_->make_session(*loop_, pulseboard::random_id20(),
                                  eio::Session::TransportKind::polling);
    registry_.add(s->sid(), s);
    track(s);
    s->open();
    s->poll_get(responder(true));
  }

  std::shared_ptr<pulseboard::websocket::Transport> make_transport(bool tiny_buffers) {
    if (connections_.size() >= kMaxConnections) return nullptr;
    int fd = -1;
    auto server = connect_pair(*loop_, tiny_buffers, fd);
    if (!server) return nullptr;
    connections_.push_back({fd, {}, false});
    auto ws = stack_->make_transport(*loop_, pulseboard::net::Stream(std::move(*server)));
    transports_.push_back(ws);
    return ws;
  }

  void make_websocket(std::uint8_t flags) {
    if (sessions_.size() >= kMaxSessions) return;
    auto ws = make_transport(flags & 1);
    if (!ws) return;
    // As the endpoint does once the WebSocket handshake has completed.
    auto s = stack_->make_session(*loop_, pulseboard::random_id20(),
                                  eio::Session::TransportKind::websocket);
    registry_.add(s->sid(), s);
    track(s);
    s->attach_websocket(ws);
    s->open();
  }

  void do_probe() {
    auto s = session_at(in_.byte());
    const std::uint8_t flags = in_.byte();
    if (!s) return;  // the endpoint refuses an unknown sid before the 101
    auto ws = make_transport(flags & 1);
    if (!ws) return;
    if (flags & 2)
      asio::post(loop_->ioc, [s, ws] { s->begin_probe(ws); });
    else
      s->begin_probe(ws);
  }

  void do_post() {
    auto s = session_at(in_.byte());
    const std::uint8_t flags = in_.byte();
    std::string body;
    if (flags & 4) {
      body = in_.bytes(in_.byte());
    } else {
      std::vector<Msg> msgs;
      const int n = 1 + in_.byte() % 16;
      for (int i = 0; i < n; ++i) eio_packet(in_, msgs);
      body = polling_body(msgs);
    }
    if (!s) return;  // unknown sid: refused by the endpoint
    const bool binary = flags & 2;
    trace("client POST", body);
    if (flags & 1) {
      asio::post(loop_->ioc, [s, binary, body = std::move(body), r = responder(false)]() mutable {
        s->poll_post(std::move(body), binary, std::move(r));
      });
    } else {
      s->poll_post(std::move(body), binary, responder(false));
    }
  }

  void do_get() {
    auto s = session_at(in_.byte());
    const std::uint8_t flags = in_.byte();
    if (!s) return;
    if (flags & 1)
      asio::post(loop_->ioc, [s, r = responder(true)]() mutable { s->poll_get(std::move(r)); });
    else
      s->poll_get(responder(true));
  }

  // ---- rooms and broadcasts ----

  // One of kRooms, or (index 8) the id room of one of the namespace's sockets.
  std::string room_name(std::string_view nsp, std::uint8_t b) {
    const std::size_t i = b % (kRooms.size() + 1);
    if (i < kRooms.size()) return kRooms[i];
    auto sockets = loop_->rooms.select(std::string(nsp), {}, {});
    if (sockets.empty()) return kRooms[0];
    return sockets[(b >> 4) % sockets.size()]->id();
  }

  void put_retained(std::string_view nsp, const std::string& room, std::string_view event,
                    std::size_t size) {
    sock::RetainedMessages::Entry e{std::string(nsp), room, std::string(event), {}};
    e.frames.push_back(
        sock::message_frame(sio::encode_event(nsp, event, json_quote(std::string(size, 'r')))));
    retained_.put(std::move(e));
  }

  void do_broadcast() {
    auto b = std::make_shared<sock::Broadcast>();
    b->nsp = std::string(kNamespaces[in_.byte() % kNamespaces.size()]);
    const std::uint8_t rooms = in_.byte();
    for (int i = 0; i < rooms % 3; ++i) b->rooms.push_back(room_name(b->nsp, in_.byte()));
    const std::uint8_t except = in_.byte();
    if (except & 1) b->except.push_back(room_name(b->nsp, in_.byte()));
    const std::size_t size = 2 * std::size_t(in_.byte());
    const int attachments = in_.byte() % 3;
    const std::uint8_t flags = in_.byte();
    // As LoopSockets::broadcast builds one (an EVENT, BINARY_EVENT when it has attachments).
    sio::Packet p;
    p.type = sio::PacketType::event;
    p.nsp = b->nsp;
    boost::json::array data{"tick", std::string(size, 'b')};
    for (int i = 0; i < attachments; ++i) {
      data.push_back(boost::json::object{{"_placeholder", true}, {"num", i}});
      p.attachments.push_back(std::string(size / 2 + 1, static_cast<char>(i)));
    }
    p.data = std::move(data);
    b->frames = sock::encode_frames(p);
    b->is_volatile = flags & 1;
    if ((flags & 4) && attachments == 0 && !b->rooms.empty()) {
      // A bridge message with an eventId (Gateway::deliver_bridge_message): recorded for
      // recovery, its offset the last argument. Offsets repeat, as replays do.
      pulseboard::bridge::Message m;
      m.nsp = b->nsp;
      m.room = b->rooms.front();
      m.event = "metrics-update";
      m.args = R"({"n":")" + std::string(size, 'u') + "\"}";
      m.offset = "o" + std::to_string((flags >> 3) & 15);
      b = gw::to_broadcast(m, true);
      gw::record_broadcast(*recovery_, *b);
    }
    std::shared_ptr<const sock::Broadcast> shared = std::move(b);
    if (flags & 2)
      asio::post(loop_->ioc, [l = loop_, shared] { l->deliver(shared); });
    else
      loop_->deliver(shared);
  }

  // What a cluster peer's request does on this loop (gateway/local_sockets.cpp): one
  // action for every socket of a namespace, each with a list of rooms.
  void do_peer_action() {
    const std::string nsp(kNamespaces[in_.byte() % kNamespaces.size()]);
    const int action = in_.byte() % 5;
    std::vector<std::string> rooms;
    const int n = in_.byte() % 4;
    for (int i = 0; i < n; ++i) rooms.push_back(room_name(nsp, in_.byte()));
    auto sockets = loop_->rooms.select(nsp, {}, {});
    // Holding the sessions, as a peer's disconnect does (disconnecting frees the Socket).
    std::vector<std::shared_ptr<eio::Session>> held;
    for (sock::Socket* s : sockets) held.push_back(s->session().shared_from_this());
    switch (action) {
      case 0:  // socketsJoin
        for (sock::Socket* s : sockets)
          for (const auto& room : rooms)
            if (s->may_join(room)) s->client().join(*s, room);
        return;
      case 1:  // socketsLeave
        for (sock::Socket* s : sockets)
          for (const auto& room : rooms) s->client().leave(*s, room);
        return;
      case 2:  // disconnectSockets(false)
        for (sock::Socket* s : sockets) s->client().disconnect(nsp);
        return;
      case 3: {  // serverSideEmit with an ack (broadcast_with_ack)
        for (sock::Socket* s : sockets)
          s->emit("ping", boost::json::array{"x"}, {},
                  [](const boost::json::array&, const std::vector<std::string>&) {});
        return;
      }
      default:
        for (sock::Socket* s : sockets) s->emit("hello", boost::json::array{1, "two"});
        return;
    }
  }

  // ---- the client end of WebSockets ----

  void do_ws_send() {
    Connection* c = connection_at(in_.byte());
    const int n = 1 + in_.byte() % 8;
    std::string out;
    for (int i = 0; i < n && out.size() < kMaxWsWrite; ++i)
      ws_frames(in_, out, config_.max_payload);
    if (!c || c->fd < 0 || out.empty()) return;
    // What does not fit in the socket buffer is dropped: the frames after it are cut anywhere.
    (void)::send(c->fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }

  void do_client_close() {
    Connection* c = connection_at(in_.byte());
    const int how = in_.byte() % 3;
    if (!c || c->fd < 0) return;
    if (how == 1) {
      ::shutdown(c->fd, SHUT_WR);  // EOF to the server; reads still work
      return;
    }
    if (how == 2) {
      linger l{1, 0};  // reset
      ::setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(c->fd);
    c->fd = -1;
  }

  // ---- the end of an input ----

  // Runs the loop until nothing is ready. A loop that never idles is a bug too.
  void run_until_idle() {
    for (int i = 0; i < 4096; ++i) {
      loop_->ioc.restart();
      if (loop_->ioc.poll() == 0) return;
    }
    fail("the loop never became idle");
  }

  void teardown() {
    for (auto& weak : sessions_)
      if (auto s = weak.lock()) s->close(eio::CloseReason::server_shutting_down);
    run_until_idle();
    for (auto& c : connections_) {
      drain(c);
      if (c.fd >= 0) ::close(c.fd);
      c.fd = -1;
    }
    run_until_idle();

    if (registry_.size() != 0) fail("a closed session is still registered");
    if (loop_->rooms.socket_count() != 0) fail("a socket of a closed session is still in a room");
    if (metrics_.sockets_connected.load() != 0) fail("sockets_connected is not back to 0");
    if (answers_->issued != answers_->answered) fail("a polling request was never answered");

    // Destroying the loop drops what its pending handlers hold (a transport that waits out its
    // 5 s close deadline); anything alive after that is held by a reference cycle.
    loops_.clear();
    for (auto& weak : sessions_)
      if (!weak.expired()) fail("a session outlived its loop (leaked)");
    for (auto& weak : transports_)
      if (!weak.expired()) fail("a WebSocket transport outlived its loop (leaked)");
    if (metrics_.sessions_open.load() != 0) fail("sessions_open is not back to 0");
    g_recovery = nullptr;
  }

  Input& in_;
  // What a Gateway owns for its sessions, in its order (the stack outlives the sessions).
  gw::GatewayConfig config_;
  gw::GatewayMetrics metrics_;
  gw::Admission admission_;
  pulseboard::socketio::RetainedMessages retained_;
  std::unique_ptr<gw::SessionStack> stack_;  // once the config and the verifier are chosen
  std::vector<std::unique_ptr<gw::Loop>> loops_;
  gw::SessionRegistry registry_;
  gw::Loop* loop_ = nullptr;
  std::shared_ptr<FuzzRecoveryStore> recovery_;
  std::shared_ptr<Answers> answers_;
  std::vector<std::string> sids_;
  std::vector<std::weak_ptr<eio::Session>> sessions_;
  std::vector<std::weak_ptr<pulseboard::websocket::Transport>> transports_;
  std::vector<Connection> connections_;
  int slept_ms_ = 0;
};

// ---- seeds -------------------------------------------------------------------------------

// Builds inputs in the format above; each helper appends one unit.
struct Script {
  std::string b;
  Script& u8(int v) {
    b += static_cast<char>(v);
    return *this;
  }
  Script& header(int frames, int bytes, int payload, int timers, int options, int retained) {
    return u8(frames - 1)
        .u8((bytes - 64) / 2)
        .u8((payload - 48) / 4)
        .u8(timers)
        .u8(options)
        .u8(retained);
  }
  Script& op(Op o) { return u8(o); }
  Script& raw(std::string_view s) {
    b += s;
    return *this;
  }
};

// Engine.IO packet specs (eio_packet's input).
std::string connect_spec(int nsp, int auth) {
  return std::string{0, 0, static_cast<char>(nsp), static_cast<char>(auth)};
}
// One room is sent as a string, several as an array.
std::string subscribe_spec(int nsp, int ack, std::vector<int> rooms) {
  std::string s{0, 1, static_cast<char>(nsp), static_cast<char>(ack),
                static_cast<char>(rooms.size())};
  for (int r : rooms) s += static_cast<char>(r);
  return s;
}
std::string echo_spec(int nsp, int ack, int args) {
  std::string s{0, 3, static_cast<char>(nsp), static_cast<char>(ack), static_cast<char>(args)};
  for (int i = 0; i < args; ++i) s += static_cast<char>(i % 2 ? 200 : 5 + i);
  return s;
}
std::string binary_echo_spec(int nsp, int ack, int attachments) {
  std::string s{
      0, 4, static_cast<char>(nsp), static_cast<char>(ack), static_cast<char>(attachments - 1), 0};
  for (int i = 0; i < attachments; ++i) s += std::string{static_cast<char>(4)} + "\x01\x02\x1e\xff";
  return s;
}
std::string ack_spec(int nsp, int id, int args) {
  std::string s{0, 5, static_cast<char>(nsp), static_cast<char>(id), static_cast<char>(args)};
  for (int i = 0; i < args; ++i) s += static_cast<char>(7);
  return s;
}
std::string binary_ack_spec(int nsp, int id) {
  return std::string{0, 6, static_cast<char>(nsp), static_cast<char>(id), 3} +
         std::string("\x00\x01\x02", 3);
}
std::string eio_spec(int kind) {
  return std::string{static_cast<char>(kind)};
}
const std::string kPong = eio_spec(1), kProbe = eio_spec(3), kUpgrade = eio_spec(4);

// A POST of these Engine.IO packet specs to session `slot`.
Script& post_packets(Script& s, int slot, const std::vector<std::string>& packets, int flags = 0) {
  s.op(post).u8(slot).u8(flags).u8(static_cast<int>(packets.size()) - 1);
  for (const auto& p : packets) s.raw(p);
  return s;
}
// WebSocket frames carrying these Engine.IO packet specs, one frame each.
Script& ws_packets(Script& s, int conn, const std::vector<std::string>& packets) {
  s.op(ws_send).u8(conn).u8(static_cast<int>(packets.size()) - 1);
  for (const auto& p : packets) s.u8(0).raw(p);
  return s;
}
Script& turn(Script& s, int rounds = 1) {
  return s.op(poll).u8(rounds - 1);
}

using SaveSeed = std::function<void(const char* name, const Script& s)>;

// CONNECTs: refused ones, overflowing replies, rooms, a peer's joins.
void write_connect_seeds(const SaveSeed& save) {
  // Auth options: 0 none, 1 any rooms, 2 room list, 3 no rooms, 4 expired, 5 bad signature,
  // 6 garbage; nsp 0 "/", 1 "/admin", 3 "/nope". Rooms: 0 live-metrics, 1-4 r0-r3.
  {
    // Three refused CONNECTs fill a 4-frame queue to 3; the CONNECT reply is the 4th; joining
    // the default room with its retained messages overflows the queue inside on_connect.
    Script s;
    s.header(4, 400, 400, 0, 0, 0b0001'0001);
    s.op(new_polling);
    post_packets(s, 0,
                 {connect_spec(0, 0), connect_spec(0, 6), connect_spec(0, 4), connect_spec(0, 1)});
    s.op(get).u8(0).u8(0);
    save("auth_flood_then_connect", s);
  }
  {
    // The same with the queue full before the CONNECT reply: the reply itself overflows.
    Script s;
    s.header(3, 400, 400, 0, 0, 0b0000'0001);
    s.op(new_polling);
    post_packets(s, 0,
                 {connect_spec(0, 5), connect_spec(3, 1), connect_spec(0, 0), connect_spec(0, 1)});
    save("auth_flood_reply_overflows", s);
  }
  {
    // Subscribing to rooms whose retained messages overflow the queue mid-loop.
    Script s;
    s.header(6, 500, 400, 0, 0, 0b0110'1110);
    s.op(new_polling);
    post_packets(s, 0, {connect_spec(0, 1)});
    s.op(get).u8(0).u8(0);
    post_packets(s, 0, {subscribe_spec(0, 1, {1, 2, 3, 4})});
    s.op(get).u8(0).u8(0);
    post_packets(s, 0, {subscribe_spec(0, 2, {2}), subscribe_spec(0, 3, {0, 5, 6, 7})}, 1);
    turn(s);
    s.op(get).u8(0).u8(1);
    turn(s);
    save("subscribe_retained_rooms", s);
  }
  {
    // A room-limited token on a second namespace, a peer joining rooms, leaving, disconnecting.
    Script s;
    s.header(8, 574, 400, 0, 0, 0b0101'0111);
    s.op(new_polling);
    post_packets(s, 0, {connect_spec(0, 2), connect_spec(1, 1)});
    s.op(get).u8(0).u8(0);
    s.op(peer_action).u8(0).u8(0).u8(3).u8(1).u8(2).u8(3);
    s.op(get).u8(0).u8(0);
    s.op(peer_action).u8(1).u8(0).u8(2).u8(1).u8(0);
    s.op(peer_action).u8(0).u8(1).u8(1).u8(0);
    s.op(peer_action).u8(1).u8(2).u8(0);
    s.op(get).u8(0).u8(0);
    save("peer_join_leave_disconnect", s);
  }
}

// Connection state recovery.
void write_recovery_seeds(const SaveSeed& save) {
  {
    // Connection state recovery: a socket gets bridge updates o1, o2, its session closes with
    // "transport close", o3 goes out, and a new session asks for the socket back from o1
    // (auth 0xf1: the first pid saved, offset o1); the missed o2 and o3 come before the CONNECT
    // reply, then o3 is broadcast again (a replay) and o4 live.
    Script s;
    s.header(16, 1000, 400, 0, 0, 0b0001'0001);
    auto bridge = [&s](int offset) {
      s.op(broadcast).u8(0).u8(1).u8(0).u8(0).u8(8).u8(0).u8(4 | (offset << 3));
    };
    s.op(new_polling);
    post_packets(s, 0, {connect_spec(0, 1)});
    s.op(get).u8(0).u8(0);
    bridge(1);
    bridge(2);
    s.op(close_session).u8(0).u8(1);
    bridge(3);
    s.op(new_polling);
    post_packets(s, 1, {connect_spec(0, 0xf1)});
    turn(s, 2);
    s.op(get).u8(1).u8(0);
    bridge(3);
    bridge(4);
    s.op(get).u8(1).u8(0);
    save("recover_after_transport_close", s);
  }
}

// WebSocket sessions and the upgrade from polling.
void write_websocket_seeds(const SaveSeed& save) {
  {
    // WebSocket: echo with binary attachments and acks both ways.
    Script s;
    s.header(8, 574, 1000, 0, 0, 0b0001'0001);
    s.op(new_websocket).u8(0);
    turn(s);
    ws_packets(s, 0, {connect_spec(0, 1)});
    turn(s, 2);
    s.op(ws_read).u8(0);
    ws_packets(s, 0, {binary_echo_spec(0, 1, 2), echo_spec(0, 0x80, 2), echo_spec(0, 2, 1)});
    turn(s, 2);
    s.op(ws_read).u8(0);
    ws_packets(s, 0, {ack_spec(0, 0, 1), binary_ack_spec(0, 0), kPong});
    turn(s, 2);
    s.op(ws_read).u8(0);
    s.op(broadcast).u8(0).u8(1).u8(0).u8(0).u8(8).u8(2).u8(0);
    turn(s);
    s.op(ws_read).u8(0);
    save("ws_echo_binary_acks", s);
  }
  {
    // Polling, then the upgrade: probe, 3probe, the GET released with a noop, upgrade.
    Script s;
    s.header(8, 574, 400, 0, 0, 0b0001'0001);
    s.op(new_polling);
    post_packets(s, 0, {connect_spec(0, 1)});
    s.op(get).u8(0).u8(0);
    s.op(get).u8(0).u8(0);
    s.op(probe).u8(0).u8(0);
    turn(s);
    ws_packets(s, 0, {kProbe});
    turn(s, 2);
    s.op(ws_read).u8(0);
    ws_packets(s, 0, {kUpgrade});
    turn(s, 2);
    s.op(broadcast).u8(0).u8(1).u8(0).u8(0).u8(20).u8(0).u8(0);
    turn(s);
    s.op(ws_read).u8(0);
    s.op(get).u8(0).u8(0);    // polling after the upgrade: refused
    s.op(probe).u8(0).u8(0);  // a second probe: accepted and closed
    turn(s, 2);
    s.op(ws_read).u8(1);
    save("upgrade_probe", s);
  }
  {
    // A flood of WebSocket pings, an oversized one, fragments around a ping, then close.
    Script s;
    s.header(2, 128, 400, 0, 0, 0);
    s.op(new_websocket).u8(1);
    turn(s);
    s.op(ws_send).u8(0).u8(7);
    for (int i = 0; i < 8; ++i) s.u8(2).u8(i * 16);
    turn(s, 4);
    s.op(ws_send).u8(0).u8(2);
    s.u8(1).u8(0x83).raw(connect_spec(0, 1));
    s.u8(2).u8(129);
    s.u8(3).u8(1);
    turn(s, 4);
    s.op(ws_read).u8(0);
    s.op(new_websocket).u8(0);
    s.op(ws_send).u8(1).u8(1).u8(5).u8(3).u8(5).u8(0x80);
    turn(s, 2);
    s.op(ws_read).u8(1);
    save("ws_ping_flood", s);
  }
}

// Broadcasts and timers.
void write_broadcast_seeds(const SaveSeed& save) {
  {
    // Broadcasts to polling sessions with tiny queues, volatile and not, with 0 ms timers:
    // pings at every turn, and a connect timeout for the session that never connects.
    Script s;
    s.header(3, 200, 200, 0b10'00'10, 0, 0b0001'0001);
    for (int i = 0; i < 3; ++i) s.op(new_polling);
    post_packets(s, 0, {connect_spec(0, 1)});
    post_packets(s, 1, {connect_spec(0, 2)});
    s.op(get).u8(0).u8(0);
    s.op(get).u8(1).u8(0);
    turn(s, 2);
    s.op(get).u8(0).u8(0);
    post_packets(s, 0, {kPong});
    for (int i = 0; i < 4; ++i) s.op(broadcast).u8(0).u8(1).u8(0).u8(0).u8(8).u8(i % 3).u8(i);
    turn(s, 2);
    s.op(get).u8(0).u8(0);
    s.op(sleep).u8(0xff);
    turn(s, 2);
    s.op(get).u8(0).u8(1);
    s.op(close_session).u8(1).u8(0);
    save("broadcast_overflow_timers", s);
  }
}

void write_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const SaveSeed save = [&](const char* name, const Script& s) {
    std::ofstream(dir / name, std::ios::binary) << s.b;
  };
  write_connect_seeds(save);
  write_recovery_seeds(save);
  write_websocket_seeds(save);
  write_broadcast_seeds(save);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  // libFuzzer's entropic schedule costs more than the target here (tens of thousands of
  // features per input: 40 exec/s against 330 without it, same corpus and machine), so it is
  // off unless the command line says otherwise (-entropic=1).
  bool entropic_given = false;
  for (int i = 1; i < *argc; ++i)
    entropic_given |= std::string_view((*argv)[i]).starts_with("-entropic=");
  if (!entropic_given) {
    static char flag[] = "-entropic=0";
    static std::vector<char*> args;
    args.assign(*argv, *argv + *argc);
    args.push_back(flag);
    args.push_back(nullptr);
    *argc += 1;
    *argv = args.data();
  }
  spdlog::set_level(spdlog::level::off);
  std::signal(SIGPIPE, SIG_IGN);
  // The embedded tokens must still be what they were minted as.
  for (auto token : {kTokenAny, kTokenRooms, kTokenNoRooms})
    if (!std::holds_alternative<pulseboard::auth::Claims>(verifier()->verify(token)))
      fail("an embedded token no longer verifies");
  if (!std::holds_alternative<pulseboard::auth::JwtError>(verifier()->verify(kTokenBadSig)))
    fail("the badly signed token verifies");
  g_trace = std::getenv("PULSEBOARD_SESSION_FUZZ_TRACE") != nullptr;
  if (const char* dir = std::getenv("PULSEBOARD_SESSION_FUZZ_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  (void)listener();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, std::min(size, kMaxInput));
  World world(in);
  world.run();
  return 0;
}
