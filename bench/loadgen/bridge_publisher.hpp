#pragma once
// Publishes bridge messages {room, event, data} to Redis (`PUBLISH socket-io-bridge <json>`),
// as the article's worker does, at a steady rate, with the publish time embedded in data as
// "t":<unix ns> and the data padded to a given size. Synchronous hiredis on its own thread: the
// publisher's pacing is its only job, so blocking on each reply is fine.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame_timestamp.hpp"

struct redisContext;

namespace pulseboard::bench {

struct BridgeMessageShape {
  std::string channel = "socket-io-bridge";
  std::string room = "live-metrics";
  std::string event = "metrics-update";
  std::size_t data_bytes = 100;  // size of the serialized `data` object
};

// `{"room":..,"event":..,"data":{"t":<ns>,"seq":<n>,"pad":"xx.."}}` with data of data_bytes
// (or the smallest possible data when data_bytes is smaller than that).
std::string make_bridge_message(const BridgeMessageShape& shape, std::uint64_t unix_ns,
                                std::uint64_t seq);

// One kind of message of a mixed schedule (the dashboard mix: per-order updates and the 1/s
// snapshot): `data_template`, a serialized JSON object, is sent with "t" (publish time, ns) and
// "seq" put in front of its members, and "eventId":"bench-<run>:<seq>" too when `event_id` (the
// worker's updates carry one: the gateway records them for connection state recovery). <run>
// is the publisher's start time: the recovery history in Redis outlives one publisher, and an
// offset recorded by an earlier run must not stand for a message of this one.
struct StampedStream {
  std::string event = "metrics-update";
  std::string data_template = "{}";
  double rate = 1;  // messages per second
  bool retain = false;
  bool event_id = false;
};

std::string make_stamped_message(const BridgeMessageShape& where, const StampedStream& stream,
                                 std::uint64_t unix_ns, std::uint64_t seq, std::uint64_t run = 0);

struct PublishResult {
  std::uint64_t published = 0;
  std::uint64_t errors = 0;
  std::uint64_t late = 0;  // messages sent more than 10 ms after their scheduled time
};

class BridgePublisher {
 public:
  // redis_url: redis://host:port. nullopt-like failure is reported by connect().
  explicit BridgePublisher(std::string redis_url);
  ~BridgePublisher();
  BridgePublisher(const BridgePublisher&) = delete;
  BridgePublisher& operator=(const BridgePublisher&) = delete;

  // An error message, or nullopt once connected.
  std::optional<std::string> connect();
  // Blocks for `duration`, publishing `rate` messages per second on an absolute schedule (a late
  // message does not shift the ones after it).
  PublishResult run(const BridgeMessageShape& shape, double rate,
                    std::chrono::duration<double> duration);
  // The streams interleaved, each on its own absolute schedule, for `duration` or until `stop`.
  PublishResult run_streams(const std::vector<StampedStream>& streams,
                            std::chrono::duration<double> duration,
                            const std::atomic<bool>* stop = nullptr);

 private:
  std::string url_;
  redisContext* redis_ = nullptr;
  std::uint64_t seq_ = 0;
  std::uint64_t run_ = unix_now_ns();
  bool publish(const std::string& channel, const std::string& message, PublishResult& result);
};

}  // namespace pulseboard::bench
