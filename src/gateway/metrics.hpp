#pragma once
// Counters a gateway exposes on /metrics (Prometheus text format). Relaxed atomics: they are
// read for dashboards and alerts, never to make decisions.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/latency_histogram.hpp"
#include "websocket/deflate_stream.hpp"

namespace pulseboard::gateway {

// Why a connection or request was refused or closed; each has its own counter.
enum class Rejection : std::size_t {
  engineio_parse_error,
  socketio_parse_error,
  oversized_message,
  invalid_utf8,
  websocket_protocol_error,
  unknown_namespace,
  bad_handshake_method,
  unknown_transport,
  unknown_sid,
  unsupported_protocol_version,
  bad_request,
  transport_mismatch,
  auth_failed,
  ping_timeout,
  connect_timeout,
  send_queue_overflow,
  malformed_http_request,  // an HTTP request line or header Beast cannot parse (400)
  oversized_http_header,   // request headers over 16 KiB (431)
  // Admission control and per-client bounds (docs/security.md).
  session_limit,           // --max-sessions reached: handshake refused (503)
  address_session_limit,   // --max-sessions-per-address reached (429)
  handshake_rate,          // --handshake-rate per address exceeded (429)
  connect_attempts,        // --max-connect-attempts failed CONNECTs: session closed
  room_limit,              // --max-rooms-per-socket: the join is denied
  event_rate,              // --event-rate per session exceeded: socket disconnected
  control_queue_overflow,  // a WebSocket peer's control frames/probes outran the writer
  connect_rate,            // --connect-rate per session exceeded: session closed
  namespace_too_long,      // a CONNECT's namespace over its bound: session closed
  // Connection bounds at accept time (connection_limit.hpp): the connection is closed at once.
  address_connection_limit,  // --max-connections-per-address reached by the TCP peer
  descriptor_reserve,        // the descriptor was among the reserve below the open-file limit
  visibility_invalid,        // a pulseboard:visibility payload other than {hidden: bool}: ignored
  count_
};
std::string_view to_string(Rejection r);

// Which bound a bridge message crossed (docs/cluster.md, "Bounds on the bridge channel").
enum class BridgeBound : std::size_t { message_size, depth, values, memory, count_ };
std::string_view to_string(BridgeBound b);

struct GatewayMetrics {
  std::atomic<std::int64_t> sessions_open{0};
  std::atomic<std::uint64_t> sessions_total{0};
  std::atomic<std::int64_t> sockets_connected{0};
  // Flow control (docs/gateway.md): sockets whose tab is hidden; broadcast frames held back for
  // them (the newest per latest-value key) and not sent to them at all.
  std::atomic<std::int64_t> hidden_sockets{0};
  std::atomic<std::uint64_t> hidden_frames_held{0};
  std::atomic<std::uint64_t> hidden_frames_dropped{0};
  std::atomic<std::uint64_t> broadcasts_total{0};
  std::atomic<std::uint64_t> frames_queued_total{0};
  // Latest-value frames that replaced a queued one with the same key (docs/gateway.md).
  std::atomic<std::uint64_t> frames_conflated_total{0};
  std::atomic<std::uint64_t> bridge_messages_total{0};
  std::atomic<std::uint64_t> bridge_messages_invalid{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(BridgeBound::count_)>
      bridge_over_limit{};
  // Redis adapter traffic from other nodes (classic or sharded), not counting our own echoes.
  std::atomic<std::uint64_t> adapter_messages_total{0};
  std::atomic<std::uint64_t> adapter_messages_malformed{0};
  // Adapter messages from other nodes refused for exceeding a bound (size, expansion, memory).
  std::atomic<std::uint64_t> adapter_messages_over_limit{0};
  // WebSocket pings answered by an already-pending pong (one pending pong per connection).
  std::atomic<std::uint64_t> pongs_coalesced_total{0};
  // WebSocket permessage-deflate (docs/gateway.md, "Compression"): connections that agreed to
  // it, messages compressed (once each, whatever the number of recipients), and the plain and
  // wire sizes of what was sent compressed.
  std::atomic<std::int64_t> ws_deflate_connections{0};
  std::atomic<std::uint64_t> ws_deflate_messages_compressed{0};
  std::atomic<std::uint64_t> ws_deflate_plain_bytes{0};
  std::atomic<std::uint64_t> ws_deflate_wire_bytes{0};
  // ... of which sent in a room's shared context (websocket/deflate_stream.hpp), per recipient;
  // and the rooms' streams: open, reset for a socket that could not follow, closed for a newer
  // room.
  std::atomic<std::uint64_t> ws_deflate_stream_messages_sent{0};
  websocket::DeflateStreamCounters ws_deflate_streams;
  // Compressed messages that inflated past --max-payload (also counted as oversized_message).
  std::atomic<std::uint64_t> ws_inflate_too_big{0};
  // Log lines of per-client refusals left out by the log rate limit.
  std::atomic<std::uint64_t> log_lines_suppressed_total{0};
  std::atomic<std::uint64_t> upgrades_total{0};
  // Connection state recovery: CONNECTs that asked for it, and how many got their socket back.
  std::atomic<std::uint64_t> recoveries_attempted{0};
  std::atomic<std::uint64_t> recoveries_succeeded{0};
  // Recovery attempts that got a fresh socket without reading the history: the subject was over
  // its attempt rate, or the offset was further behind than the bounds.
  std::atomic<std::uint64_t> recoveries_rate_limited{0};
  std::atomic<std::uint64_t> recoveries_beyond_bound{0};
  // Recovery attempts whose store did not answer within the deadline (a fresh socket), and how
  // long every lookup took to come back, the late ones included.
  std::atomic<std::uint64_t> recoveries_timed_out{0};
  LatencyHistogram recovery_lookup_latency;
  // Bridge messages whose offset (eventId) was delivered already: a replay, not delivered.
  std::atomic<std::uint64_t> bridge_replays_dropped{0};
  // Streams adapter: entries read from the Redis Streams, and bridge messages delivered
  // straight to this gateway's sockets because the stream could not take them.
  std::atomic<std::uint64_t> stream_entries_total{0};
  std::atomic<std::uint64_t> bridge_stream_fallbacks{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Rejection::count_)> rejections{};
  // Bridge messages with a commit time (data.committedAt): commit -> handed to local sockets.
  LatencyHistogram delivery_latency;

  void reject(Rejection r) {
    rejections[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t rejected(Rejection r) const {
    return rejections[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
  }
  std::string render_prometheus() const;

 private:
  void render_sessions_and_bridge(std::string& out) const;
  void render_adapter_and_transport(std::string& out) const;
  void render_labelled(std::string& out) const;
};

}  // namespace pulseboard::gateway
