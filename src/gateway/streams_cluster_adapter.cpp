#include "gateway/streams_cluster_adapter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "gateway/cluster_adapter_local.hpp"
#include "gateway/gateway.hpp"
#include "gateway/stream_entries.hpp"

namespace pulseboard::gateway {

namespace {

// KEYS: stream, eventId key. ARGV: window ms, maxLen, then the entry's fields and values.
// The entry first, the eventId after: a failed XADD (a key of another type, out of memory)
// leaves the eventId free, so the gateways that try next are not told it is in the stream.
constexpr const char* kAppendScript = R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local args = {'XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*'}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call(unpack(args))
redis.call('SET', KEYS[2], id, 'PX', ARGV[1])
return id
)lua";

constexpr std::chrono::seconds kRetryDelay{1};

}  // namespace

StreamsClusterAdapter::StreamsClusterAdapter(Gateway& server, Options options)
    : server_(server), options_(std::move(options)) {}

StreamsClusterAdapter::~StreamsClusterAdapter() {
  for (auto& r : readers_) r->connection->stop();
  if (writer_) writer_->stop();
}

std::shared_ptr<StreamsClusterAdapter> StreamsClusterAdapter::start(
    Gateway& server, std::shared_ptr<broker::Broker> pubsub, const redis::Endpoint& redis,
    Options options) {
  std::shared_ptr<StreamsClusterAdapter> adapter(
      new StreamsClusterAdapter(server, std::move(options)));
  const auto& o = adapter->options_;
  adapter->messages_ =
      ShardedClusterAdapter::start(server, std::move(pubsub),
                                   {.key = o.key,
                                    .mode = cluster::sharded::SubscriptionMode::static_channels,
                                    .limits = o.limits,
                                    .msgpack_only = true,
                                    .name = "streams adapter"});
  auto ex = server.context().loops.front()->ioc.get_executor();
  std::set<std::string> streams;
  for (const auto& nsp : server.context().config.namespaces)
    streams.insert(cluster::streams::stream_name(o.stream, o.stream_count, nsp));
  adapter->writer_ = redis::Connection::create(ex, redis, "stream-writer");
  adapter->writer_->start();
  // All readers exist before any starts: reading() and positioned() count them.
  for (const auto& stream : streams) {
    auto reader = std::make_unique<Reader>();
    reader->stream = stream;
    reader->connection = redis::Connection::create(ex, redis, "stream-reader");
    reader->retry = std::make_unique<boost::asio::steady_timer>(reader->connection->strand());
    adapter->readers_.push_back(std::move(reader));
  }
  for (auto& reader : adapter->readers_) {
    reader->connection->start();
    adapter->find_end(*reader);
  }
  server.context().bridge_stream = [weak = adapter->weak_from_this()](bridge::Message m) {
    if (auto self = weak.lock()) self->append(std::move(m));
  };
  server.add_readiness([weak = adapter->weak_from_this()] {
    auto self = weak.lock();
    return self && self->reading();
  });
  spdlog::info("streams adapter: stream {} (x{}), max length {}, bridge through the stream",
               o.stream, o.stream_count, o.max_len);
  return adapter;
}

void StreamsClusterAdapter::retry(Reader& reader, void (StreamsClusterAdapter::*step)(Reader&)) {
  reader.retry->expires_after(kRetryDelay);
  reader.retry->async_wait([weak = weak_from_this(), &reader, step](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) ((*self).*step)(reader);
  });
}

// Where reading starts: after the stream's last entry (none yet: from its very beginning, as
// nothing can have been missed). Unlike XREAD's `$`, this position survives a reconnect that
// happens before the first entry arrives.
void StreamsClusterAdapter::find_end(Reader& reader) {
  reader.connection->command(
      {"XREVRANGE", reader.stream, "+", "-", "COUNT", "1"},
      [weak = weak_from_this(), &reader](const redis::Reply& reply) {
        auto self = weak.lock();
        if (!self) return;
        if (reply.is_error()) {
          spdlog::warn("streams adapter: the end of stream {} is unknown ({}); retrying",
                       reader.stream, reply.error()->message);
          return self->retry(reader, &StreamsClusterAdapter::find_end);
        }
        auto entries = range_entries(reply);
        reader.last_id = entries.empty() ? "0-0" : entries.front().id;
        self->read(reader);
        self->positioned();
      });
}

