#include "redis/cluster_router.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace pulseboard::redis {

namespace {
constexpr std::chrono::seconds kRefreshRetry{1};
}  // namespace

std::optional<NodeAddress> redirect_of(const Reply& reply) {
  const Error* e = reply.error();
  if (!e || e->kind != ErrorKind::server) return std::nullopt;
  return parse_redirect(e->message);
}

ClusterRouter::ClusterRouter(boost::asio::any_io_executor ex, Endpoint seed, std::string name)
    : ex_(ex),
      strand_(boost::asio::make_strand(ex)),
      seed_(std::move(seed)),
      name_(std::move(name)),
      retry_(strand_) {}

std::shared_ptr<ClusterRouter> ClusterRouter::create(boost::asio::any_io_executor ex, Endpoint seed,
                                                     std::string name) {
  return std::shared_ptr<ClusterRouter>(new ClusterRouter(ex, std::move(seed), std::move(name)));
}

ClusterRouter::~ClusterRouter() {
  if (seed_connection_) seed_connection_->stop();
  for (auto& [key, c] : nodes_) c->stop();
}

void ClusterRouter::start() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    if (self->seed_connection_ || self->stopped_) return;
    self->seed_connection_ = Connection::create(self->ex_, self->seed_, self->name_ + " seed");
    self->seed_connection_->start();
    self->fetch_slots();
  });
}

void ClusterRouter::stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->retry_.cancel();
    if (self->seed_connection_) self->seed_connection_->stop();
    for (auto& [key, c] : self->nodes_) c->stop();
    for (auto& c : self->waiting_)
      if (c.cb) c.cb(Reply::make_error(ErrorKind::connection, "stopped"));
    self->waiting_.clear();
  });
}

void ClusterRouter::on_connect(std::function<void()> fn) {
  boost::asio::post(strand_, [self = shared_from_this(), fn = std::move(fn)] {
    self->on_connect_.push_back(fn);
  });
}

void ClusterRouter::on_slots(std::function<void()> fn) {
  boost::asio::post(strand_, [self = shared_from_this(), fn = std::move(fn)] {
    if (self->has_slots()) fn();
    self->on_slots_.push_back(fn);
  });
}

std::optional<NodeAddress> ClusterRouter::owner(std::string_view key) const {
  std::lock_guard lock(map_mutex_);
  if (!map_) return std::nullopt;
  return map_->node_for(key);
}

bool ClusterRouter::has_slots() const {
  std::lock_guard lock(map_mutex_);
  return map_ != nullptr;
}

void ClusterRouter::refresh() {
  boost::asio::post(strand_, [self = shared_from_this()] { self->fetch_slots(); });
}

std::optional<NodeAddress> ClusterRouter::redirected(const Reply& reply) {
  auto target = redirect_of(reply);
  if (target) refresh();
  return target;
}

void ClusterRouter::command(std::string key, std::vector<std::string> args,
                            Connection::Callback cb) {
  boost::asio::post(
      strand_, [self = shared_from_this(),
                c = Command{std::move(key), std::move(args), std::move(cb)}]() mutable {
        if (self->stopped_) {
          if (c.cb) c.cb(Reply::make_error(ErrorKind::connection, "stopped"));
          return;
        }
        if (self->has_slots()) return self->send(std::move(c));
        if (self->waiting_.size() >= kMaxWaiting) {
          if (c.cb) c.cb(Reply::make_error(ErrorKind::overloaded, "the slot map is not known yet"));
          return;
        }
        self->waiting_.push_back(std::move(c));
        self->fetch_slots();
      });
}

// On the strand.
void ClusterRouter::fetch_slots() {
  if (refreshing_ || stopped_ || !seed_connection_) return;
  refreshing_ = true;
  auto asked = slots_source();
  asked->command({"CLUSTER", "SLOTS"},
                 [weak = weak_from_this(), host = asked->endpoint().host](const Reply& r) {
                   if (auto self = weak.lock())
                     boost::asio::post(self->strand_, [self, r, host] { self->learn(r, host); });
                 });
}

// On the strand. Any master that is up knows the whole map, so a master already connected is
// asked, else the seed; while neither is up, each attempt tries the next master of the last
// map, so the map can be learnt again while the seed is down.
std::shared_ptr<Connection> ClusterRouter::slots_source() {
  for (auto& [key, c] : nodes_)
    if (c->connected()) return c;
  std::shared_ptr<const SlotMap> map;
  {
    std::lock_guard lock(map_mutex_);
    map = map_;
  }
  if (seed_connection_->connected() || !map) return seed_connection_;
  return node(map->nodes()[next_source_++ % map->nodes().size()]);
}

// On the strand: the answer to CLUSTER SLOTS from a node at `asked_host`.
void ClusterRouter::learn(const Reply& reply, const std::string& asked_host) {
  refreshing_ = false;
  if (stopped_) return;
  auto map = SlotMap::parse(reply, asked_host);
  if (!map) {
    spdlog::warn("{}: CLUSTER SLOTS unusable ({}); retrying", name_,
                 reply.error() ? reply.error()->message : "not a full slot map");
    retry_.expires_after(kRefreshRetry);
    retry_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto s = weak.lock(); s && !ec) s->fetch_slots();
    });
    return;
  }
  {
    std::lock_guard lock(map_mutex_);
    map_ = std::make_shared<const SlotMap>(std::move(*map));
  }
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& c : waiting) send(std::move(c));
  for (auto& fn : on_slots_) fn();
}

// On the strand.
std::shared_ptr<Connection> ClusterRouter::node(const NodeAddress& address) {
  auto& c = nodes_[address.key()];
  if (!c) {
    Endpoint ep = seed_;
    ep.host = address.host;
    ep.port = address.port;
    c = Connection::create(ex_, ep, name_ + " " + address.key());
    c->on_connect([weak = weak_from_this()] {
      if (auto self = weak.lock())
        boost::asio::post(self->strand_, [self] {
          for (auto& fn : self->on_connect_) fn();
        });
    });
    c->start();
  }
  return c;
}

// On the strand.
void ClusterRouter::send(Command c, std::optional<NodeAddress> target) {
  const NodeAddress address = target ? *target : *owner(c.key);
  auto args = c.args;
  node(address)->command(
      std::move(args), [weak = weak_from_this(), c = std::move(c)](const Reply& r) mutable {
        auto redirect = redirect_of(r);
        auto self = weak.lock();
        if (!redirect || c.redirects_left == 0 || !self) {
          if (c.cb) c.cb(r);
          return;
        }
        // The slot moved: send it where Redis says, and learn the new map for what follows.
        --c.redirects_left;
        boost::asio::post(self->strand_, [self, c = std::move(c), to = *redirect]() mutable {
          self->fetch_slots();
          self->send(std::move(c), to);
        });
      });
}

}  // namespace pulseboard::redis
