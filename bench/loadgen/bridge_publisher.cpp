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
    auto message = make_bridge_message(shape, unix_now_ns(), seq_++);
    auto* reply = static_cast<redisReply*>(redisCommand(redis_, "PUBLISH %b %b",
                                                        shape.channel.data(), shape.channel.size(),
                                                        message.data(), message.size()));
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
      ++result.errors;
    } else {
      ++result.published;
    }
    if (reply) freeReplyObject(reply);
    if (redis_->err) break;  // the connection is gone; the report shows the shortfall
  }
  return result;
}

}  // namespace pulseboard::bench
