#pragma once
// In-process broker for `pulseboard demo` and tests: delivery is synchronous on publish's
// caller after the subscriber table is copied, so handlers may subscribe or publish re-entrantly.
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "broker/broker.hpp"

namespace pulseboard::broker {

class MemoryBroker final : public Broker {
 public:
  void publish(std::string channel, std::string payload, PublishDone done) override;
  void subscribe(std::string channel, MessageHandler handler) override;
  void psubscribe(std::string pattern, MessageHandler handler) override;
  void unsubscribe(std::string channel) override;
  bool ready() const override { return true; }
  // Keeps the retained messages in memory, so a subscriber added later (or a test) reads them.
  void publish_retained(std::string channel, std::string field, std::string payload,
                        PublishDone done) override;
  void subscribe_retained(std::string channel, MessageHandler handler,
                          RetainedRestore restore) override;

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<MessageHandler>> channels_;
  std::unordered_map<std::string, std::shared_ptr<MessageHandler>> patterns_;
  std::unordered_map<std::string, std::map<std::string, std::string>> retained_;  // by channel
};

// Redis-style glob match (`*`, `?`, `[...]`, `\` escapes) used for pattern subscriptions.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace pulseboard::broker
