#include "redis_cluster.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "run_until.hpp"

namespace pulseboard::testing {

std::optional<redis::Endpoint> cluster_endpoint() {
  const char* url = std::getenv("PULSEBOARD_REDIS_CLUSTER_URL");
  if (!url || !*url) return std::nullopt;
  return redis::parse_url(url);
}

redis::Reply run_command(boost::asio::io_context& io, redis::Connection& c,
                         std::vector<std::string> args) {
  std::optional<redis::Reply> r;
  c.command(std::move(args), [&r](const redis::Reply& reply) { r = reply; });
  if (!run_until(io, [&] { return r.has_value(); }))
    return redis::Reply::make_error(redis::ErrorKind::connection, "no reply");
  return *r;
}

std::vector<std::shared_ptr<redis::Connection>> connect_masters(boost::asio::io_context& io,
                                                                const redis::Endpoint& seed,
                                                                const redis::SlotMap& map) {
  std::vector<std::shared_ptr<redis::Connection>> masters;
  for (const auto& n : map.nodes()) {
    redis::Endpoint e = seed;
    e.host = n.host;
    e.port = n.port;
    masters.push_back(redis::Connection::create(io.get_executor(), e, "master " + n.key()));
    masters.back()->start();
  }
  return masters;
}

bool move_slot(boost::asio::io_context& io, std::uint16_t slot, redis::Connection& from,
               redis::Connection& to, const std::vector<std::shared_ptr<redis::Connection>>& all) {
  auto id = [&](redis::Connection& c) {
    auto reply = run_command(io, c, {"CLUSTER", "MYID"});
    return reply.string() ? std::string(*reply.string()) : std::string();
  };
  const std::string from_id = id(from), to_id = id(to), s = std::to_string(slot);
  bool ok = !from_id.empty() && !to_id.empty();
  EXPECT_TRUE(ok) << "CLUSTER MYID failed";
  auto step = [&](redis::Connection& c, std::vector<std::string> args) {
    const bool done = !run_command(io, c, std::move(args)).is_error();
    EXPECT_TRUE(done) << "CLUSTER SETSLOT " << s << " refused";
    ok = ok && done;
  };
  step(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id});
  step(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id});
  for (auto& c : all) step(*c, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
  return ok;
}

}  // namespace pulseboard::testing
