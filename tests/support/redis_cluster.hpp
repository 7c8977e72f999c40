#pragma once
// Test-side control of a real Redis Cluster (scripts/lib/redis.sh: redis_cluster_start): run a
// command and wait for its reply, open one connection per master, and move an empty slot from
// one master to another behind a client's back (as `redis-cli --cluster reshard` does).
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/cluster_slots.hpp"
#include "redis/connection.hpp"
#include "redis/endpoint.hpp"

namespace pulseboard::testing {

// PULSEBOARD_REDIS_CLUSTER_URL parsed, or nothing when the cluster tests are not configured.
std::optional<redis::Endpoint> cluster_endpoint();

// Runs one command on `c`; an error reply of kind `connection` when none came in time.
redis::Reply run_command(boost::asio::io_context& io, redis::Connection& c,
                         std::vector<std::string> args);

// One started connection per master of `map`, in the map's node order.
std::vector<std::shared_ptr<redis::Connection>> connect_masters(boost::asio::io_context& io,
                                                                const redis::Endpoint& seed,
                                                                const redis::SlotMap& map);

// Gives the empty `slot` of `from` to `to`, telling every master in `all`. False (with a
// GoogleTest failure recorded) when a master refused a step.
bool move_slot(boost::asio::io_context& io, std::uint16_t slot, redis::Connection& from,
               redis::Connection& to, const std::vector<std::shared_ptr<redis::Connection>>& all);

}  // namespace pulseboard::testing
