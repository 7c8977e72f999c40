#include "cluster/adapter_streams.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <set>

#include "cluster/stream_entries.hpp"

namespace pulseboard::cluster {
namespace json = boost::json;

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

// The bridge message's data.committedAt (unix ms), as the bridge reads it: the first argument
// of the broadcast packet {type, data: [event, data]}; nullopt unless a positive number below
// the year 10000.
std::optional<std::int64_t> bridge_committed_at(const sharded::Message& m) {
  constexpr double kMaxMs = 253'402'300'800'000.0;
  const json::value* data =
      m.packet && m.packet->is_object() ? m.packet->as_object().if_contains("data") : nullptr;
  if (!data || !data->is_array() || data->as_array().size() < 2) return std::nullopt;
  const json::value& first = data->as_array()[1];
  const json::value* at =
      first.is_object() ? first.as_object().if_contains("committedAt") : nullptr;
  if (!at || !at->is_number()) return std::nullopt;
  const double ms = at->to_number<double>();
  if (!(ms > 0) || ms >= kMaxMs) return std::nullopt;
  return static_cast<std::int64_t>(ms);
}

}  // namespace

StreamsAdapter::StreamsAdapter(LocalSockets& local, Options options)
    : local_(local), options_(std::move(options)) {}

StreamsAdapter::~StreamsAdapter() {
  for (auto& r : readers_) r->connection->stop();
  if (writer_) writer_->stop();
}

std::shared_ptr<StreamsAdapter> StreamsAdapter::start(LocalSockets& local,
                                                      std::shared_ptr<broker::Broker> pubsub,
                                                      const redis::Endpoint& redis,
                                                      Options options) {
  std::shared_ptr<StreamsAdapter> adapter(new StreamsAdapter(local, std::move(options)));
  const auto& o = adapter->options_;
  adapter->messages_ = ShardedAdapter::start(local, std::move(pubsub),
                                             {.key = o.key,
                                              .mode = sharded::SubscriptionMode::static_channels,
                                              .limits = o.limits,
                                              .msgpack_only = true,
                                              .name = "streams adapter"});
  auto ex = local.executor();
  std::set<std::string> streams;
  for (const auto& nsp : local.namespaces())
    streams.insert(streams::stream_name(o.stream, o.stream_count, nsp));
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
  spdlog::info("streams adapter: stream {} (x{}), max length {}, bridge through the stream",
               o.stream, o.stream_count, o.max_len);
  return adapter;
}

void StreamsAdapter::retry(Reader& reader, void (StreamsAdapter::*step)(Reader&)) {
  reader.retry->expires_after(kRetryDelay);
  reader.retry->async_wait([weak = weak_from_this(), &reader, step](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) ((*self).*step)(reader);
  });
}

// Where reading starts: after the stream's last entry (none yet: from its very beginning, as
// nothing can have been missed). Unlike XREAD's `$`, this position survives a reconnect that
// happens before the first entry arrives.
void StreamsAdapter::find_end(Reader& reader) {
  reader.connection->command(
      {"XREVRANGE", reader.stream, "+", "-", "COUNT", "1"},
      [weak = weak_from_this(), &reader](const redis::Reply& reply) {
        auto self = weak.lock();
        if (!self) return;
        if (reply.is_error()) {
          spdlog::warn("streams adapter: the end of stream {} is unknown ({}); retrying",
                       reader.stream, reply.error()->message);
          return self->retry(reader, &StreamsAdapter::find_end);
        }
        auto entries = range_entries(reply);
        reader.last_id = entries.empty() ? "0-0" : entries.front().id;
        self->read(reader);
        self->positioned();
      });
}

void StreamsAdapter::read(Reader& reader) {
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
                                 return self->retry(reader, &StreamsAdapter::read);
                               }
                               for (const auto& entry : read_entries(reply)) {
                                 reader.last_id = entry.id;
                                 self->apply(entry);
                               }
                               self->read(reader);
                             });
}

void StreamsAdapter::apply(const streams::Entry& entry) {
  local_.metrics().stream_entry_read();
  auto decoded = streams::decode_entry(entry, options_.limits);
  if (decoded.error == sharded::DecodeError::over_limit)
    return refuse(local_.metrics(), "streams adapter", decoded.crossed, "stream entry", 0);
  if (!decoded.message) {
    local_.metrics().message_malformed();
    spdlog::debug("streams adapter: dropped malformed entry {}", entry.id);
    return;
  }
  const auto& namespaces = local_.namespaces();
  std::string nsp = decoded.message->nsp;
  // Another namespace sharing the stream (streamCount > 1 hashes several onto one).
  if (std::find(namespaces.begin(), namespaces.end(), nsp) == namespaces.end()) return;
  if (decoded.message->uid == kBridgeUid)
    if (auto committed = bridge_committed_at(*decoded.message))
      local_.metrics().bridge_entry_read(*committed);
  messages_->receive_entry(nsp, *decoded.message, entry.id);
}

bool StreamsAdapter::reading() const {
  std::lock_guard lock(start_mutex_);
  return positioned_ == readers_.size();
}

void StreamsAdapter::positioned() {
  std::vector<BridgeEntry> held;
  {
    std::lock_guard lock(start_mutex_);
    if (++positioned_ < readers_.size()) return;
    held.swap(held_);
  }
  for (auto& m : held) append(std::move(m));
}

void StreamsAdapter::append(BridgeEntry m) {
  {
    std::lock_guard lock(start_mutex_);
    if (positioned_ < readers_.size()) {
      // Redis is slow to answer the first reads: past the bound, straight to the sockets.
      if (held_.size() >= kMaxHeld)
        return local_.deliver_unstreamed(m, "the stream readers are starting");
      held_.push_back(std::move(m));
      return;
    }
  }
  std::string stream = streams::stream_name(options_.stream, options_.stream_count, m.nsp);
  std::string seen = "pulseboard:stream-event:" + stream + ":" + m.nsp + ":" + m.offset;
  std::vector<std::string> args{"EVAL",
                                kAppendScript,
                                "2",
                                std::move(stream),
                                std::move(seen),
                                std::to_string(options_.replay_window.count()),
                                std::to_string(options_.max_len)};
  for (auto& [field, value] :
       streams::broadcast_fields(kBridgeUid, m.nsp, {m.room}, m.event, m.args)) {
    args.push_back(std::move(field));
    args.push_back(std::move(value));
  }
  writer_->command(std::move(args),
                   [weak = weak_from_this(), m = std::move(m)](const redis::Reply& reply) {
                     auto self = weak.lock();
                     if (!self || !reply.is_error())
                       return;  // an id, or nil: in the stream already
                     self->local_.deliver_unstreamed(m, reply.error()->message);
                   });
}

}  // namespace pulseboard::cluster
