#include "gateway/local_sockets.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <limits>
#include <memory>
#include <mutex>
#include <set>

#include "cluster/msgpack.hpp"
#include "common/clock.hpp"
#include "engineio/session.hpp"
#include "gateway/bridge_broadcast.hpp"
#include "gateway/cluster_loops.hpp"
#include "gateway/gateway.hpp"
#include "sio/packet.hpp"
#include "socketio/socketio_client.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;
using cluster::Target;

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
json::object socket_details(socketio::Socket& s) {
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

// [event, ...args] whose placeholders all name an attachment: anything else would make
// socket.io-client drop its connection ("parse error"), so it is never sent on.
bool is_event_data(const json::value& data, std::size_t attachments) {
  const auto* a = data.if_array();
  return a && !a->empty() && a->front().is_string() &&
         cluster::msgpack::placeholders_in_range(data, attachments);
}

// One broadcast with acks: the count must be handed on before any client's ack. Acks that
// arrive while the loops are still counting wait here.
struct AckBroadcast {
  std::mutex mutex;
  bool counted = false;
  std::vector<std::pair<json::value, std::vector<std::string>>> early;
};

// Runs `apply` when `per_socket` bytes for every target socket stay within the fan-out bound;
// otherwise refuses the request and runs `refused`. Connected sockets of all namespaces are an
// upper bound on the targets known without a round trip; only when that bound is too high
// are the targets counted on each loop first, and the decision made on the exact count.
}  // namespace

void LoopSockets::within_fanout(const std::string& nsp, const Target& t, std::size_t per_socket,
                                const cluster::Limits& limits, std::string_view what,
                                std::function<void()> apply, std::function<void()> refused) {
  auto connected = server_.metrics().sockets_connected.load(std::memory_order_relaxed);
  if (cluster::fanout_within(static_cast<std::size_t>(std::max<std::int64_t>(connected, 0)),
                             per_socket, limits))
    return apply();
  gather_loops<std::size_t>(
      server_.loops(),
      [nsp, t](Loop& loop) { return loop.rooms.select(nsp, t.rooms, t.except).size(); },
      [this, per_socket, limits, what = std::string(what), apply = std::move(apply),
       refused = std::move(refused)](std::vector<std::size_t> counts) {
        std::size_t total = 0;
        for (auto c : counts) total += c;
        if (cluster::fanout_within(total, per_socket, limits)) return apply();
        cluster::refuse(metrics_, "adapter", cluster::Bound::fanout_bytes, what,
                        total > std::numeric_limits<std::size_t>::max() / per_socket
                            ? std::numeric_limits<std::size_t>::max()
                            : total * per_socket);
        refused();
      });
}

void AdapterMetricsOf::message_received() {
  metrics_.adapter_messages_total.fetch_add(1, std::memory_order_relaxed);
}
void AdapterMetricsOf::message_malformed() {
  metrics_.adapter_messages_malformed.fetch_add(1, std::memory_order_relaxed);
}
void AdapterMetricsOf::message_over_limit() {
  metrics_.adapter_messages_over_limit.fetch_add(1, std::memory_order_relaxed);
}
void AdapterMetricsOf::stream_entry_read() {
  metrics_.stream_entries_total.fetch_add(1, std::memory_order_relaxed);
}
void AdapterMetricsOf::bridge_entry_read(std::int64_t committed_at_ms) {
  // Commit -> handed to this gateway's sockets, as Gateway::deliver_bridge_message times it.
  metrics_.delivery_latency.observe(static_cast<double>(now_unix_ms() - committed_at_ms) / 1000.0);
}

LoopSockets::LoopSockets(Gateway& server) : server_(server), metrics_(server.metrics()) {}

const std::vector<std::string>& LoopSockets::namespaces() const {
  return server_.config().namespaces;
}

bool LoopSockets::recovery_enabled() const {
  return server_.recovery() != nullptr;
}

boost::asio::any_io_executor LoopSockets::executor() {
  return server_.loops().front()->ioc.get_executor();
}

void LoopSockets::observe_rooms(RoomObserver observer) {
  for (auto& loop : server_.loops())
    boost::asio::post(loop->ioc, [l = loop.get(), observer] { l->rooms.observe_rooms(observer); });
}

bool LoopSockets::broadcast(const std::string& nsp, json::value data,
                            std::vector<std::string> attachments,
                            const cluster::BroadcastOptions& opts, const std::string& offset) {
  if (!is_event_data(data, attachments.size())) return false;
  const bool recoverable = !offset.empty() && recovery_enabled() && !opts.is_volatile;
  if (recoverable) data.as_array().emplace_back(offset);
  sio::Packet packet;
  packet.type = sio::PacketType::event;  // encode() writes BINARY_EVENT when attachments exist
  packet.nsp = nsp;
  packet.data = std::move(data);
  packet.attachments = std::move(attachments);
  auto b = std::make_shared<socketio::Broadcast>();
  b->nsp = nsp;
  b->rooms = opts.rooms;
  b->except = opts.except;
  b->is_volatile = opts.is_volatile;
  b->frames = socketio::encode_frames(packet);
  if (recoverable) b->offset = offset;
  server_.broadcast(std::move(b));
  return true;
}

