#include "broker/broker_redis.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace asio = boost::asio;

namespace pulseboard::broker {

namespace {

constexpr std::chrono::seconds kRetainedReadRetry{1};

}  // namespace

std::string retained_storage_key(std::string_view channel) {
  // Redis hashes only the part between the first '{' and the next '}' when it is not empty.
  auto open = channel.find('{');
  bool tagged = open != std::string_view::npos &&
                channel.find('}', open + 1) != std::string_view::npos &&
                channel.find('}', open + 1) > open + 1;
  std::string key = "pulseboard:retained:";
  if (tagged) return key.append(channel);
  return key.append("{").append(channel).append("}");
}

std::shared_ptr<RedisBroker> RedisBroker::create(asio::any_io_executor ex, redis::Endpoint ep,
                                                 Mode mode,
                                                 std::shared_ptr<redis::ClusterRouter> router) {
  auto broker = std::shared_ptr<RedisBroker>(
      new RedisBroker(std::move(ex), std::move(ep), mode, std::move(router)));
  broker->start();
  return broker;
}

RedisBroker::RedisBroker(asio::any_io_executor ex, redis::Endpoint ep, Mode mode,
                         std::shared_ptr<redis::ClusterRouter> router)
    : strand_(asio::make_strand(ex)), seed_(std::move(ep)), mode_(mode) {
  if (mode_ != Mode::sharded) return;
  owns_router_ = !router;
  router_ = router ? std::move(router) : redis::ClusterRouter::create(ex, seed_, "broker");
}

RedisBroker::~RedisBroker() {
  for (auto& [key, n] : nodes_) {
    if (n.pub) n.pub->stop();
    if (n.sub) n.sub->stop();
  }
}

void RedisBroker::start() {
  asio::post(strand_, [self = shared_from_this()] {
    // The seed's connections exist from the start so that ready() reflects the server even
    // before anything is subscribed.
    self->node({self->seed_.host, self->seed_.port});
    if (self->router_) {
      // Each new map moves the subscriptions whose slot is now elsewhere.
      self->router_->on_slots([weak = self->weak_from_this()] {
        if (auto self = weak.lock()) asio::post(self->strand_, [self] { self->reconcile(); });
      });
      self->router_->start();
    }
    self->update_ready();
  });
}

void RedisBroker::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    if (self->owns_router_) self->router_->stop();
    for (auto& [key, n] : self->nodes_) {
      if (n.pub) n.pub->stop();
      if (n.sub) n.sub->stop();
    }
    self->update_ready();
  });
}

RedisBroker::Node& RedisBroker::node(const redis::NodeAddress& address) {
  auto key = address.key();
  auto it = nodes_.find(key);
  if (it != nodes_.end()) return it->second;
  Node& n = nodes_[key];
  n.address = address;
  redis::Endpoint ep = seed_;
  ep.host = address.host;
  ep.port = address.port;
  std::weak_ptr<RedisBroker> weak = weak_from_this();

  n.pub = redis::Connection::create(strand_, ep, "publish " + key);
  auto refresh = [weak] {
    if (auto self = weak.lock()) self->update_ready();
  };
  n.pub->on_connect(refresh);
  n.pub->on_disconnect(refresh);
  n.pub->start();

  n.sub = redis::Connection::create(strand_, ep, "subscribe " + key);
  n.sub->on_connect([weak, key] {
    if (auto self = weak.lock()) self->node_subscriber_up(key);
  });
  n.sub->on_disconnect([weak, key] {
    if (auto self = weak.lock()) self->node_subscriber_down(key);
  });
  n.sub->on_push([weak, key](const redis::Reply& push) {
    if (auto self = weak.lock()) self->handle_push(push, key);
  });
  n.sub->start();
  return n;
}

redis::NodeAddress RedisBroker::route(std::string_view channel) const {
  if (router_)
    if (auto owner = router_->owner(channel)) return *owner;
  return {seed_.host, seed_.port};
}

// The node a MOVED or ASK answer names. Sharded, the router learns the new map; in pubsub
// mode no map is kept, and the retained hashes are read and written where Redis said.
std::optional<redis::NodeAddress> RedisBroker::follow_redirect(const redis::Reply& r) {
  if (router_) return router_->redirected(r);
  auto target = redis::redirect_of(r);
  if (target) retained_node_ = *target;
  return target;
}

