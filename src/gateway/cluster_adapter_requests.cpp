// Answers to the classic adapter's requests (docs/protocol-reference.md, Classic adapter requests).
// The effects on local sockets are shared with the sharded adapter (cluster_adapter_local.hpp);
// this file turns requests into those operations and their results into at most one response or,
// for BROADCAST with acks, one client count followed by one response per client ack.
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <set>

#include "gateway/cluster_adapter.hpp"
#include "gateway/cluster_adapter_local.hpp"
#include "gateway/cluster_loops.hpp"
#include "gateway/gateway.hpp"
#include "gateway/socket.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;
using cluster::Request;
using cluster::RequestType;
using cluster::Response;

namespace {

// Sockets a request is about: its opts, or the legacy form naming one socket id (a room too).
local::Target target_of(const Request& r) {
  if (r.opts) return local::target_of(*r.opts);
  if (r.sid) return {{*r.sid}, {}};
  return {r.rooms, {}};
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
  local::Target t = target_of(request);
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
  // Legacy form: {sid, room}; current form: {opts, rooms}.
  std::vector<std::string> rooms = request.opts ? request.rooms : std::vector<std::string>{};
  if (!request.opts && request.room) rooms.push_back(*request.room);
  if (rooms.empty()) return;
  local::update_membership(server_, nsp, target_of(request), std::move(rooms), join,
                           options_.limits,
                           [self = shared_from_this(), nsp, legacy = !request.opts,
                            id = request.request_id](std::size_t total) {
                             if (legacy && id && total > 0) self->respond(nsp, bare_response(*id));
                           });
}

void ClusterAdapter::apply_disconnect(const std::string& nsp, const Request& request) {
  local::disconnect_sockets(server_, nsp, target_of(request), request.close.value_or(false),
                            [self = shared_from_this(), nsp, legacy = !request.opts,
                             id = request.request_id](std::size_t total) {
                              if (legacy && id && total > 0) self->respond(nsp, bare_response(*id));
                            });
}

void ClusterAdapter::answer_fetch(const std::string& nsp, const Request& request) {
  if (!request.request_id) return;
  local::fetch_sockets(server_, nsp, target_of(request),
                       [self = shared_from_this(), nsp, id = *request.request_id](json::array all) {
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

void ClusterAdapter::broadcast_with_ack(const std::string& nsp, const Request& request) {
  if (!request.request_id || !request.packet) return;
  auto self = shared_from_this();
  std::string id = *request.request_id;
  bool sent = local::broadcast_with_ack(
      server_, nsp, target_of(request), request.packet->data, request.packet->attachments,
      options_.limits,
      [self, nsp, id](std::uint64_t clients) {
        Response count;
        count.type = RequestType::broadcast_client_count;
        count.request_id = id;
        count.client_count = clients;
        self->respond(nsp, count);
      },
      [self, nsp, id](json::value first, std::vector<std::string> attachments) {
        Response r;
        r.type = RequestType::broadcast_ack;
        r.request_id = id;
        r.packet = std::move(first);
        r.attachments = std::move(attachments);
        self->respond(nsp, r);
      });
  if (!sent) {
    server_.context().metrics.adapter_messages_malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("cluster adapter: broadcast with acks is no event or names a missing attachment");
  }
}

}  // namespace pulseboard::gateway