void LoopSockets::socket_ids(const std::string& nsp, Target t, Sockets done) {
  gather_loops<json::array>(
      server_.loops(),
      [nsp, t](Loop& loop) {
        json::array ids;
        for (socketio::Socket* s : loop.rooms.select(nsp, t.rooms, t.except))
          ids.emplace_back(s->id());
        return ids;
      },
      [done = std::move(done)](std::vector<json::array> parts) {
        json::array all;
        for (auto& part : parts)
          for (auto& v : part) all.push_back(std::move(v));
        done(std::move(all));
      });
}

void LoopSockets::room_names(const std::string& nsp, Rooms done) {
  gather_loops<std::vector<std::string>>(
      server_.loops(), [nsp](Loop& loop) { return loop.rooms.room_names(nsp); },
      [done = std::move(done)](std::vector<std::vector<std::string>> parts) {
        std::set<std::string> rooms;
        for (auto& part : parts) rooms.insert(part.begin(), part.end());
        done(std::vector<std::string>(rooms.begin(), rooms.end()));
      });
}

void LoopSockets::fetch_sockets(const std::string& nsp, Target t, Sockets done) {
  gather_loops<json::array>(
      server_.loops(),
      [nsp, t](Loop& loop) {
        json::array out;
        for (socketio::Socket* s : loop.rooms.select(nsp, t.rooms, t.except))
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

void LoopSockets::update_membership(const std::string& nsp, Target t,
                                    std::vector<std::string> rooms, bool join,
                                    const cluster::Limits& limits, Count done) {
  auto apply = [this, nsp, t, rooms, join, done] {
    gather_loops<std::size_t>(
        server_.loops(),
        [this, nsp, t, rooms, join](Loop& loop) {
          auto sockets = loop.rooms.select(nsp, t.rooms, t.except);
          auto bound = cluster::refuse_on_bad_alloc([&] {
            for (socketio::Socket* s : sockets)
              for (const auto& room : rooms) {
                // The token's room list binds remote joins too: a JWT that limits a dashboard
                // to some rooms is not widened by another server's socketsJoin.
                if (join && s->may_join(room))
                  s->client().join(*s, room);
                else if (!join)
                  s->client().leave(*s, room);
              }
          });
          if (bound != cluster::Bound::none)
            cluster::refuse(metrics_, "adapter", bound, join ? "join" : "leave", 0);
          return sockets.size();
        },
        [done](std::vector<std::size_t> n) {
          std::size_t total = 0;
          for (auto c : n) total += c;
          done(total);
        });
  };
  if (!join) return apply();  // leaving frees memory
  std::size_t name_bytes = 0;
  for (const auto& room : rooms) name_bytes += room.size();
  within_fanout(nsp, t, cluster::join_cost_per_socket(rooms.size(), name_bytes), limits, "join",
                std::move(apply), [done] { done(0); });
}

void LoopSockets::disconnect_sockets(const std::string& nsp, Target t, bool close, Count done) {
  gather_loops<std::size_t>(
      server_.loops(),
      [nsp, t, close](Loop& loop) {
        auto sockets = loop.rooms.select(nsp, t.rooms, t.except);
        // Hold the sessions: disconnecting frees the Socket objects.
        std::vector<std::shared_ptr<eio::Session>> sessions;
        for (socketio::Socket* s : sockets) sessions.push_back(s->session().shared_from_this());
        for (std::size_t i = 0; i < sockets.size(); ++i) {
          if (close)
            sessions[i]->close(eio::CloseReason::forced_server_close);
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

bool LoopSockets::broadcast_with_ack(const std::string& nsp, Target t, json::value data,
                                     std::vector<std::string> attachments,
                                     const cluster::Limits& limits, AckCount on_count,
                                     AckReply on_ack) {
  if (!is_event_data(data, attachments.size())) return false;
  auto per_socket = cluster::ack_cost_per_socket(data, attachments);
  const auto& a = data.get_array();
  std::string event(a.front().get_string());
  auto args = std::make_shared<const json::array>(a.begin() + 1, a.end());
  auto shared_attachments =
      std::make_shared<const std::vector<std::string>>(std::move(attachments));
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
  auto emit = [this, nsp, t, event, args, shared_attachments, ack, state, on_count, on_ack] {
    gather_loops<std::size_t>(
        server_.loops(),
        [this, nsp, t, event, args, shared_attachments, ack](Loop& loop) {
          std::size_t count = 0;
          auto bound = cluster::refuse_on_bad_alloc([&] {
            for (socketio::Socket* s : loop.rooms.select(nsp, t.rooms, t.except)) {
              if (s->session().closed()) continue;
              s->emit(event, *args, *shared_attachments, ack);
              ++count;
            }
          });
          if (bound != cluster::Bound::none)
            cluster::refuse(metrics_, "adapter", bound, "broadcast with acks", 0);
          return count;
        },
        [state, on_count, on_ack](std::vector<std::size_t> counts) {
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
  };
  within_fanout(nsp, t, per_socket, limits, "broadcast with acks", std::move(emit), [] {});
  return true;
}

void LoopSockets::deliver_unstreamed(const cluster::BridgeEntry& m, std::string_view why) {
  server_.metrics().bridge_stream_fallbacks.fetch_add(1, std::memory_order_relaxed);
  server_.refusal_log().log(
      spdlog::level::warn,
      "streams adapter: bridge message {} not appended to the stream ({}): delivered "
      "to this gateway's sockets without an offset",
      m.offset, why);
  server_.broadcast(to_broadcast(
      {.nsp = m.nsp, .room = m.room, .event = m.event, .args = m.args, .offset = m.offset}));
}

}  // namespace pulseboard::gateway
