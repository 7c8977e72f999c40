#pragma once
// The broker seam (DESIGN.md): publish/subscribe of opaque bytes between roles and gateways.
// Implementations: in-process (broker_memory), Redis pub/sub and Redis Cluster sharded pub/sub
// (broker_redis). Handlers run on the broker's own executor; they must not block.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace pulseboard::broker {

// channel is the concrete channel the message arrived on (useful for pattern subscriptions).
using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
// Called once: success when the broker accepted the message, an error otherwise.
using PublishDone = std::function<void(std::error_code)>;

class Broker {
 public:
  virtual ~Broker() = default;
  // Thread-safe. `done` may be empty.
  virtual void publish(std::string channel, std::string payload, PublishDone done) = 0;
  // Exact channel. A second subscribe to the same channel replaces its handler.
  virtual void subscribe(std::string channel, MessageHandler handler) = 0;
  // Glob pattern, as Redis PSUBSCRIBE (`socket.io#/#*`).
  virtual void psubscribe(std::string pattern, MessageHandler handler) = 0;
  virtual void unsubscribe(std::string channel) = 0;
  // True while every subscription is live; false during an outage (gateways report it on
  // /readyz and keep delivering locally).
  virtual bool ready() const = 0;
};

}  // namespace pulseboard::broker
