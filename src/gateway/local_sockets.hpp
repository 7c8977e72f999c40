#pragma once
// The gateway's side of the cluster-adapter seam (cluster/adapter.hpp): what an adapter does to
// this gateway's own sockets on another server's behalf, over its event loops, rooms and
// sessions. Each operation asks every loop about its own sockets (cluster_loops.hpp). The
// classic, sharded and streams adapters share it: their wire formats differ, the local effects
// do not.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/adapter.hpp"

namespace pulseboard::gateway {

class Gateway;
struct GatewayMetrics;

// The adapters' counters, on /metrics.
class AdapterMetricsOf final : public cluster::AdapterMetrics {
 public:
  explicit AdapterMetricsOf(GatewayMetrics& metrics) : metrics_(metrics) {}
  void message_received() override;
  void message_malformed() override;
  void message_over_limit() override;
  void stream_entry_read() override;
  void bridge_entry_read(std::int64_t committed_at_ms) override;

 private:
  GatewayMetrics& metrics_;
};

class LoopSockets final : public cluster::LocalSockets {
 public:
  // `server` outlives this, and this outlives the adapters that use it.
  explicit LoopSockets(Gateway& server);

  const std::vector<std::string>& namespaces() const override;
  bool recovery_enabled() const override;
  cluster::AdapterMetrics& metrics() override { return metrics_; }
  boost::asio::any_io_executor executor() override;
  void observe_rooms(RoomObserver observer) override;

  bool broadcast(const std::string& nsp, boost::json::value data,
                 std::vector<std::string> attachments, const cluster::BroadcastOptions& opts,
                 const std::string& offset = {}) override;
  void socket_ids(const std::string& nsp, cluster::Target target, Sockets done) override;
  void room_names(const std::string& nsp, Rooms done) override;
  void fetch_sockets(const std::string& nsp, cluster::Target target, Sockets done) override;
  void update_membership(const std::string& nsp, cluster::Target target,
                         std::vector<std::string> rooms, bool join, const cluster::Limits& limits,
                         Count done) override;
  void disconnect_sockets(const std::string& nsp, cluster::Target target, bool close,
                          Count done) override;
  bool broadcast_with_ack(const std::string& nsp, cluster::Target target, boost::json::value data,
                          std::vector<std::string> attachments, const cluster::Limits& limits,
                          AckCount on_count, AckReply on_ack) override;
  void deliver_unstreamed(const cluster::BridgeEntry& message, std::string_view why) override;

 private:
  void within_fanout(const std::string& nsp, const cluster::Target& t, std::size_t per_socket,
                     const cluster::Limits& limits, std::string_view what,
                     std::function<void()> apply, std::function<void()> refused);

  Gateway& server_;
  AdapterMetricsOf metrics_;
};

}  // namespace pulseboard::gateway
