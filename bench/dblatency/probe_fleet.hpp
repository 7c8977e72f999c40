#pragma once
// Many ProbeClients over a few threads, one io_context each; client i lives on thread
// i % threads. Source addresses are 127.<source_octet>.x.y, one per client, as in the load
// generator's ClientFleet, so tens of thousands of connections to one port never run out of
// ephemeral ports.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "../loadgen/client_fleet.hpp"
#include "probe_client.hpp"

namespace pulseboard::bench {

class ProbeFleet {
 public:
  ProbeFleet(ProbeSettings settings, FrameSink& sink, unsigned threads, std::uint8_t source_octet);
  ~ProbeFleet();
  ProbeFleet(const ProbeFleet&) = delete;
  ProbeFleet& operator=(const ProbeFleet&) = delete;

  unsigned threads() const { return static_cast<unsigned>(shards_.size()); }
  void launch();  // one more connection
  FleetTotals totals() const;
  // Stops and joins the client threads: afterwards their records may be read from any thread.
  void stop();

 private:
  struct Shard {
    boost::asio::io_context io{1};
    FleetCounters counters;
  };
  ProbeSettings settings_;
  FrameSink& sink_;
  std::uint8_t source_octet_;
  std::uint64_t launched_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

struct RampResult {
  FleetTotals totals;
  double seconds = 0;
};

// Opens `clients` connections at `rate` per second with at most `max_in_flight` handshakes
// under way, and returns when all are settled (connected or failed) or after `timeout_seconds`.
RampResult ramp(ProbeFleet& fleet, std::uint64_t clients, double rate, unsigned max_in_flight,
                double timeout_seconds);

}  // namespace pulseboard::bench
