#pragma once
// The broker seam (docs/architecture.md, Seams): publish/subscribe of opaque bytes between roles
// and gateways. Implementations: in-process (broker_memory), Redis pub/sub and Redis Cluster
// sharded pub/sub (broker_redis). Handlers run on the broker's own executor; they must not block.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace pulseboard::broker {

// channel is the concrete channel the message arrived on (useful for pattern subscriptions).
using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
// Called once: success when the broker accepted the message, an error otherwise.
using PublishDone = std::function<void(std::error_code)>;
// Receives the retained messages read back from the broker's store (payloads as published).
using RetainedDone = std::function<void(std::vector<std::string> payloads)>;
// Called each time the broker has (re)confirmed a subscription, just before it reads the
// channel's retained messages; returns where those messages go. The two steps let a caller
// tell messages that arrived live after the read began (newer) from the stored ones.
using RetainedRestore = std::function<RetainedDone()>;

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

  // Retained messages (docs/snapshots.md): publish() that also stores `payload` as the latest
  // message under `field` of `channel`, in one step, so a subscriber that (re)joins later can
  // read it back. `field` is an opaque name (bridge::retained_field for bridge messages). `done`
  // reports success only when both happened. The default stores nothing (a broker without
  // storage).
  virtual void publish_retained(std::string channel, std::string field, std::string payload,
                                PublishDone done) {
    (void)field;
    publish(std::move(channel), std::move(payload), std::move(done));
  }
  // subscribe() plus, after every confirmation of the subscription (the first one and each one
  // after a reconnect), a read of the channel's stored retained messages handed to `restore`.
  // The default subscribes only.
  virtual void subscribe_retained(std::string channel, MessageHandler handler,
                                  RetainedRestore restore) {
    (void)restore;
    subscribe(std::move(channel), std::move(handler));
  }
};

}  // namespace pulseboard::broker