void RedisBroker::publish(std::string channel, std::string payload, PublishDone done) {
  asio::post(strand_, [self = shared_from_this(), channel = std::move(channel),
                       payload = std::move(payload), done = std::move(done)]() mutable {
    self->send_publish(std::move(channel), std::move(payload), std::move(done), std::nullopt, 2);
  });
}

void RedisBroker::send_publish(std::string channel, std::string payload, PublishDone done,
                               std::optional<redis::NodeAddress> target, int redirects_left) {
  if (stopped_) {
    if (done) done(redis::make_error_code(redis::ErrorKind::connection));
    return;
  }
  auto& n = node(target ? *target : route(channel));
  if (mode_ == Mode::pubsub) {
    n.pub->command({"PUBLISH", std::move(channel), std::move(payload)},
                   [done = std::move(done)](const redis::Reply& r) {
                     if (!done) return;
                     auto* e = r.error();
                     done(e ? redis::make_error_code(e->kind) : std::error_code{});
                   });
    return;
  }
  // Sharded: keep the message until Redis accepts it, to follow a MOVED redirection.
  std::vector<std::string> args{"SPUBLISH", channel, payload};
  n.pub->command(std::move(args), [weak = weak_from_this(), channel = std::move(channel),
                                   payload = std::move(payload), done = std::move(done),
                                   redirects_left](const redis::Reply& r) mutable {
    auto* e = r.error();
    auto self = weak.lock();
    if (e && self && redirects_left > 0)
      if (auto target = self->follow_redirect(r)) {
        self->send_publish(std::move(channel), std::move(payload), std::move(done), target,
                           redirects_left - 1);
        return;
      }
    if (done) done(e ? redis::make_error_code(e->kind) : std::error_code{});
  });
}

redis::NodeAddress RedisBroker::retained_route(std::string_view channel) const {
  if (mode_ == Mode::pubsub && retained_node_) return *retained_node_;
  return route(channel);
}

void RedisBroker::publish_retained(std::string channel, std::string field, std::string payload,
                                   PublishDone done) {
  asio::post(strand_,
             [self = shared_from_this(), channel = std::move(channel), field = std::move(field),
              payload = std::move(payload), done = std::move(done)]() mutable {
               self->send_retained(std::move(channel), std::move(field), std::move(payload),
                                   std::move(done), std::nullopt, 2);
             });
}

void RedisBroker::send_retained(std::string channel, std::string field, std::string payload,
                                PublishDone done, std::optional<redis::NodeAddress> target,
                                int redirects_left) {
  if (stopped_) {
    if (done) done(redis::make_error_code(redis::ErrorKind::connection));
    return;
  }
  auto& n = node(target ? *target : retained_route(channel));
  // The four commands are queued back to back on the strand, so nothing interleaves with them
  // on this connection; a connection lost before EXEC makes Redis discard the transaction.
  auto redirect = std::make_shared<std::optional<redis::Reply>>();
  auto note_redirect = [redirect](const redis::Reply& r) {
    if (!*redirect && redis::redirect_of(r)) *redirect = r;
  };
  n.pub->command({"MULTI"}, nullptr);
  n.pub->command({"HSET", retained_storage_key(channel), field, payload}, note_redirect);
  n.pub->command({mode_ == Mode::sharded ? "SPUBLISH" : "PUBLISH", channel, payload},
                 note_redirect);
  n.pub->command({"EXEC"}, [weak = weak_from_this(), channel = std::move(channel),
                            field = std::move(field), payload = std::move(payload),
                            done = std::move(done), redirect,
                            redirects_left](const redis::Reply& r) mutable {
    const redis::Error* e = r.error();
    bool ok = !e && r.array();
    if (ok)
      for (auto& item : *r.array()) ok = ok && !item.is_error();
    auto self = weak.lock();
    if (!ok && self && *redirect && redirects_left > 0) {
      self->send_retained(std::move(channel), std::move(field), std::move(payload), std::move(done),
                          self->follow_redirect(**redirect), redirects_left - 1);
      return;
    }
    if (!ok && e && e->kind == redis::ErrorKind::server)
      spdlog::warn("broker: storing a retained message on '{}' failed: {}", channel, e->message);
    if (done)
      done(ok ? std::error_code{} : redis::make_error_code(e ? e->kind : redis::ErrorKind::server));
  });
}

