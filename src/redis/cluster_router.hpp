#pragma once
// The one Redis Cluster router: which master owns each hash slot (CLUSTER SLOTS, sent from
// here only), one connection per master for commands on keys, and MOVED/ASK redirections.
// Written here for the same reason as cluster_slots.hpp: hiredis 0.14 has no cluster support.
//
// Users: the recovery stores send their key commands through command(); the sharded broker
// keeps its own publish and SSUBSCRIBE connections but asks owner() where a channel lives,
// calls refresh() when Redis says a slot moved, and hears of every new map (on_slots).
//
// Commands issued before the slot map is known wait for it (at most kMaxWaiting, past which
// they fail at once with ErrorKind::overloaded); the map is asked for again every second
// while no node can give it. It is asked of any master the router is connected to, the seed
// when none is, so it can be learnt again while the seed is down. Callbacks of command() run
// on the strand of the connection that answered; keys that must meet in one script share a
// hash tag (`{...}`), so they live on one node.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/cluster_slots.hpp"
#include "redis/connection.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::redis {

// The node named by a MOVED or ASK error reply; nullopt for any other reply.
std::optional<NodeAddress> redirect_of(const Reply& reply);

class ClusterRouter : public std::enable_shared_from_this<ClusterRouter> {
 public:
  static constexpr std::size_t kMaxWaiting = 10'000;
  static constexpr int kMaxRedirects = 3;

  static std::shared_ptr<ClusterRouter> create(boost::asio::any_io_executor ex, Endpoint seed,
                                               std::string name);
  ~ClusterRouter();

  // The hooks may be added at any time, from any thread, by every user of a shared router; they
  // run on the router's strand.
  // Each time a connection to any node becomes ready (a new Redis session there).
  void on_connect(std::function<void()> fn);
  // Each time a slot map has been learnt, once owner() answers from it (at once when a map is
  // known already).
  void on_slots(std::function<void()> fn);
  // Both thread-safe; start() again (by another user of a shared router) does nothing.
  void start();
  void stop();

  // Thread-safe. `key` chooses the node; `cb` (may be empty) runs exactly once.
  void command(std::string key, std::vector<std::string> args, Connection::Callback cb);

  // Thread-safe. The master that owns `key`'s slot (a key or a sharded channel) in the latest
  // map; nullopt until a map is known.
  std::optional<NodeAddress> owner(std::string_view key) const;
  bool has_slots() const;
  // Thread-safe. Asks for the map again; a request while one is on its way joins it.
  void refresh();
  // Thread-safe. redirect_of(reply), and when the reply is a redirection the map is asked for
  // again, for what follows.
  std::optional<NodeAddress> redirected(const Reply& reply);

 private:
  struct Command {
    std::string key;
    std::vector<std::string> args;
    Connection::Callback cb;
    int redirects_left = kMaxRedirects;
  };

  ClusterRouter(boost::asio::any_io_executor ex, Endpoint seed, std::string name);
  void fetch_slots();
  std::shared_ptr<Connection> slots_source();
  void learn(const Reply& reply, const std::string& asked_host);
  void send(Command c, std::optional<NodeAddress> target = std::nullopt);
  std::shared_ptr<Connection> node(const NodeAddress& address);

  boost::asio::any_io_executor ex_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  Endpoint seed_;
  std::string name_;
  std::shared_ptr<Connection> seed_connection_;
  mutable std::mutex map_mutex_;  // owner() is read from other strands
  std::shared_ptr<const SlotMap> map_;
  std::map<std::string, std::shared_ptr<Connection>> nodes_;
  std::deque<Command> waiting_;
  std::size_t next_source_ = 0;
  bool refreshing_ = false;
  bool stopped_ = false;
  boost::asio::steady_timer retry_;
  std::vector<std::function<void()>> on_connect_;
  std::vector<std::function<void()>> on_slots_;
};

}  // namespace pulseboard::redis
