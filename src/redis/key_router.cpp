#include "redis/key_router.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace pulseboard::redis {

namespace {
constexpr std::chrono::seconds kRefreshRetry{1};
}  // namespace

KeyRouter::KeyRouter(boost::asio::any_io_executor ex, Endpoint seed, std::string name)
    : ex_(ex),
      strand_(boost::asio::make_strand(ex)),
      seed_(std::move(seed)),
      name_(std::move(name)),
      retry_(strand_) {}

std::shared_ptr<KeyRouter> KeyRouter::create(boost::asio::any_io_executor ex, Endpoint seed,
                                             std::string name) {
  return std::shared_ptr<KeyRouter>(new KeyRouter(ex, std::move(seed), std::move(name)));
}

KeyRouter::~KeyRouter() {
  if (seed_connection_) seed_connection_->stop();
  for (auto& [key, c] : nodes_) c->stop();
}

void KeyRouter::start() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->seed_connection_ = Connection::create(self->ex_, self->seed_, self->name_ + " seed");
    self->seed_connection_->start();
    self->refresh();
  });
}

void KeyRouter::stop() {
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

void KeyRouter::command(std::string key, std::vector<std::string> args, Connection::Callback cb) {
  boost::asio::post(
      strand_, [self = shared_from_this(),
                c = Command{std::move(key), std::move(args), std::move(cb)}]() mutable {
        if (self->stopped_) {
          if (c.cb) c.cb(Reply::make_error(ErrorKind::connection, "stopped"));
          return;
        }
        if (self->map_) return self->send(std::move(c));
        if (self->waiting_.size() >= kMaxWaiting) {
          if (c.cb) c.cb(Reply::make_error(ErrorKind::overloaded, "the slot map is not known yet"));
          return;
        }
        self->waiting_.push_back(std::move(c));
        self->refresh();
      });
}

// On the strand.
void KeyRouter::refresh() {
  if (refreshing_ || stopped_ || !seed_connection_) return;
  refreshing_ = true;
  seed_connection_->command({"CLUSTER", "SLOTS"}, [weak = weak_from_this()](const Reply& r) {
    auto self = weak.lock();
    if (!self) return;
    boost::asio::post(self->strand_, [self, r] {
      self->refreshing_ = false;
      if (self->stopped_) return;
      auto map = SlotMap::parse(r, self->seed_.host);
      if (!map) {
        spdlog::warn("{}: CLUSTER SLOTS unusable ({}); retrying", self->name_,
                     r.error() ? r.error()->message : "not a full slot map");
        self->retry_.expires_after(kRefreshRetry);
        self->retry_.async_wait([weak = self->weak_from_this()](boost::system::error_code ec) {
          if (auto s = weak.lock(); s && !ec) s->refresh();
        });
        return;
      }
      self->map_ = std::move(*map);
      auto waiting = std::move(self->waiting_);
      self->waiting_.clear();
      for (auto& c : waiting) self->send(std::move(c));
    });
  });
}

// On the strand.
std::shared_ptr<Connection> KeyRouter::node(const NodeAddress& address) {
  auto& c = nodes_[address.key()];
  if (!c) {
    Endpoint ep = seed_;
    ep.host = address.host;
    ep.port = address.port;
    c = Connection::create(ex_, ep, name_ + " " + address.key());
    if (on_connect_) c->on_connect(on_connect_);
    c->start();
  }
  return c;
}

// On the strand.
void KeyRouter::send(Command c, std::optional<NodeAddress> target) {
  const NodeAddress address = target ? *target : map_->node_for(c.key);
  auto args = c.args;
  node(address)->command(std::move(args), [weak = weak_from_this(),
                                           c = std::move(c)](const Reply& r) mutable {
    const Error* e = r.error();
    auto redirect = e && e->kind == ErrorKind::server ? parse_redirect(e->message) : std::nullopt;
    auto self = weak.lock();
    if (!redirect || c.redirects_left == 0 || !self) {
      if (c.cb) c.cb(r);
      return;
    }
    // The slot moved: send it where Redis says, and learn the new map for what follows.
    --c.redirects_left;
    boost::asio::post(self->strand_, [self, c = std::move(c), to = *redirect]() mutable {
      self->refresh();
      self->send(std::move(c), to);
    });
  });
}

}  // namespace pulseboard::redis