void RedisBroker::subscribe_retained(std::string channel, MessageHandler handler,
                                     RetainedRestore restore) {
  asio::post(strand_, [self = shared_from_this(), channel = std::move(channel),
                       handler = std::move(handler), restore = std::move(restore)]() mutable {
    auto& s = self->channels_[channel];
    bool fresh = !s.handler;
    s.handler = std::make_shared<MessageHandler>(std::move(handler));
    s.restore = restore ? std::make_shared<RetainedRestore>(std::move(restore)) : nullptr;
    if (fresh) self->send_subscribe(channel, false);
    self->update_ready();
  });
}

void RedisBroker::read_retained(const std::string& channel, std::uint64_t generation) {
  auto it = channels_.find(channel);
  if (stopped_ || it == channels_.end() || it->second.generation != generation ||
      !it->second.restore)
    return;
  RetainedDone done = (*it->second.restore)();
  auto& n = node(retained_route(channel));
  n.pub->command(
      {"HGETALL", retained_storage_key(channel)}, [weak = weak_from_this(), channel, generation,
                                                   done = std::move(done)](const redis::Reply& r) {
        auto self = weak.lock();
        if (!self) return;
        auto it = self->channels_.find(channel);
        // A newer (re)subscription reads again; this answer may be older than what it delivers.
        if (it == self->channels_.end() || it->second.generation != generation) return;
        if (const auto* e = r.error(); e || !r.array()) {
          if (e && e->kind == redis::ErrorKind::server) {
            self->follow_redirect(r);
            spdlog::warn("broker: reading the retained messages of '{}' failed: {}", channel,
                         e->message);
          }
          auto timer = std::make_shared<asio::steady_timer>(self->strand_, kRetainedReadRetry);
          timer->async_wait([weak, channel, generation, timer](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) self->read_retained(channel, generation);
          });
          return;
        }
        std::vector<std::string> payloads;
        const redis::Array& items = *r.array();
        for (std::size_t i = 1; i < items.size(); i += 2)
          if (const std::string* payload = items[i].string()) payloads.push_back(*payload);
        if (done) done(std::move(payloads));
        it->second.confirmed = true;
        self->update_ready();
      });
}

void RedisBroker::subscribe(std::string channel, MessageHandler handler) {
  asio::post(strand_, [self = shared_from_this(), channel = std::move(channel),
                       handler = std::move(handler)]() mutable {
    auto& s = self->channels_[channel];
    bool fresh = !s.handler;
    s.handler = std::make_shared<MessageHandler>(std::move(handler));
    s.restore.reset();
    if (fresh) self->send_subscribe(channel, false);
    self->update_ready();
  });
}

void RedisBroker::psubscribe(std::string pattern, MessageHandler handler) {
  asio::post(strand_, [self = shared_from_this(), pattern = std::move(pattern),
                       handler = std::move(handler)]() mutable {
    auto& s = self->patterns_[pattern];
    bool fresh = !s.handler;
    s.handler = std::make_shared<MessageHandler>(std::move(handler));
    if (self->mode_ == Mode::sharded)
      spdlog::error("broker: pattern subscription '{}' is impossible with sharded pub/sub",
                    pattern);
    else if (fresh)
      self->send_subscribe(pattern, true);
    self->update_ready();
  });
}

void RedisBroker::unsubscribe(std::string channel) {
  asio::post(strand_, [self = shared_from_this(), channel = std::move(channel)] {
    self->drop_subscription(channel, false);
    self->drop_subscription(channel, true);
    self->update_ready();
  });
}

void RedisBroker::drop_subscription(const std::string& name, bool pattern) {
  auto& table = pattern ? patterns_ : channels_;
  auto it = table.find(name);
  if (it == table.end()) return;
  std::string sent_to = it->second.node;
  table.erase(it);
  auto n = nodes_.find(sent_to);
  if (sent_to.empty() || n == nodes_.end() || !n->second.sub->connected()) return;
  const char* verb = pattern                  ? "PUNSUBSCRIBE"
                     : mode_ == Mode::sharded ? "SUNSUBSCRIBE"
                                              : "UNSUBSCRIBE";
  n->second.sub->command({verb, name}, nullptr);
}

