#pragma once
// A Node server on the sharded adapter's channels, as the adapter's tests see it: a broker that
// records what the adapter subscribes and publishes, messages sent as a Node server's
// ShardedRedisAdapter sends them (cluster/sharded_codec.hpp), and its responses decoded.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.hpp"
#include "cluster/sharded_codec.hpp"

namespace pulseboard::testing {

class RecordingBroker final : public broker::Broker {
 public:
  void publish(std::string channel, std::string payload, broker::PublishDone done) override {
    published.emplace_back(std::move(channel), std::move(payload));
    if (done) done({});
  }
  void subscribe(std::string channel, broker::MessageHandler handler) override {
    ++subscribes[channel];
    handlers[channel] = std::move(handler);
  }
  void psubscribe(std::string, broker::MessageHandler) override { ADD_FAILURE() << "psubscribe"; }
  void unsubscribe(std::string channel) override {
    ++unsubscribes[channel];
    handlers.erase(channel);
  }
  bool ready() const override { return true; }

  std::map<std::string, int> subscribes, unsubscribes;
  std::map<std::string, broker::MessageHandler> handlers;
  std::vector<std::pair<std::string, std::string>> published;
};

struct ShardedNodePeer {
  using Message = cluster::sharded::Message;
  using MessageType = cluster::sharded::MessageType;
  static constexpr std::string_view kUid = "0123456789abcdef";
  static constexpr std::string_view kChannel = "socket.io#/#0123456789abcdef#";

  // Delivers `m` from this Node server on `channel`, as the broker would.
  void send(const std::string& channel, Message m) {
    m.uid = std::string(kUid);
    auto it = broker->handlers.find(channel);
    ASSERT_NE(it, broker->handlers.end()) << "not subscribed: " << channel;
    it->second(channel, cluster::sharded::encode(m));
  }

  // Responses published to this Node server, decoded, in order.
  std::vector<Message> responses() const {
    std::vector<Message> out;
    for (auto& [channel, payload] : broker->published) {
      EXPECT_EQ(channel, kChannel);
      auto d = cluster::sharded::decode(payload);
      EXPECT_TRUE(d.message) << payload;
      if (d.message) out.push_back(std::move(*d.message));
    }
    return out;
  }

  static Message to(MessageType type, std::vector<std::string> rooms,
                    std::vector<std::string> except = {}) {
    Message m;
    m.type = type;
    m.opts.emplace();
    m.opts->rooms = std::move(rooms);
    m.opts->except = std::move(except);
    return m;
  }
  static Message event(std::vector<std::string> rooms, boost::json::array data,
                       std::vector<std::string> except = {}) {
    Message m = to(MessageType::broadcast, std::move(rooms), std::move(except));
    m.packet = boost::json::object{{"type", 2}, {"data", std::move(data)}};
    return m;
  }

  std::shared_ptr<RecordingBroker> broker = std::make_shared<RecordingBroker>();
};

}  // namespace pulseboard::testing
