#include "socketio/socketio_client.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "auth/jwt.hpp"
#include "common/ids.hpp"
#include "socketio/retained_messages.hpp"

namespace pulseboard::socketio {
namespace json = boost::json;

std::vector<Frame> encode_frames(const sio::Packet& packet) {
  std::vector<Frame> frames;
  frames.reserve(1 + packet.attachments.size());
  frames.push_back(message_frame(sio::encode(packet)));
  for (const auto& a : packet.attachments) frames.push_back(binary_frame(a));
  return frames;
}

SocketIoClient::SocketIoClient(eio::Session& session, ClientHost& host, LoopRooms& loop)
    : session_(session),
      host_(host),
      loop_(loop),
      decoder_(host.settings().max_attachments),
      events_(host.settings().events_per_second, host.settings().event_burst),
      connects_(host.settings().connects_per_second, host.settings().connect_burst) {}

SocketIoClient::~SocketIoClient() = default;

void SocketIoClient::on_open() {
  connect_deadline_ =
      std::make_unique<boost::asio::steady_timer>(session_.ioc(), host_.settings().connect_timeout);
  connect_deadline_->async_wait(
      [this, session = session_.shared_from_this()](boost::system::error_code ec) {
        if (ec || ever_connected_ || session->closed()) return;
        host_.count(Counter::connect_timeout);
        session->close(eio::CloseReason::connect_timeout);
      });
}

bool SocketIoClient::on_message(std::string_view text) {
  return after_decode(decoder_.add_text(text));
}

bool SocketIoClient::on_binary_message(std::string_view bytes) {
  return after_decode(decoder_.add_binary(bytes));
}

bool SocketIoClient::after_decode(sio::Decoder::Status status) {
  switch (status) {
    case sio::Decoder::Status::packet:
      return dispatch(decoder_.take());
    case sio::Decoder::Status::need_more:
      return true;
    case sio::Decoder::Status::error:
      spdlog::debug("session {}: socket.io decode error: {}", session_.sid(),
                    sio::to_string(decoder_.error()));
      return false;
  }
  return false;
}

void SocketIoClient::send_packet(const sio::Packet& packet) {
  session_.send_all(encode_frames(packet));
}

bool SocketIoClient::dispatch(sio::Packet packet) {
  if (packet.type == sio::PacketType::connect) return on_connect(packet);
  if (packet.type == sio::PacketType::connect_error) return false;  // only servers send it
  auto it = sockets_.find(packet.nsp);
  if (it == sockets_.end()) return false;  // not connected to that namespace: a protocol error
  Socket& socket = *it->second;
  switch (packet.type) {
    case sio::PacketType::disconnect:
      forget_for_recovery(socket);  // left on purpose ("client namespace disconnect")
      remove_socket(packet.nsp);
      return true;
    case sio::PacketType::event:
    case sio::PacketType::binary_event:
      if (!events_.take()) {
        // Dashboards listen; a session that talks faster than --event-rate has the talking
        // socket cut from its namespace (the client sees "io server disconnect" and does not
        // reconnect by itself). Coming back on the same session finds the bucket as it was.
        host_.count(Counter::event_rate);
        host_.refusal_log().log(spdlog::level::warn,
                                "session {} ({}): socket {} over the event rate: disconnected",
                                session_.sid(), session_.address(), socket.id());
        disconnect(packet.nsp);
        return true;
      }
      on_event(socket, packet);
      return true;
    case sio::PacketType::ack:
    case sio::PacketType::binary_ack:
      if (packet.id && packet.data && packet.data->is_array())
        socket.on_ack(*packet.id, packet.data->as_array(), packet.attachments);
      return true;
    default:
      return false;
  }
}

bool SocketIoClient::on_connect(sio::Packet& packet) {
  const std::string& nsp = packet.nsp;
  if (!may_connect(nsp)) return true;
  // A second CONNECT is a protocol error, also while the first one is being recovered.
  if (sockets_.contains(nsp) || recovering_.contains(nsp)) return false;
  if (!host_.settings().has_namespace(nsp)) {
    host_.count(Counter::unknown_namespace);
    refuse_connect(nsp, "Invalid namespace", nullptr);
    return true;  // the Engine.IO session stays open
  }
  std::optional<Admit> admit = verify_connect(packet);
  if (!admit) return true;  // refused: the Engine.IO session stays open
  ever_connected_ = true;
  connect_deadline_.reset();  // cancels it; the memory matters with tens of thousands of sessions
  if (auto wanted = recovery_asked(packet)) {
    recover(std::move(*admit), std::move(wanted->first), std::move(wanted->second));
    return true;
  }
  connect_socket(std::move(*admit), nullptr);
  return true;
}

std::optional<SocketIoClient::Admit> SocketIoClient::verify_connect(const sio::Packet& packet) {
  Admit admit{packet.nsp, std::nullopt, {}};
  const auth::JwtVerifier* verifier = host_.verifier();
  if (!verifier) return admit;
  std::string_view token;
  if (packet.data && packet.data->is_object()) {
    if (auto* t = packet.data->as_object().if_contains("token"); t && t->is_string())
      token = t->as_string();
  }
  std::string reason = "missing token";
  if (!token.empty()) {
    auto result = verifier->verify(token);
    if (auto* claims = std::get_if<auth::Claims>(&result)) {
      admit.allowed_rooms = claims->rooms;
      admit.subject = claims->subject;
      return admit;
    }
    reason = std::string(auth::to_string(std::get<auth::JwtError>(result)));
  }
  host_.count(Counter::auth_failed);
  host_.refusal_log().log(spdlog::level::info, "session {} ({}): connect to {} refused: {}",
                          session_.sid(), session_.address(), packet.nsp, reason);
  refuse_connect(packet.nsp, "Authentication error", json::object{{"reason", reason}});
  return std::nullopt;
}

std::optional<std::pair<std::string, std::string>> SocketIoClient::recovery_asked(
    const sio::Packet& packet) const {
  if (!host_.recovery() || !packet.data || !packet.data->is_object()) return std::nullopt;
  const json::object& auth = packet.data->as_object();
  const json::value* pid = auth.if_contains("pid");
  const json::value* offset = auth.if_contains("offset");
  if (!pid || !pid->is_string() || !offset || !offset->is_string() ||
      pid->as_string().size() > recovery::RecoveryStore::kMaxPidBytes ||
      offset->as_string().size() > recovery::RecoveryStore::kMaxOffsetBytes)
    return std::nullopt;
  return std::pair{std::string(pid->as_string()), std::string(offset->as_string())};
}

bool SocketIoClient::may_connect(const std::string& nsp) {
  // Before anything else: the namespace is neither looked up, logged nor echoed.
  if (nsp.size() > kMaxNamespaceBytes) {
    close_for(Counter::namespace_too_long, eio::CloseReason::namespace_too_long);
    return false;
  }
  ++connects_seen_;
  // Each refused CONNECT costs a verification and a reply: a session gets a few, then it is
  // closed (a client whose token is refused gets the reason long before this).
  if (failed_connects_ >= host_.settings().max_connect_attempts) {
    close_for(Counter::connect_attempts, eio::CloseReason::connect_attempts);
    return false;
  }
  // Every CONNECT may cost a token verification and a recovery store write and delete, and a
  // socket may leave (DISCONNECT) and come back at once: the session gets a few a second.
  if (!connects_.take()) {
    close_for(Counter::connect_rate, eio::CloseReason::connect_rate);
    return false;
  }
  return true;
}

void SocketIoClient::refuse_connect(const std::string& nsp, std::string_view message,
                                    json::value data) {
  sio::Packet err;
  err.type = sio::PacketType::connect_error;
  err.nsp = nsp;
  json::object body{{"message", message}};
  if (!data.is_null()) body["data"] = std::move(data);
  err.data = std::move(body);
  ++failed_connects_;
  std::vector<Frame> frames = encode_frames(err);
  // The replies a session was sent stay queued until it reads them: their total is bounded
  // whatever --max-connect-attempts allows.
  connect_error_bytes_ += frames.front().data->size();
  if (connect_error_bytes_ > kMaxConnectErrorBytes) {
    close_for(Counter::connect_attempts, eio::CloseReason::connect_attempts);
    return;
  }
  session_.send_all(frames);
}

void SocketIoClient::close_for(Counter why, eio::CloseReason reason) {
  host_.count(why);
  host_.refusal_log().log(
      spdlog::level::warn, "session {} ({}): {} after {} CONNECTs ({} refused): closing",
      session_.sid(), session_.address(), eio::to_string(reason), connects_seen_, failed_connects_);
  session_.close(reason);
}

Socket& SocketIoClient::connect_socket(Admit admit, const recovery::Recovered* recovered) {
  auto socket = std::make_unique<Socket>(recovered ? recovered->session.sid : random_id20(),
                                         admit.nsp, session_, *this, std::move(admit.allowed_rooms),
                                         std::move(admit.subject));
  Socket& s = *socket;
  if (host_.recovery()) s.set_pid(recovered ? recovered->session.pid : random_id20());
  sockets_.emplace(admit.nsp, std::move(socket));
  loop_.rooms.add(&s);
  host_.count(Counter::socket_connected);

  // Missed packets go before the CONNECT reply (docs/protocol-reference.md, Restoring a session);
  // the client emits them just before its `connect` event.
  if (recovered) send_missed(s, *recovered);

  // The CONNECT reply goes first, then anything the connection handler sends.
  sio::Packet reply;
  reply.type = sio::PacketType::connect;
  reply.nsp = admit.nsp;
  json::object body{{"sid", s.id()}};
  if (!s.pid().empty()) body["pid"] = s.pid();
  reply.data = std::move(body);
  send_packet(reply);
  join(s, s.id());
  if (recovered) {
    // Back in its rooms without their retained messages: the client kept its state.
    for (const auto& room : recovered->session.rooms)
      if (s.may_join(room)) join(s, room, false);
  } else {
    for (const auto& room : host_.settings().default_rooms)
      if (s.may_join(room)) join(s, room);
  }
  save_for_recovery(s);
  return s;
}

bool SocketIoClient::join(Socket& socket, const std::string& room, bool send_retained) {
  // A join can follow a close within one handler (the CONNECT reply overflowed the queue):
  // the socket is about to be freed and must not enter the room index again.
  if (socket.removed() || session_.closed()) return false;
  if (socket.rooms().contains(room)) return true;
  // The socket's own id room does not count against the cap.
  const std::size_t others = socket.rooms().size() - (socket.rooms().contains(socket.id()) ? 1 : 0);
  if (room != socket.id() && others >= host_.settings().max_rooms_per_socket) {
    host_.count(Counter::room_limit);
    host_.refusal_log().log(spdlog::level::info,
                            "session {} ({}): socket {} at {} rooms: join of {} denied",
                            session_.sid(), session_.address(), socket.id(), others, room);
    return false;
  }
  socket.rooms().insert(room);
  loop_.rooms.join(&socket, room);
  if (room == socket.id()) return true;
  // A room joined later (subscribe) is part of what a recovery restores.
  if (socket.saved_at() != std::chrono::steady_clock::time_point{}) save_for_recovery(socket);
  if (!send_retained) return true;
  for (const auto& entry : host_.retained().for_room(socket.nsp(), room))
    socket.send_frames(entry.frames);
  return true;
}

void SocketIoClient::leave(Socket& socket, const std::string& room) {
  if (socket.removed()) return;
  if (room == socket.id() || socket.rooms().erase(room) == 0) return;
  loop_.rooms.leave(&socket, room);
  save_for_recovery(socket);
}

namespace {

// Rooms named by the first argument of subscribe/unsubscribe: a string or an array of them.
std::vector<std::string> rooms_argument(const json::array& args) {
  std::vector<std::string> rooms;
  if (args.size() < 2) return rooms;
  const json::value& v = args[1];
  if (v.is_string()) rooms.emplace_back(v.as_string());
  if (v.is_array())
    for (const auto& r : v.as_array())
      if (r.is_string()) rooms.emplace_back(r.as_string());
  return rooms;
}

// `pulseboard:visibility`'s one argument, exactly {hidden: bool}; nothing for anything else.
std::optional<bool> visibility_argument(const json::array& args) {
  if (args.size() != 2 || !args[1].is_object()) return std::nullopt;
  const json::object& o = args[1].as_object();
  const json::value* hidden = o.if_contains("hidden");
  if (o.size() != 1 || !hidden || !hidden->is_bool()) return std::nullopt;
  return hidden->as_bool();
}

// A lost transport, a ping timeout or a shutdown: the client will come back for its socket.
// Anything else (a protocol error, a bound crossed) is not recovered.
bool recoverable_close(eio::CloseReason reason) {
  using enum eio::CloseReason;
  switch (reason) {
    case transport_close:
    case transport_error:
    case ping_timeout:
    case server_shutting_down:
    case forced_server_close:
      return true;
    case parse_error:
    case send_queue_overflow:
    case upgrade_timeout:
    case connect_timeout:
    case namespace_too_long:
    case connect_attempts:
    case connect_rate:
      return false;
  }
  return false;
}

}  // namespace

// Built-in events a client may send:
//   subscribe(room | [rooms], ack?)   joins rooms the token allows; ack {joined, denied}
//   unsubscribe(room | [rooms], ack?) leaves them; ack {left}
//   echo(...args, ack?)               with an ack id: acks the same args (binary included);
//                                     without: the server emits "echo" with an ack id, then
//                                     reports the client's ack args as "echo-ack"
//   pulseboard:visibility({hidden: bool}, ack?) the dashboard's tab was hidden or shown again;
//                                     ack {hidden} (docs/gateway.md, "Flow control")
// Other events are accepted and ignored (dashboards only listen).
void SocketIoClient::on_event(Socket& socket, sio::Packet& packet) {
  if (!packet.data || !packet.data->is_array() || packet.data->as_array().empty()) return;
  const json::array& args = packet.data->as_array();
  const json::value& name = args[0];
  if (!name.is_string()) return;
  std::string_view event = name.as_string();

  auto ack = [&](json::array reply, std::vector<std::string> attachments = {}) {
    if (!packet.id) return;
    sio::Packet p;
    p.type = sio::PacketType::ack;
    p.nsp = socket.nsp();
    p.id = packet.id;
    p.data = std::move(reply);
    p.attachments = std::move(attachments);
    send_packet(p);
  };

  if (event == "subscribe") {
    json::array joined, denied;
    for (auto& room : rooms_argument(args)) {
      if (room.empty() || room.size() > 256 || !socket.may_join(room) || !join(socket, room)) {
        denied.emplace_back(room);
        continue;
      }
      joined.emplace_back(room);
    }
    ack(json::array{json::object{{"joined", joined}, {"denied", denied}}});
  } else if (event == "unsubscribe") {
    json::array left;
    for (auto& room : rooms_argument(args)) {
      leave(socket, room);
      left.emplace_back(room);
    }
    ack(json::array{json::object{{"left", left}}});
  } else if (event == "pulseboard:visibility") {
    if (auto hidden = apply_visibility(socket, args))
      ack(json::array{json::object{{"hidden", *hidden}}});
  } else if (event == "echo") {
    json::array rest(args.begin() + 1, args.end());
    if (packet.id) {
      ack(std::move(rest), packet.attachments);
    } else {
      std::weak_ptr<eio::Session> weak = session_.shared_from_this();
      std::string nsp = socket.nsp();
      socket.emit(
          "echo", rest, packet.attachments,
          [this, weak, nsp](const json::array& reply, const std::vector<std::string>& attachments) {
            auto session = weak.lock();
            if (!session || session->closed()) return;
            auto it = sockets_.find(nsp);
            if (it != sockets_.end()) it->second->emit("echo-ack", reply, attachments);
          });
    }
  }
}

std::optional<bool> SocketIoClient::apply_visibility(Socket& socket, const json::array& args) {
  std::optional<bool> hidden = visibility_argument(args);
  if (!hidden) {
    host_.count(Counter::visibility_invalid);
    host_.refusal_log().log(
        spdlog::level::info,
        "session {} ({}): socket {}: visibility event refused (need {{hidden: true|false}})",
        session_.sid(), session_.address(), socket.id());
    return std::nullopt;
  }
  socket.set_hidden(*hidden);
  return hidden;
}

// The socket leaves every room at once (no delivery reaches it any more) but is freed on a
// later loop turn: a caller up the stack (a peer's socketsJoin walking its targets, a handler
// that disconnected it) may still hold a reference.
void SocketIoClient::remove_socket(const std::string& nsp) {
  auto it = sockets_.find(nsp);
  if (it == sockets_.end()) return;
  loop_.rooms.remove(it->second.get());
  it->second->mark_removed();
  host_.count(Counter::socket_removed);
  boost::asio::post(session_.ioc(), [retired = std::move(it->second)] {});
  sockets_.erase(it);
}

void SocketIoClient::disconnect(const std::string& nsp) {
  auto it = sockets_.find(nsp);
  if (it == sockets_.end()) return;
  forget_for_recovery(*it->second);  // "server namespace disconnect" is not recovered
  sio::Packet p;
  p.type = sio::PacketType::disconnect;
  p.nsp = nsp;
  send_packet(p);
  remove_socket(nsp);
}

void SocketIoClient::on_close(eio::CloseReason reason) {
  connect_deadline_.reset();
  // docs/protocol-reference.md, Recoverable disconnects.
  const bool recoverable = recoverable_close(reason);
  for (auto& [nsp, socket] : sockets_) {
    if (recoverable)
      save_for_recovery(*socket, true);
    else
      forget_for_recovery(*socket);
  }
  while (!sockets_.empty()) remove_socket(sockets_.begin()->first);
}

}  // namespace pulseboard::socketio
