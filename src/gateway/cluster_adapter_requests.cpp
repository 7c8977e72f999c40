// Answers to the classic adapter's requests (PROTOCOL.md §5.1 table). Every handler asks each
// event loop about its own sockets (cluster_loops.hpp) and publishes at most one response, or,
// for BROADCAST with acks, one client count followed by one response per client ack.
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <ctime>
#include <mutex>
#include <set>

#include "gateway/cluster_adapter.hpp"
#include "gateway/cluster_loops.hpp"
#include "gateway/engine_session.hpp"
#include "gateway/server.hpp"
#include "gateway/socketio_client.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;
using cluster::Request;
using cluster::RequestType;
using cluster::Response;

namespace {

struct Target {
  std::vector<std::string> rooms, except;
};

// Sockets a request is about: its opts, or the legacy form naming one socket id (a room too).
Target target_of(const Request& r) {
  if (r.opts) return {r.opts->rooms, r.opts->except};
  if (r.sid) return {{*r.sid}, {}};
  return {r.rooms, {}};
}

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

// The legacy single-socket requests are answered with just their id.
Response bare_response(const std::string& request_id) {
  Response r;
  r.request_id = request_id;
  return r;
}

}  // namespace

void ClusterAdapter::answer_sockets(const std::string& nsp, const Request& request) {
  if (!request.request_id) return;
  auto self = shared_from_this();
  Target t = target_of(request);
  gather_loops<json::array>(
      server_.context(),
      [nsp, t](Loop& loop) {
        json::array ids;
        for (Socket* s : loop.rooms.select(nsp, t.rooms, t.except)) ids.emplace_back(s->id());
        return ids;
      },
      [self, nsp, id = *request.request_id](std::vector<json::array> parts) {
        json::array all;
        for (auto& part : parts)
          for (auto& v : part) all.push_back(std::move(v));
        Response r;
        r.request_id = id;
        r.sockets = std::move(all);
        self->respond(nsp, r);
      });
}

void ClusterAdapter::answer_all_rooms(const std::string& nsp, const Request& request) {
  if (!request.request_id) return;
  auto self = shared_from_this();
  gather_loops<std::vector<std::string>>(
      server_.context(), [nsp](Loop& loop) { return loop.rooms.room_names(nsp); },
      [self, nsp, id = *request.request_id](std::vector<std::vector<std::string>> parts) {
        std::set<std::string> rooms;
        for (auto& part : parts) rooms.insert(part.begin(), part.end());
        Response r;
        r.request_id = id;
        r.rooms = std::vector<std::string>(rooms.begin(), rooms.end());
        self->respond(nsp, r);
      });
}

void ClusterAdapter::apply_membership(const std::string& nsp, const Request& request, bool join) {
  Target t = target_of(request);
  // Legacy form: {sid, room}; current form: {opts, rooms}.
  std::vector<std::string> rooms = request.opts ? request.rooms : std::vector<std::string>{};
  if (!request.opts && request.room) rooms.push_back(*request.room);
  if (rooms.empty()) return;
  auto self = shared_from_this();
  gather_loops<std::size_t>(
      server_.context(),
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
      [self, nsp, legacy = !request.opts, id = request.request_id](std::vector<std::size_t> n) {
        std::size_t total = 0;
        for (auto c : n) total += c;
        if (legacy && id && total > 0) self->respond(nsp, bare_response(*id));
      });
}

void ClusterAdapter::apply_disconnect(const std::string& nsp, const Request& request) {
  Target t = target_of(request);
  bool close = request.close.value_or(false);
  auto self = shared_from_this();
  gather_loops<std::size_t>(
      server_.context(),
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
      [self, nsp, legacy = !request.opts, id = request.request_id](std::vector<std::size_t> n) {
        std::size_t total = 0;
        for (auto c : n) total += c;
        if (legacy && id && total > 0) self->respond(nsp, bare_response(*id));
      });
}

void ClusterAdapter::answer_fetch(const std::string& nsp, const Request& request) {
  if (!request.request_id) return;
  auto self = shared_from_this();
  Target t = target_of(request);
  gather_loops<json::array>(
      server_.context(),
      [nsp, t](Loop& loop) {
        json::array out;
        for (Socket* s : loop.rooms.select(nsp, t.rooms, t.except))
          out.emplace_back(socket_details(*s));
        return out;
      },
      [self, nsp, id = *request.request_id](std::vector<json::array> parts) {
        json::array all;
        for (auto& part : parts)
          for (auto& v : part) all.push_back(std::move(v));
        Response r;
        r.request_id = id;
        r.sockets = std::move(all);
        self->respond(nsp, r);
      });
}

// The gateway registers no server-side event handlers. A Node server waits for an answer from
// every other server before `serverSideEmitWithAck` resolves, so the gateway answers each one
// with null instead of letting the caller run into its timeout; without an ack, nothing happens.
void ClusterAdapter::answer_server_side_emit(const std::string& nsp, const Request& request) {
  if (!request.request_id) return;
  Response r;
  r.type = RequestType::server_side_emit;
  r.request_id = *request.request_id;
  r.data = json::value(nullptr);
  respond(nsp, r);
}

namespace {

// One BROADCAST-with-ack request: the client count must reach Redis before any client's ack,
// because the requester adds up counts and acks to know when it is complete. Acks that arrive
// while the loops are still counting wait here.
struct AckBroadcast {
  std::mutex mutex;
  bool counted = false;
  std::vector<Response> early;
};

}  // namespace

void ClusterAdapter::broadcast_with_ack(const std::string& nsp, const Request& request) {
  if (!request.request_id || !request.packet) return;
  const auto* data = request.packet->data.if_array();
  if (!data || data->empty() || !data->front().is_string()) return;
  std::string event(data->front().as_string());
  json::array args(data->begin() + 1, data->end());
  auto attachments = request.packet->attachments;
  Target t = target_of(request);
  auto state = std::make_shared<AckBroadcast>();
  auto self = shared_from_this();
  std::string id = *request.request_id;

  auto on_ack = [self, state, nsp, id](const json::array& reply,
                                       const std::vector<std::string>& reply_attachments) {
    Response r;
    r.type = RequestType::broadcast_ack;
    r.request_id = id;
    r.packet = reply.empty() ? json::value(nullptr) : reply.front();
    r.attachments = reply_attachments;
    {
      std::lock_guard lock(state->mutex);
      if (!state->counted) {
        state->early.push_back(std::move(r));
        return;
      }
    }
    self->respond(nsp, r);
  };
  gather_loops<std::size_t>(
      server_.context(),
      [nsp, t, event, args, attachments, on_ack](Loop& loop) {
        std::size_t count = 0;
        for (Socket* s : loop.rooms.select(nsp, t.rooms, t.except)) {
          if (s->session().closed()) continue;
          s->emit(event, args, attachments, on_ack);
          ++count;
        }
        return count;
      },
      [self, state, nsp, id](std::vector<std::size_t> counts) {
        std::uint64_t total = 0;
        for (auto c : counts) total += c;
        Response count;
        count.type = RequestType::broadcast_client_count;
        count.request_id = id;
        count.client_count = total;
        std::lock_guard lock(state->mutex);
        self->respond(nsp, count);
        state->counted = true;
        for (auto& r : state->early) self->respond(nsp, r);
        state->early.clear();
      });
}

}  // namespace pulseboard::gateway
