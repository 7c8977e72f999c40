#pragma once
// Many SioClients spread over a few threads, one io_context each (a thread owns its clients).
// The fleet is started by the caller's ramp: launch() posts one new connection to a thread in
// turn, and source addresses are spread over a /16 of 127.0.0.0/8 so that 19k connections to one
// server port never exhaust the ephemeral ports of a single source address. Client i lives on
// thread i % threads.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fleet_counters.hpp"
#include "frame_sink.hpp"
#include "sio_client.hpp"

namespace pulseboard::bench {

struct FleetTotals {
  std::uint64_t started = 0, connected = 0, failed = 0, dropped = 0, frames = 0, untimed_frames = 0,
                stale_frames = 0, pings = 0, bytes = 0;
  std::uint64_t held() const { return connected - dropped; }
  std::uint64_t in_flight() const { return started - connected - failed; }
};

// socket.io-client's reconnection (its defaults): attempt n waits min(base * 2^n, max), times a
// random factor in [1 - jitter, 1 + jitter]; a successful CONNECT starts over at n = 0.
struct ReconnectPolicy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds max{5000};
  double jitter = 0.5;
  unsigned max_attempts = 30;  // per dashboard, in a row; then it gives up
};

class ClientFleet : private Reconnector {
 public:
  // source_octet: the second octet of the source addresses, 127.<source_octet>.x.y, so several
  // load generator processes use disjoint ranges. `sink` (optional) must outlive stop().
  ClientFleet(ClientSettings settings, unsigned threads, std::uint8_t source_octet,
              FrameSink* sink = nullptr);
  ~ClientFleet();
  ClientFleet(const ClientFleet&) = delete;
  ClientFleet& operator=(const ClientFleet&) = delete;

  unsigned threads() const { return static_cast<unsigned>(shards_.size()); }
  // Reconnect mode, before the first launch(): client i connects with tokens[i] and is
  // reconnected after every close, for as long as `policy` allows.
  void enable_reconnect(std::vector<std::string> tokens, ReconnectPolicy policy);
  // Every dashboard's memory (reconnect mode); read it after stop().
  const std::vector<SessionMemory>& sessions() const { return sessions_; }
  void launch();  // one more connection
  // Frames stamped before this unix time no longer count (see FleetCounters::stale_frames).
  void begin_phase(std::uint64_t unix_ns) {
    phase_start_ns_.store(unix_ns, std::memory_order_relaxed);
  }
  FleetTotals totals() const;
  LatencyHistogram::Snapshot latency() const;
  // Stops and joins the client threads: afterwards what they wrote may be read from any thread.
  void stop();

 private:
  struct Shard {
    boost::asio::io_context io{1};
    FleetCounters counters;
  };
  void reconnect_later(std::size_t index) override;
  void connect(std::size_t index);

  std::atomic<std::uint64_t> phase_start_ns_{0};
  ClientSettings settings_;
  FrameSink* sink_;
  std::uint8_t source_octet_;
  std::uint64_t launched_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  std::vector<SessionMemory> sessions_;  // empty unless in reconnect mode
  ReconnectPolicy policy_;
  bool stopped_ = false;
};

}  // namespace pulseboard::bench
