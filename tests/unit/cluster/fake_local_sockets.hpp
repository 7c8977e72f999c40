#pragma once
// A gateway's face to the adapters without a gateway: sockets are ids with rooms, a broadcast
// is recorded per socket, and room changes are reported when the test says so. What the
// adapters ask of it is what they ask of the real one (gateway/local_sockets.hpp).
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster/adapter.hpp"

namespace pulseboard::cluster::testing {

struct CountingMetrics final : AdapterMetrics {
  void message_received() override { ++received; }
  void message_malformed() override { ++malformed; }
  void message_over_limit() override { ++over_limit; }
  void stream_entry_read() override { ++entries; }
  void bridge_entry_read(std::int64_t committed_at_ms) override {
    bridge_committed_at.push_back(committed_at_ms);
  }
  int received = 0, malformed = 0, over_limit = 0, entries = 0;
  std::vector<std::int64_t> bridge_committed_at;
};

class FakeLocalSockets final : public LocalSockets {
 public:
  struct Socket {
    std::string id;
    std::set<std::string> rooms;               // besides its own id
    std::vector<boost::json::value> received;  // the event data of each broadcast
    std::vector<std::vector<std::string>> attachments;
  };

  const std::vector<std::string>& namespaces() const override { return namespaces_; }
  bool recovery_enabled() const override { return false; }
  AdapterMetrics& metrics() override { return metrics_; }
  boost::asio::any_io_executor executor() override { return ioc.get_executor(); }
  void observe_rooms(RoomObserver observer) override {
    observer_ = std::move(observer);
    for (auto& [id, s] : sockets_) report(s, true);
  }

  bool broadcast(const std::string&, boost::json::value data, std::vector<std::string> attachments,
                 const BroadcastOptions& opts, const std::string& = {}) override {
    const auto* a = data.if_array();
    if (!a || a->empty() || !a->front().is_string()) return false;
    for (Socket* s : select(target_of(opts))) {
      s->received.push_back(data);
      s->attachments.push_back(attachments);
    }
    return true;
  }
  void socket_ids(const std::string&, Target t, Sockets done) override {
    boost::json::array ids;
    for (Socket* s : select(t)) ids.emplace_back(s->id);
    done(std::move(ids));
  }
  void room_names(const std::string&, Rooms done) override {
    std::set<std::string> rooms;
    for (auto& [id, s] : sockets_) rooms.insert(s.rooms.begin(), s.rooms.end());
    done({rooms.begin(), rooms.end()});
  }
  void fetch_sockets(const std::string&, Target t, Sockets done) override {
    boost::json::array out;
    for (Socket* s : select(t)) {
      boost::json::array rooms(s->rooms.begin(), s->rooms.end());
      out.emplace_back(boost::json::object{{"id", s->id}, {"rooms", std::move(rooms)}});
    }
    done(std::move(out));
  }
  void update_membership(const std::string&, Target t, std::vector<std::string> rooms, bool join,
                         const Limits&, Count done) override {
    auto sockets = select(t);
    for (Socket* s : sockets)
      for (const auto& room : rooms) {
        bool had = s->rooms.contains(room);
        if (join && !had) s->rooms.insert(room);
        if (!join && had) s->rooms.erase(room);
        if (join != had && observer_) observer_("/", room, join, false);
      }
    done(sockets.size());
  }
  void disconnect_sockets(const std::string&, Target t, bool close, Count done) override {
    auto sockets = select(t);
    for (Socket* s : sockets) {
      disconnected.emplace_back(s->id, close);
      report(*s, false);
      sockets_.erase(s->id);
    }
    done(sockets.size());
  }
  bool broadcast_with_ack(const std::string& nsp, Target t, boost::json::value data,
                          std::vector<std::string> attachments, const Limits&, AckCount on_count,
                          AckReply on_ack) override {
    BroadcastOptions opts;
    opts.rooms = t.rooms;
    opts.except = t.except;
    if (!broadcast(nsp, std::move(data), std::move(attachments), opts)) return false;
    on_count(select(t).size());
    acks.push_back(std::move(on_ack));
    return true;
  }
  void deliver_unstreamed(const BridgeEntry& message, std::string_view why) override {
    unstreamed.emplace_back(message.offset, std::string(why));
  }

  // A client connects (its id room and `rooms` come to exist) or leaves.
  Socket& connect(const std::string& id, std::set<std::string> rooms = {"live-metrics"}) {
    Socket& s = sockets_[id] = Socket{id, std::move(rooms), {}, {}};
    report(s, true);
    return s;
  }
  void leave(const std::string& id) {
    report(sockets_.at(id), false);
    sockets_.erase(id);
  }
  bool connected(const std::string& id) const { return sockets_.contains(id); }
  // One event loop reports a room, as each loop of a gateway does for its own sockets.
  void loop_reports(const std::string& room, bool exists) {
    if (observer_) observer_("/", room, exists, false);
  }

  boost::asio::io_context ioc;
  CountingMetrics metrics_;
  std::vector<std::pair<std::string, bool>> disconnected;  // id, close
  std::vector<AckReply> acks;  // one per broadcast with acks, to answer as a client would
  std::vector<std::pair<std::string, std::string>> unstreamed;  // offset, why

 private:
  // Sockets in any of `rooms` (all when empty; a socket's id is a room) and in none of `except`.
  std::vector<Socket*> select(const Target& t) {
    auto in = [](const Socket& s, const std::vector<std::string>& rooms) {
      return std::any_of(rooms.begin(), rooms.end(),
                         [&](const std::string& r) { return r == s.id || s.rooms.contains(r); });
    };
    std::vector<Socket*> out;
    for (auto& [id, s] : sockets_)
      if ((t.rooms.empty() || in(s, t.rooms)) && !in(s, t.except)) out.push_back(&s);
    return out;
  }
  // A room exists while a socket is in it: the other sockets are checked first.
  void report(const Socket& s, bool exists) {
    if (!observer_) return;
    observer_("/", s.id, exists, true);
    for (const auto& room : s.rooms) {
      bool others = std::any_of(sockets_.begin(), sockets_.end(), [&](const auto& kv) {
        return kv.first != s.id && kv.second.rooms.contains(room);
      });
      if (!others) observer_("/", room, exists, false);
    }
  }

  std::vector<std::string> namespaces_{"/"};
  RoomObserver observer_;
  std::map<std::string, Socket> sockets_;
};

}  // namespace pulseboard::cluster::testing
