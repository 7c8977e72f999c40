#pragma once
// Redis implementation of the broker seam.
//
//  - Mode::pubsub: PUBLISH / SUBSCRIBE / PSUBSCRIBE on one server (a Redis Cluster works too:
//    classic PUBLISH is broadcast cluster-wide).
//  - Mode::sharded: Redis Cluster sharded pub/sub (Redis >= 7). SPUBLISH and SSUBSCRIBE go to
//    the master owning the channel's slot, which redis::ClusterRouter knows; the router is
//    asked to learn the map again on MOVED or when Redis moves a slot away (it then sends an
//    unsolicited sunsubscribe), and each new map moves the subscriptions it concerns. Redis has
//    no sharded pattern subscription, so psubscribe() in this mode is refused: it is logged and
//    ready() stays false.
//
// One connection per server for publishing and one for subscriptions. Every subscription is
// remembered and re-sent whenever its connection comes back. Publish completes only when
// Redis has answered the PUBLISH, so a caller may advance a durable position on success.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <map>
#include <optional>
#include <unordered_map>

#include "broker/broker.hpp"
#include "redis/cluster_router.hpp"
#include "redis/cluster_slots.hpp"
#include "redis/connection.hpp"

namespace pulseboard::broker {

class RedisBroker final : public Broker, public std::enable_shared_from_this<RedisBroker> {
 public:
  enum class Mode { pubsub, sharded };

  // Starts connecting at once. Handlers and `done` callbacks run on a strand of `ex`. In sharded
  // mode the broker uses `router` when given (shared with other users of the same cluster, and
  // left running by stop()), else a router of its own.
  static std::shared_ptr<RedisBroker> create(
      boost::asio::any_io_executor ex, redis::Endpoint ep, Mode mode,
      std::shared_ptr<redis::ClusterRouter> router = nullptr);
  ~RedisBroker() override;

  // Failure codes of `done` are redis::ErrorKind values (redis::error_category()).
  void publish(std::string channel, std::string payload, PublishDone done) override;
  void subscribe(std::string channel, MessageHandler handler) override;
  void psubscribe(std::string pattern, MessageHandler handler) override;
  void unsubscribe(std::string channel) override;
  // MULTI, HSET <storage key> <field> <payload>, (S)PUBLISH <channel> <payload>, EXEC.
  void publish_retained(std::string channel, std::string field, std::string payload,
                        PublishDone done) override;
  // The subscription counts as confirmed (ready()) only once the HGETALL that follows each
  // (re)subscription has answered; a failed read is retried every second.
  void subscribe_retained(std::string channel, MessageHandler handler,
                          RetainedRestore restore) override;
  // Every connection is up, every subscription is confirmed by Redis and, in sharded mode,
  // the slot map is known.
  bool ready() const override { return ready_.load(std::memory_order_acquire); }

  // Closes every connection; pending publishes fail. Also done by the destructor.
  void stop();

 private:
  struct Node {
    redis::NodeAddress address;
    std::shared_ptr<redis::Connection> pub;
    std::shared_ptr<redis::Connection> sub;
  };
  struct Subscription {
    std::shared_ptr<MessageHandler> handler;
    std::uint64_t generation = 0;  // identifies the latest (re)subscribe command
    std::string node;              // key of the node it was sent to; empty when not sent
    bool confirmed = false;
    std::shared_ptr<RetainedRestore> restore;  // subscribe_retained only
  };

  RedisBroker(boost::asio::any_io_executor ex, redis::Endpoint ep, Mode mode,
              std::shared_ptr<redis::ClusterRouter> router);
  void start();
  Node& node(const redis::NodeAddress& address);
  redis::NodeAddress route(std::string_view channel) const;
  void send_publish(std::string channel, std::string payload, PublishDone done,
                    std::optional<redis::NodeAddress> target, int redirects_left);
  void send_retained(std::string channel, std::string field, std::string payload, PublishDone done,
                     std::optional<redis::NodeAddress> target, int redirects_left);
  redis::NodeAddress retained_route(std::string_view channel) const;
  std::optional<redis::NodeAddress> follow_redirect(const redis::Reply& r);
  void read_retained(const std::string& channel, std::uint64_t generation);
  void send_subscribe(const std::string& name, bool pattern);
  void drop_subscription(const std::string& name, bool pattern);
  void handle_push(const redis::Reply& push, const std::string& node_key);
  void node_subscriber_up(const std::string& node_key);
  void node_subscriber_down(const std::string& node_key);
  void reconcile();
  void update_ready();

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  redis::Endpoint seed_;
  Mode mode_;
  std::map<std::string, Node> nodes_;
  std::unordered_map<std::string, Subscription> channels_;
  std::unordered_map<std::string, Subscription> patterns_;
  std::shared_ptr<redis::ClusterRouter> router_;  // sharded mode only
  bool owns_router_ = false;
  // pubsub mode on a Redis Cluster: the master that answered MOVED for the retained hashes.
  std::optional<redis::NodeAddress> retained_node_;
  std::uint64_t next_generation_ = 0;
  bool stopped_ = false;
  std::atomic<bool> ready_{false};
};

// "pulseboard:retained:{<channel>}", or "pulseboard:retained:<channel>" when the channel has a
// hash tag of its own: either way the key hashes to the channel's cluster slot.
std::string retained_storage_key(std::string_view channel);

}  // namespace pulseboard::broker
