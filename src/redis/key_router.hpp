#pragma once
// Commands on keys of a Redis Cluster: each goes to the master that owns its key's slot, found
// with CLUSTER SLOTS from the seed node and found again when a node answers MOVED or ASK (the
// command is then sent where the redirection says). Written here for the same reason as
// cluster_slots.hpp: hiredis 0.14 has no cluster support. Keys that must meet in one script
// share a hash tag (`{...}`), so they live on one node.
//
// Commands issued before the slot map is known wait for it (at most kMaxWaiting, past which
// they fail at once with ErrorKind::overloaded); the map is asked for again every second
// while the seed cannot give it. Callbacks run on the strand of the connection that answered.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/cluster_slots.hpp"
#include "redis/connection.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::redis {

class KeyRouter : public std::enable_shared_from_this<KeyRouter> {
 public:
  static constexpr std::size_t kMaxWaiting = 10'000;
  static constexpr int kMaxRedirects = 3;

  static std::shared_ptr<KeyRouter> create(boost::asio::any_io_executor ex, Endpoint seed,
                                           std::string name);
  ~KeyRouter();

  // Runs whenever a connection to any node becomes ready (a new Redis session there). Set it
  // before start().
  void on_connect(std::function<void()> fn) { on_connect_ = std::move(fn); }
  void start();
  void stop();

  // Thread-safe. `key` chooses the node; `cb` (may be empty) runs exactly once.
  void command(std::string key, std::vector<std::string> args, Connection::Callback cb);

 private:
  struct Command {
    std::string key;
    std::vector<std::string> args;
    Connection::Callback cb;
    int redirects_left = kMaxRedirects;
  };

  KeyRouter(boost::asio::any_io_executor ex, Endpoint seed, std::string name);
  void refresh();
  void send(Command c, std::optional<NodeAddress> target = std::nullopt);
  std::shared_ptr<Connection> node(const NodeAddress& address);

  boost::asio::any_io_executor ex_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  Endpoint seed_;
  std::string name_;
  std::shared_ptr<Connection> seed_connection_;
  std::optional<SlotMap> map_;
  std::map<std::string, std::shared_ptr<Connection>> nodes_;
  std::deque<Command> waiting_;
  bool refreshing_ = false;
  bool stopped_ = false;
  boost::asio::steady_timer retry_;
  std::function<void()> on_connect_;
};

}  // namespace pulseboard::redis
