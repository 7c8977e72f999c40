#include "broker/broker_memory.hpp"

namespace pulseboard::broker {

void MemoryBroker::publish(std::string channel, std::string payload, PublishDone done) {
  std::vector<std::shared_ptr<MessageHandler>> targets;
  {
    std::lock_guard lock(mutex_);
    if (auto it = channels_.find(channel); it != channels_.end()) targets.push_back(it->second);
    for (auto& [pattern, handler] : patterns_)
      if (glob_match(pattern, channel)) targets.push_back(handler);
  }
  for (auto& h : targets) (*h)(channel, payload);
  if (done) done({});
}

void MemoryBroker::publish_retained(std::string channel, std::string field, std::string payload,
                                    PublishDone done) {
  {
    std::lock_guard lock(mutex_);
    retained_[channel][std::move(field)] = payload;
  }
  publish(std::move(channel), std::move(payload), std::move(done));
}

void MemoryBroker::subscribe_retained(std::string channel, MessageHandler handler,
                                      RetainedRestore restore) {
  subscribe(channel, std::move(handler));
  if (!restore) return;
  auto done = restore();
  std::vector<std::string> payloads;
  {
    std::lock_guard lock(mutex_);
    if (auto it = retained_.find(channel); it != retained_.end())
      for (auto& [field, payload] : it->second) payloads.push_back(payload);
  }
  if (done) done(std::move(payloads));
}

void MemoryBroker::subscribe(std::string channel, MessageHandler handler) {
  std::lock_guard lock(mutex_);
  channels_[std::move(channel)] = std::make_shared<MessageHandler>(std::move(handler));
}

void MemoryBroker::psubscribe(std::string pattern, MessageHandler handler) {
  std::lock_guard lock(mutex_);
  patterns_[std::move(pattern)] = std::make_shared<MessageHandler>(std::move(handler));
}

void MemoryBroker::unsubscribe(std::string channel) {
  std::lock_guard lock(mutex_);
  channels_.erase(channel);
  patterns_.erase(channel);
}

bool glob_match(std::string_view p, std::string_view s) {
  std::size_t pi = 0, si = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      char c = p[pi];
      if (c == '*') {
        star_p = pi++;
        star_s = si;
        continue;
      }
      if (c == '?') {
        ++pi;
        ++si;
        continue;
      }
      if (c == '[') {
        std::size_t q = pi + 1;
        bool negate = q < p.size() && p[q] == '^';
        if (negate) ++q;
        bool matched = false;
        while (q < p.size() && p[q] != ']') {
          if (p[q] == '\\' && q + 1 < p.size()) ++q;
          if (q + 2 < p.size() && p[q + 1] == '-' && p[q + 2] != ']') {
            if (s[si] >= p[q] && s[si] <= p[q + 2]) matched = true;
            q += 3;
          } else {
            if (s[si] == p[q]) matched = true;
            ++q;
          }
        }
        if (q < p.size() && matched != negate) {
          pi = q + 1;
          ++si;
          continue;
        }
      } else {
        if (c == '\\' && pi + 1 < p.size()) c = p[++pi];
        if (c == s[si]) {
          ++pi;
          ++si;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace pulseboard::broker
