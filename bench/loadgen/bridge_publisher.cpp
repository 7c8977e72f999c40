#include "bridge_publisher.hpp"

#include <hiredis/hiredis.h>

#include <thread>

#include "frame_timestamp.hpp"

namespace pulseboard::bench {

std::string make_bridge_message(const BridgeMessageShape& shape, std::uint64_t unix_ns,
                                std::uint64_t seq) {
  std::string data =
      "{\"t\":" + std::to_string(unix_ns) + ",\"seq\":" + std::to_string(seq) + ",\"pad\":\"";
  constexpr std::size_t kClosing = 2;  // "}
  if (data.size() + kClosing < shape.data_bytes)
    data.append(shape.data_bytes - data.size() - kClosing, 'x');
  data += "\"}";
  return "{\"room\":\"" + shape.room + "\",\"event\":\"" + shape.event + "\",\"data\":" + data +
         "}";
}

std::string make_stamped_message(const BridgeMessageShape& where, const StampedStream& stream,
                                 std::uint64_t unix_ns, std::uint64_t seq, std::uint64_t run) {
  std::string data = "{\"t\":" + std::to_string(unix_ns) + ",\"seq\":" + std::to_string(seq);
  if (stream.event_id)
    data += ",\"eventId\":\"bench-" + std::to_string(run) + ":" + std::to_string(seq) + "\"";
  std::string_view rest(stream.data_template);
  if (rest.size() > 2) data += ",";
  data += rest.substr(1);  // the template's members and its closing brace
  return "{\"room\":\"" + where.room + "\",\"event\":\"" + stream.event + "\"" +
         (stream.retain ? ",\"retain\":true" : "") + ",\"data\":" + data + "}";
}

BridgePublisher::BridgePublisher(std::string redis_url) : url_(std::move(redis_url)) {}

BridgePublisher::~BridgePublisher() {
  if (redis_) redisFree(redis_);
}

std::optional<std::string> BridgePublisher::connect() {
  std::string rest = url_;
  if (rest.rfind("redis://", 0) == 0) rest = rest.substr(8);
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  auto colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  int port = colon == std::string::npos ? 6379 : std::atoi(rest.c_str() + colon + 1);
  timeval timeout{5, 0};
  redis_ = redisConnectWithTimeout(host.c_str(), port, timeout);
  if (!redis_) return "cannot allocate a Redis context";
  if (redis_->err) return std::string("Redis ") + url_ + ": " + redis_->errstr;
  redisSetTimeout(redis_, timeout);
  return std::nullopt;
}

PublishResult BridgePublisher::run(const BridgeMessageShape& shape, double rate,
                                   std::chrono::duration<double> duration) {
  using clock = std::chrono::steady_clock;
  PublishResult result;
  if (!redis_ || rate <= 0) return result;
  auto start = clock::now();
  auto end = start + std::chrono::duration_cast<clock::duration>(duration);
  for (std::uint64_t i = 0;; ++i) {
    auto due = start + std::chrono::duration_cast<clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(i) / rate));
    if (due >= end) break;
    std::this_thread::sleep_until(due);
    if (clock::now() - due > std::chrono::milliseconds(10)) ++result.late;
    if (!publish(shape.channel, make_bridge_message(shape, unix_now_ns(), seq_++), result)) break;
  }
  return result;
}

// False when the connection is gone; the report shows the shortfall.
bool BridgePublisher::publish(const std::string& channel, const std::string& message,
                              PublishResult& result) {
  auto* reply = static_cast<redisReply*>(redisCommand(
      redis_, "PUBLISH %b %b", channel.data(), channel.size(), message.data(), message.size()));
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    ++result.errors;
  } else {
    ++result.published;
  }
  if (reply) freeReplyObject(reply);
  return !redis_->err;
}

PublishResult BridgePublisher::run_streams(const std::vector<StampedStream>& streams,
                                           std::chrono::duration<double> duration,
                                           const std::atomic<bool>* stop) {
  using clock = std::chrono::steady_clock;
  PublishResult result;
  if (!redis_) return result;
  BridgeMessageShape where;
  auto start = clock::now();
  auto end = start + std::chrono::duration_cast<clock::duration>(duration);
  std::vector<std::uint64_t> sent(streams.size(), 0);
  auto due_of = [&](std::size_t s) {
    return start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(
                       static_cast<double>(sent[s]) / streams[s].rate));
  };
  for (;;) {
    std::size_t next = 0;
    for (std::size_t s = 1; s < streams.size(); ++s)
      if (due_of(s) < due_of(next)) next = s;
    auto due = due_of(next);
    if (streams.empty() || due >= end || (stop && *stop)) break;
    std::this_thread::sleep_until(due);
    if (clock::now() - due > std::chrono::milliseconds(10)) ++result.late;
    ++sent[next];
    if (!publish(where.channel,
                 make_stamped_message(where, streams[next], unix_now_ns(), seq_++, run_), result))
      break;
  }
  return result;
}

}  // namespace pulseboard::bench
