#include "gateway/cluster_adapter_local.hpp"

#include <boost/json.hpp>

#include <ctime>
#include <memory>
#include <mutex>

#include "gateway/cluster_loops.hpp"
#include "gateway/engine_session.hpp"
#include "gateway/server.hpp"
#include "gateway/socketio_client.hpp"
#include "socketio/packet.hpp"

namespace pulseboard::gateway::local {
namespace json = boost::json;

namespace {

// JavaScript's Date#toString shape, in UTC, for the handshake's `time`.
std::string js_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[80];
  std::strftime(buf, sizeof buf, "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);
  return buf;
}

// What a Node RemoteSocket is built from. The handshake is as plausible as this gateway knows
// it: headers, address and query are not kept after the handshake, so they are empty.
json::object socket_details(Socket& s) {
  auto issued =
      std::chrono::duration_cast<std::chrono::milliseconds>(s.connected_at().time_since_epoch())
          .count();
  json::array rooms;
  for (const auto& room : s.rooms()) rooms.emplace_back(room);
  json::object data;
  if (!s.subject().empty()) data["sub"] = s.subject();
  return json::object{{"id", s.id()},
                      {"handshake", json::object{{"headers", json::object{}},
                                                 {"time", js_date(s.connected_at())},
                                                 {"address", ""},
                                                 {"xdomain", false},
                                                 {"secure", false},
                                                 {"issued", issued},
                                                 {"url", "/socket.io/"},
                                                 {"query", json::object{}},
                                                 {"auth", json::object{}}}},
                      {"rooms", std::move(rooms)},
                      {"data", std::move(data)}};
}

bool is_event_data(const json::value& data) {
  const auto* a = data.if_array();
  return a && !a->empty() && a->front().is_string();
}

// One broadcast with acks: the count must be handed on before any client's ack. Acks that
// arrive while the loops are still counting wait here.
struct AckBroadcast {
  std::mutex mutex;
  bool counted = false;
  std::vector<std::pair<json::value, std::vector<std::string>>> early;
};

}  // namespace

bool broadcast(Server& server, const std::string& nsp, json::value data,
               std::vector<std::string> attachments, const cluster::BroadcastOptions& opts) {
  if (!is_event_data(data)) return false;
  sio::Packet packet;
  packet.type = sio::PacketType::event;  // encode() writes BINARY_EVENT when attachments exist
  packet.nsp = nsp;
  packet.data = std::move(data);
  packet.attachments = std::move(attachments);
  auto b = std::make_shared<Broadcast>();
  b->nsp = nsp;
  b->rooms = opts.rooms;
  b->except = opts.except;
  b->is_volatile = opts.is_volatile;
  b->frames = encode_frames(packet);
  server.broadcast(std::move(b));
  return true;
}

void fetch_sockets(Server& server, const std::string& nsp, Target t,
                   std::function<void(json::array)> done) {
  gather_loops<json::array>(
      server.context(),
      [nsp, t](Loop& loop) {
        json::array out;
        for (Socket* s : loop.rooms.select(nsp, t.rooms, t.except))
          out.emplace_back(socket_details(*s));
        return out;
      },
      [done = std::move(done)](std::vector<json::array> parts) {
        json::array all;
        for (auto& part : parts)
          for (auto& v : part) all.push_back(std::move(v));
        done(std::move(all));
      });
}

void update_membership(Server& server, const std::string& nsp, Target t,
                       std::vector<std::string> rooms, bool join,
                       std::function<void(std::size_t)> done) {
  gather_loops<std::size_t>(
      server.context(),
      [nsp, t, rooms, join](Loop& loop) {
        auto sockets = loop.rooms.select(nsp, t.rooms, t.except);
        for (Socket* s : sockets)
          for (const auto& room : rooms) {
            // The token's room list binds remote joins too: a JWT that limits a dashboard to
            // some rooms is not widened by another server's socketsJoin.
            if (join && s->may_join(room))
              s->client().join(*s, room);
            else if (!join)
              s->client().leave(*s, room);
          }
        return sockets.size();
      },
      [done = std::move(done)](std::vector<std::size_t> n) {
        std::size_t total = 0;
        for (auto c : n) total += c;
        done(total);
      });
}

void disconnect_sockets(Server& server, const std::string& nsp, Target t, bool close,
                        std::function<void(std::size_t)> done) {
  gather_loops<std::size_t>(
      server.context(),
      [nsp, t, close](Loop& loop) {
        auto sockets = loop.rooms.select(nsp, t.rooms, t.except);
        // Hold the sessions: disconnecting frees the Socket objects.
        std::vector<std::shared_ptr<EngineSession>> sessions;
        for (Socket* s : sockets) sessions.push_back(s->session().shared_from_this());
        for (std::size_t i = 0; i < sockets.size(); ++i) {
          if (close)
            sessions[i]->close("forced server close");
          else
            sockets[i]->client().disconnect(nsp);
        }
        return sockets.size();
      },
      [done = std::move(done)](std::vector<std::size_t> n) {
        std::size_t total = 0;
        for (auto c : n) total += c;
        done(total);
      });
}

void broadcast_with_ack(Server& server, const std::string& nsp, Target t, json::value data,
                        std::vector<std::string> attachments, AckCount on_count, AckReply on_ack) {
  if (!is_event_data(data)) return;
  const auto& a = data.get_array();
  std::string event(a.front().get_string());
  json::array args(a.begin() + 1, a.end());
  auto state = std::make_shared<AckBroadcast>();
  auto ack = [state, on_ack](const json::array& reply,
                             const std::vector<std::string>& reply_attachments) {
    json::value first = reply.empty() ? json::value(nullptr) : reply.front();
    {
      std::lock_guard lock(state->mutex);
      if (!state->counted) {
        state->early.emplace_back(std::move(first), reply_attachments);
        return;
      }
    }
    on_ack(std::move(first), reply_attachments);
  };
  gather_loops<std::size_t>(
      server.context(),
      [nsp, t, event, args, attachments, ack](Loop& loop) {
        std::size_t count = 0;
        for (Socket* s : loop.rooms.select(nsp, t.rooms, t.except)) {
          if (s->session().closed()) continue;
          s->emit(event, args, attachments, ack);
          ++count;
        }
        return count;
      },
      [state, on_count = std::move(on_count), on_ack](std::vector<std::size_t> counts) {
        std::uint64_t total = 0;
        for (auto c : counts) total += c;
        // Under the lock so that no ack slips between the count and the early acks.
        std::lock_guard lock(state->mutex);
        on_count(total);
        state->counted = true;
        for (auto& [first, reply_attachments] : state->early)
          on_ack(std::move(first), std::move(reply_attachments));
        state->early.clear();
      });
}

}  // namespace pulseboard::gateway::local