void StreamsClusterAdapter::read(Reader& reader) {
  reader.connection->command({"XREAD", "COUNT", std::to_string(kReadCount), "BLOCK",
                              std::to_string(kBlockMs), "STREAMS", reader.stream, reader.last_id},
                             [weak = weak_from_this(), &reader](const redis::Reply& reply) {
                               auto self = weak.lock();
                               if (!self) return;
                               if (reply.is_error()) {
                                 // A lost connection reconnects by itself; reading resumes after
                                 // the last entry read.
                                 spdlog::debug("streams adapter: reading {} failed: {}",
                                               reader.stream, reply.error()->message);
                                 return self->retry(reader, &StreamsClusterAdapter::read);
                               }
                               for (const auto& entry : read_entries(reply)) {
                                 reader.last_id = entry.id;
                                 self->apply(entry);
                               }
                               self->read(reader);
                             });
}

void StreamsClusterAdapter::apply(const cluster::streams::Entry& entry) {
  auto& ctx = server_.context();
  ctx.metrics.stream_entries_total.fetch_add(1, std::memory_order_relaxed);
  auto decoded = cluster::streams::decode_entry(entry, options_.limits);
  if (decoded.error == cluster::sharded::DecodeError::over_limit)
    return local::refuse(server_, "streams adapter", decoded.crossed, "stream entry", 0);
  if (!decoded.message) {
    ctx.metrics.adapter_messages_malformed.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("streams adapter: dropped malformed entry {}", entry.id);
    return;
  }
  const auto& namespaces = ctx.config.namespaces;
  std::string nsp = decoded.message->nsp;
  // Another namespace sharing the stream (streamCount > 1 hashes several onto one).
  if (std::find(namespaces.begin(), namespaces.end(), nsp) == namespaces.end()) return;
  messages_->receive_entry(nsp, *decoded.message, entry.id);
}

bool StreamsClusterAdapter::reading() const {
  std::lock_guard lock(start_mutex_);
  return positioned_ == readers_.size();
}

void StreamsClusterAdapter::positioned() {
  std::vector<bridge::Message> held;
  {
    std::lock_guard lock(start_mutex_);
    if (++positioned_ < readers_.size()) return;
    held.swap(held_);
  }
  for (auto& m : held) append(std::move(m));
}

void StreamsClusterAdapter::append(bridge::Message m) {
  {
    std::lock_guard lock(start_mutex_);
    if (positioned_ < readers_.size()) {
      // Redis is slow to answer the first reads: past the bound, straight to the sockets.
      if (held_.size() >= kMaxHeld) return deliver_directly(m, "the stream readers are starting");
      held_.push_back(std::move(m));
      return;
    }
  }
  std::string stream = cluster::streams::stream_name(options_.stream, options_.stream_count, m.nsp);
  std::string seen = "pulseboard:stream-event:" + stream + ":" + m.nsp + ":" + m.offset;
  std::vector<std::string> args{"EVAL",
                                kAppendScript,
                                "2",
                                std::move(stream),
                                std::move(seen),
                                std::to_string(options_.replay_window.count()),
                                std::to_string(options_.max_len)};
  for (auto& [field, value] :
       cluster::streams::broadcast_fields(kBridgeUid, m.nsp, {m.room}, m.event, m.args)) {
    args.push_back(std::move(field));
    args.push_back(std::move(value));
  }
  writer_->command(std::move(args),
                   [weak = weak_from_this(), m = std::move(m)](const redis::Reply& reply) {
                     auto self = weak.lock();
                     if (!self || !reply.is_error())
                       return;  // an id, or nil: in the stream already
                     self->deliver_directly(m, reply.error()->message);
                   });
}

void StreamsClusterAdapter::deliver_directly(const bridge::Message& m, std::string_view why) {
  auto& ctx = server_.context();
  ctx.metrics.bridge_stream_fallbacks.fetch_add(1, std::memory_order_relaxed);
  ctx.log_refusal(spdlog::level::warn,
                  "streams adapter: bridge message {} not appended to the stream ({}): delivered "
                  "to this gateway's sockets without an offset",
                  m.offset, why);
  server_.broadcast(to_broadcast(m));
}

}  // namespace pulseboard::gateway
