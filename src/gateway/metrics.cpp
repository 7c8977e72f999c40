#include "gateway/metrics.hpp"
#include "common/prometheus.hpp"

namespace pulseboard::gateway {

std::string_view to_string(Rejection r) {
  switch (r) {
    case Rejection::engineio_parse_error:
      return "engineio_parse_error";
    case Rejection::socketio_parse_error:
      return "socketio_parse_error";
    case Rejection::oversized_message:
      return "oversized_message";
    case Rejection::invalid_utf8:
      return "invalid_utf8";
    case Rejection::websocket_protocol_error:
      return "websocket_protocol_error";
    case Rejection::unknown_namespace:
      return "unknown_namespace";
    case Rejection::bad_handshake_method:
      return "bad_handshake_method";
    case Rejection::unknown_transport:
      return "unknown_transport";
    case Rejection::unknown_sid:
      return "unknown_sid";
    case Rejection::unsupported_protocol_version:
      return "unsupported_protocol_version";
    case Rejection::bad_request:
      return "bad_request";
    case Rejection::transport_mismatch:
      return "transport_mismatch";
    case Rejection::auth_failed:
      return "auth_failed";
    case Rejection::ping_timeout:
      return "ping_timeout";
    case Rejection::connect_timeout:
      return "connect_timeout";
    case Rejection::send_queue_overflow:
      return "send_queue_overflow";
    case Rejection::malformed_http_request:
      return "malformed_http_request";
    case Rejection::oversized_http_header:
      return "oversized_http_header";
    case Rejection::session_limit:
      return "session_limit";
    case Rejection::address_session_limit:
      return "address_session_limit";
    case Rejection::handshake_rate:
      return "handshake_rate";
    case Rejection::connect_attempts:
      return "connect_attempts";
    case Rejection::room_limit:
      return "room_limit";
    case Rejection::event_rate:
      return "event_rate";
    case Rejection::control_queue_overflow:
      return "control_queue_overflow";
    case Rejection::connect_rate:
      return "connect_rate";
    case Rejection::namespace_too_long:
      return "namespace_too_long";
    case Rejection::address_connection_limit:
      return "address_connection_limit";
    case Rejection::descriptor_reserve:
      return "descriptor_reserve";
    case Rejection::visibility_invalid:
      return "visibility_invalid";
    case Rejection::count_:
      break;
  }
  return "unknown";
}

std::string_view to_string(BridgeBound b) {
  switch (b) {
    case BridgeBound::message_size:
      return "message_size";
    case BridgeBound::depth:
      return "depth";
    case BridgeBound::values:
      return "values";
    case BridgeBound::memory:
      return "memory";
    case BridgeBound::count_:
      break;
  }
  return "unknown";
}

void GatewayMetrics::render_sessions_and_bridge(std::string& out) const {
  auto gauge = [&](std::string_view name, std::string_view help, auto value,
                   std::string_view type) {
    append_prometheus_metric(out, name, help, type, std::to_string(value));
  };
  gauge("pulseboard_sessions_open", "Engine.IO sessions open", sessions_open.load(), "gauge");
  gauge("pulseboard_sessions_total", "Engine.IO sessions opened", sessions_total.load(), "counter");
  gauge("pulseboard_sockets_connected", "Socket.IO namespace sockets connected",
        sockets_connected.load(), "gauge");
  gauge("pulseboard_hidden_sockets",
        "Sockets whose dashboard tab is hidden (pulseboard:visibility)", hidden_sockets.load(),
        "gauge");
  gauge("pulseboard_hidden_frames_held_total",
        "Broadcast frames held back for a hidden socket (the newest per latest-value key)",
        hidden_frames_held.load(), "counter");
  gauge("pulseboard_hidden_frames_dropped_total",
        "Broadcast frames not sent to a hidden socket: per-order updates, keys past 128",
        hidden_frames_dropped.load(), "counter");
  gauge("pulseboard_broadcasts_total", "Broadcasts fanned out", broadcasts_total.load(), "counter");
  gauge("pulseboard_frames_queued_total", "Frames queued to connections",
        frames_queued_total.load(), "counter");
  gauge("pulseboard_frames_conflated_total",
        "Latest-value frames that replaced the queued frame with the same key",
        frames_conflated_total.load(), "counter");
  gauge("pulseboard_bridge_messages_total", "Bridge messages delivered",
        bridge_messages_total.load(), "counter");
  gauge("pulseboard_bridge_replays_dropped_total",
        "Bridge messages not delivered because their eventId was delivered already",
        bridge_replays_dropped.load(), "counter");
  gauge("pulseboard_stream_entries_total",
        "Entries read from the streams adapter's Redis Streams (every origin)",
        stream_entries_total.load(), "counter");
  gauge("pulseboard_bridge_stream_fallbacks_total",
        "Bridge messages delivered without the stream because appending to it failed",
        bridge_stream_fallbacks.load(), "counter");
  gauge("pulseboard_recoveries_attempted_total",
        "CONNECTs that asked for connection state recovery (pid and offset)",
        recoveries_attempted.load(), "counter");
  gauge("pulseboard_recoveries_succeeded_total",
        "Sockets recovered: same sid, rooms and every missed packet", recoveries_succeeded.load(),
        "counter");
  gauge("pulseboard_recoveries_rate_limited_total",
        "Recovery attempts over their subject's rate: a fresh socket, the store not asked",
        recoveries_rate_limited.load(), "counter");
  gauge("pulseboard_recoveries_beyond_bound_total",
        "Recovery attempts whose offset was more than 1000 entries or 2 MiB behind: a fresh "
        "socket, the history not read",
        recoveries_beyond_bound.load(), "counter");
  gauge("pulseboard_recoveries_timed_out_total",
        "Recovery attempts whose store did not answer within the deadline: a fresh socket",
        recoveries_timed_out.load(), "counter");
  gauge("pulseboard_bridge_messages_invalid_total", "Bridge messages refused as malformed",
        bridge_messages_invalid.load(), "counter");
}

void GatewayMetrics::render_adapter_and_transport(std::string& out) const {
  auto gauge = [&](std::string_view name, std::string_view help, auto value,
                   std::string_view type) {
    append_prometheus_metric(out, name, help, type, std::to_string(value));
  };
  gauge("pulseboard_adapter_messages_total", "Redis adapter messages from other nodes applied",
        adapter_messages_total.load(), "counter");
  gauge("pulseboard_adapter_messages_malformed_total",
        "Redis adapter messages dropped as malformed", adapter_messages_malformed.load(),
        "counter");
  gauge("pulseboard_adapter_messages_over_limit_total",
        "Redis adapter messages from other nodes refused for exceeding a bound",
        adapter_messages_over_limit.load(), "counter");
  gauge("pulseboard_pongs_coalesced_total",
        "WebSocket pings answered by a pong that was already pending", pongs_coalesced_total.load(),
        "counter");
  gauge("pulseboard_ws_deflate_connections",
        "WebSocket connections that agreed to permessage-deflate", ws_deflate_connections.load(),
        "gauge");
  gauge("pulseboard_ws_deflate_messages_compressed_total",
        "Messages compressed for permessage-deflate (once each, shared by every recipient)",
        ws_deflate_messages_compressed.load(), "counter");
  gauge("pulseboard_ws_deflate_plain_bytes_total",
        "Plain size of the WebSocket messages sent compressed, summed over recipients",
        ws_deflate_plain_bytes.load(), "counter");
  gauge("pulseboard_ws_deflate_wire_bytes_total",
        "Compressed size of those messages as sent, summed over recipients",
        ws_deflate_wire_bytes.load(), "counter");
  gauge("pulseboard_ws_deflate_stream_messages_sent_total",
        "Compressed messages sent in their room's shared context, summed over recipients",
        ws_deflate_stream_messages_sent.load(), "counter");
  gauge("pulseboard_ws_deflate_stream_messages_compressed_total",
        "Messages compressed in their room's shared context (once each, for every recipient)",
        ws_deflate_streams.messages.load(), "counter");
  gauge("pulseboard_ws_deflate_streams",
        "Rooms whose broadcasts are compressed with a context kept across messages (at most 32)",
        ws_deflate_streams.live.load(), "gauge");
  gauge("pulseboard_ws_deflate_stream_resets_total",
        "Room compression streams restarted so that sockets that could not follow join again",
        ws_deflate_streams.resets.load(), "counter");
  gauge("pulseboard_ws_deflate_stream_evictions_total",
        "Room compression streams idle for 30 s closed to open one for another room (limit 32)",
        ws_deflate_streams.evictions.load(), "counter");
  gauge("pulseboard_ws_deflate_stream_refused_total",
        "Broadcasts compressed without a room stream: 32 streams open and none idle for 30 s",
        ws_deflate_streams.refused.load(), "counter");
  gauge("pulseboard_ws_inflate_too_big_total",
        "Compressed WebSocket messages that inflated past --max-payload: closed with 1009 (also "
        "in rejections_total as oversized_message)",
        ws_inflate_too_big.load(), "counter");
  gauge("pulseboard_log_lines_suppressed_total",
        "Per-client refusal log lines left out by the log rate limit",
        log_lines_suppressed_total.load(), "counter");
  gauge("pulseboard_upgrades_total", "Polling sessions upgraded to WebSocket",
        upgrades_total.load(), "counter");
}

// The counters with a label: one line per bound or reason.
void GatewayMetrics::render_labelled(std::string& out) const {
  out +=
      "# HELP pulseboard_bridge_messages_over_limit_total Bridge messages refused for exceeding "
      "a bound, by bound\n";
  out += "# TYPE pulseboard_bridge_messages_over_limit_total counter\n";
  for (std::size_t i = 0; i < bridge_over_limit.size(); ++i) {
    out += "pulseboard_bridge_messages_over_limit_total{bound=\"";
    out += to_string(static_cast<BridgeBound>(i));
    out += "\"} " + std::to_string(bridge_over_limit[i].load()) + "\n";
  }
  out +=
      "# HELP pulseboard_rejections_total Requests, packets and connections refused, by reason\n";
  out += "# TYPE pulseboard_rejections_total counter\n";
  for (std::size_t i = 0; i < rejections.size(); ++i) {
    out += "pulseboard_rejections_total{reason=\"";
    out += to_string(static_cast<Rejection>(i));
    out += "\"} " + std::to_string(rejections[i].load()) + "\n";
  }
}

std::string GatewayMetrics::render_prometheus() const {
  std::string out;
  render_sessions_and_bridge(out);
  render_adapter_and_transport(out);
  render_labelled(out);
  delivery_latency.render(out, "pulseboard_delivery_latency_seconds",
                          "Commit in the database to the bridge message handed to this gateway's "
                          "sockets, per message");
  recovery_lookup_latency.render(out, "pulseboard_recovery_lookup_seconds",
                                 "Recovery lookups: asking the store to its answer reaching the "
                                 "session's loop, late answers included");
  return out;
}

}  // namespace pulseboard::gateway