void RedisBroker::send_subscribe(const std::string& name, bool pattern) {
  if (stopped_ || (router_ && (!router_->has_slots() || pattern))) return;
  auto& table = pattern ? patterns_ : channels_;
  auto it = table.find(name);
  if (it == table.end()) return;
  auto& n = node(route(name));
  // A subscriber that is down resubscribes everything when it is back (node_subscriber_up).
  if (!n.sub->connected()) return;
  auto& s = it->second;
  s.node = n.address.key();
  s.confirmed = false;
  s.generation = ++next_generation_;
  const char* verb = pattern ? "PSUBSCRIBE" : mode_ == Mode::sharded ? "SSUBSCRIBE" : "SUBSCRIBE";
  n.sub->command({verb, name}, [weak = weak_from_this(), name, pattern,
                                generation = s.generation](const redis::Reply& r) {
    auto self = weak.lock();
    if (!self) return;
    auto& table = pattern ? self->patterns_ : self->channels_;
    auto it = table.find(name);
    if (it == table.end() || it->second.generation != generation) return;
    if (auto* e = r.error()) {
      it->second.node.clear();  // not subscribed anywhere; retried on reconnect or refresh
      if (e->kind == redis::ErrorKind::server) {
        spdlog::warn("broker: subscribing to '{}' failed: {}", name, e->message);
        self->follow_redirect(r);
      }
    } else if (!pattern && it->second.restore) {
      self->read_retained(name, generation);  // confirmed once the stored messages are read
    } else {
      it->second.confirmed = true;
    }
    self->update_ready();
  });
}

void RedisBroker::node_subscriber_up(const std::string& node_key) {
  for (auto& [name, s] : channels_)
    if (s.node.empty() && route(name).key() == node_key) send_subscribe(name, false);
  if (mode_ == Mode::pubsub)
    for (auto& [name, s] : patterns_)
      if (s.node.empty()) send_subscribe(name, true);
  update_ready();
}

void RedisBroker::node_subscriber_down(const std::string& node_key) {
  for (auto* table : {&channels_, &patterns_})
    for (auto& [name, s] : *table)
      if (s.node == node_key) {
        s.node.clear();
        s.confirmed = false;
      }
  update_ready();
}

void RedisBroker::handle_push(const redis::Reply& push, const std::string& node_key) {
  const redis::Array& items = *push.array();
  const std::string* kind = items[0].string();
  auto text = [&](std::size_t i) -> const std::string* {
    return i < items.size() ? items[i].string() : nullptr;
  };
  if ((*kind == "message" || *kind == "smessage") && text(1) && text(2)) {
    auto it = channels_.find(*text(1));
    if (it == channels_.end()) return;
    auto handler = it->second.handler;  // the handler may unsubscribe itself
    (*handler)(*text(1), *text(2));
  } else if (*kind == "pmessage" && text(1) && text(2) && text(3)) {
    auto it = patterns_.find(*text(1));
    if (it == patterns_.end()) return;
    auto handler = it->second.handler;
    (*handler)(*text(2), *text(3));
  } else if (*kind == "sunsubscribe" && text(1)) {
    // Redis dropped the subscription because the slot moved to another master.
    auto it = channels_.find(*text(1));
    if (it == channels_.end() || it->second.node != node_key) return;
    it->second.node.clear();
    it->second.confirmed = false;
    if (router_) router_->refresh();
    update_ready();
  }
}

void RedisBroker::reconcile() {
  // Move subscriptions whose slot now lives elsewhere, then subscribe what is not subscribed.
  for (auto& [name, s] : channels_) {
    auto owner = route(name).key();
    if (s.node.empty() || s.node == owner) continue;
    if (auto n = nodes_.find(s.node); n != nodes_.end() && n->second.sub->connected())
      n->second.sub->command({"SUNSUBSCRIBE", name}, nullptr);
    s.node.clear();
    s.confirmed = false;
  }
  for (auto& [name, s] : channels_)
    if (s.node.empty()) send_subscribe(name, false);
  update_ready();
}

void RedisBroker::update_ready() {
  bool ok = !stopped_ && (!router_ || (router_->has_slots() && patterns_.empty()));
  for (auto& [key, n] : nodes_) ok = ok && n.pub->connected() && n.sub->connected();
  for (auto* table : {&channels_, &patterns_})
    for (auto& [name, s] : *table) ok = ok && s.confirmed;
  ready_.store(ok, std::memory_order_release);
}

}  // namespace pulseboard::broker
