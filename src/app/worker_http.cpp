#include "app/worker_http.hpp"

#include <boost/json.hpp>

#include "common/clock.hpp"
#include "common/prometheus.hpp"
#include "http/handler.hpp"

namespace pulseboard::app {
namespace {
namespace bhttp = boost::beast::http;

void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  append_prometheus_metric(out, name, help, "counter", std::to_string(value));
}

void render_delivery_metrics(std::string& out, const WorkerStatus& status);

// One sample per stream with aggregates, labelled by its name (an identifier: no escaping).
void render_stream_metrics(std::string& out, const worker::Worker::Stats& s) {
  if (s.streams.empty()) return;
  auto family = [&](std::string_view name, std::string_view help, auto value) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " +
           std::string(name) + " counter\n";
    for (const auto& stream : s.streams)
      out += std::string(name) + "{stream=\"" + stream.name + "\"} " +
             std::to_string(value(stream)) + "\n";
  };
  family("pulseboard_worker_stream_rows_applied_total",
         "Rows a stream's aggregates counted (added or replaced)",
         [](const auto& r) { return r.applied; });
  family("pulseboard_worker_stream_rows_late_total",
         "Rows older than a stream's window: only in its recent rows",
         [](const auto& r) { return r.late; });
}

}  // namespace

std::string render_worker_metrics(const WorkerStatus& status, std::int64_t now_ms) {
  const auto& s = status.stats;
  std::string out;
  counter(out, "pulseboard_worker_published_total", "metrics-update messages the broker confirmed",
          s.published);
  counter(out, "pulseboard_worker_snapshots_total", "metrics-snapshot messages published",
          s.snapshots);
  counter(out, "pulseboard_worker_rebuilds_total", "Aggregates rebuilt from the database",
          s.rebuilds);
  counter(out, "pulseboard_worker_replays_skipped_total",
          "Published changes the aggregates did not count again (a replay of a counted version)",
          s.replays_skipped);
  counter(out, "pulseboard_worker_replayed_changes_total",
          "Changes the source streamed again after it restarted (unacknowledged ones are expected)",
          s.replayed_changes);
  counter(out, "pulseboard_worker_acknowledged_skipped_total",
          "Already acknowledged changes the database sent again, dropped by the source",
          s.acknowledged_skipped);
  counter(out, "pulseboard_worker_resnapshots_total",
          "Times the source lost its history and continued from now", s.resnapshots);
  counter(out, "pulseboard_worker_publish_retries_total",
          "Batches the broker did not confirm and that were published again", s.publish_failures);
  counter(out, "pulseboard_worker_source_errors_total",
          "Change source failures restarted with backoff", s.source_errors);
  append_prometheus_metric(out, "pulseboard_worker_leader",
                           "1 while this worker holds the leader lease", "gauge",
                           status.leader ? "1" : "0");
  // Only once something was published: before that there is no commit time to measure from,
  // and an invented 0 would read as "fully caught up".
  if (s.last_committed_at_ms > 0) {
    double lag = static_cast<double>(now_ms - s.last_committed_at_ms) / 1000.0;
    append_prometheus_metric(out, "pulseboard_worker_lag_seconds",
                             "Now minus the commit time of the last published change", "gauge",
                             std::to_string(lag));
  }
  render_stream_metrics(out, s);
  render_delivery_metrics(out, status);
  return out;
}

namespace {
// The canary, the PostgreSQL slot and the publish latency (docs/operations.md).
void render_delivery_metrics(std::string& out, const WorkerStatus& status) {
  const auto& s = status.stats;
  if (s.canary_age_seconds)
    append_prometheus_metric(out, "pulseboard_canary_age_seconds",
                             "Seconds since the last delivery canary came back from the database "
                             "and was published (before the first: since leading began)",
                             "gauge", std::to_string(*s.canary_age_seconds));
  counter(out, "pulseboard_worker_canaries_total",
          "Delivery canaries read back from the database and published", s.canaries);
  counter(out, "pulseboard_worker_canary_failures_total",
          "Delivery canaries the database did not take", s.canary_failures);
  if (s.source_health.sampled) {
    const auto& h = s.source_health;
    append_prometheus_metric(out, "pulseboard_worker_slot_retained_wal_bytes",
                             "WAL the replication slot holds back: current WAL end minus its "
                             "restart_lsn",
                             "gauge", std::to_string(h.retained_wal_bytes));
    append_prometheus_metric(out, "pulseboard_worker_slot_flush_lag_bytes",
                             "Current WAL end minus the slot's confirmed flush position", "gauge",
                             std::to_string(h.flush_lag_bytes));
    append_prometheus_metric(out, "pulseboard_worker_publication_has_table",
                             "1 while the followed table is in the publication", "gauge",
                             h.table_published ? "1" : "0");
  }
  if (s.source_health.oplog_headroom_seconds)
    append_prometheus_metric(out, "pulseboard_worker_oplog_headroom_seconds",
                             "MongoDB: oplog time between its oldest entry and the stored resume "
                             "token; at zero a restart cannot resume",
                             "gauge", std::to_string(*s.source_health.oplog_headroom_seconds));
  if (status.publish_latency)
    status.publish_latency->render(
        out, "pulseboard_worker_publish_latency_seconds",
        "Commit in the database to the broker confirming the metrics-update message");
}
}  // namespace

http::Response render_delivery_health(const http::Request& req, const WorkerStatus& status) {
  const auto& s = status.stats;
  boost::json::object body;
  std::string reason;
  const auto& h = s.source_health;
  if (!status.leader)
    reason = "standby: not on the delivery path";
  else if (h.sampled && !h.table_published)
    reason = "the followed table is not in the publication: its changes do not reach the worker";
  else if (h.low_oplog_headroom)
    reason = "the stored resume token is " +
             std::to_string(static_cast<long long>(h.oplog_headroom_seconds.value_or(0))) +
             " s ahead of the oplog's oldest entry, under --min-oplog-headroom-s";
  else if (!s.canary_age_seconds)
    reason = "no delivery canary on this source";
  else if (s.delivery_stale)
    reason = "no canary came back from the database within the threshold";
  body["status"] = s.delivery_stale ? "stale" : "ok";
  boost::json::array warnings;
  if (h.sampled && h.over_retained_wal)
    warnings.push_back(
        boost::json::string("the replication slot retains " + std::to_string(h.retained_wal_bytes) +
                            " bytes of WAL, past --max-retained-wal-bytes (the slot is kept)"));
  body["warnings"] = std::move(warnings);
  if (h.sampled) body["retained_wal_bytes"] = h.retained_wal_bytes;
  if (h.oplog_headroom_seconds) body["oplog_headroom_seconds"] = *h.oplog_headroom_seconds;
  body["reason"] = reason.empty() ? boost::json::value(nullptr) : boost::json::value(reason);
  body["canary_age_seconds"] = s.canary_age_seconds ? boost::json::value(*s.canary_age_seconds)
                                                    : boost::json::value(nullptr);
  return http::json_response(
      req, s.delivery_stale ? bhttp::status::service_unavailable : bhttp::status::ok,
      boost::json::serialize(body));
}

std::unique_ptr<http::Server> start_worker_http(const std::string& bind, std::uint16_t port,
                                                std::shared_ptr<net::ServerTls> tls,
                                                std::function<WorkerStatus()> status) {
  // No tokens: these endpoints carry counters, never orders.
  http::ServerConfig config;
  config.bind_address = bind;
  config.port = port;
  config.threads = 1;
  config.name = "worker";
  config.tls = tls;
  auto server = std::make_unique<http::Server>(config);
  // Registered as routes so they take the place of the server's own /readyz and /metrics,
  // which know nothing of the worker.
  server->add_route("/readyz", [status](http::Request&& req, http::Respond respond) {
    WorkerStatus st = status();
    if (st.leader && st.stats.source_failing) {
      respond(
          http::json_response(req, bhttp::status::service_unavailable, R"({"status":"failing"})"));
    } else {
      respond(
          http::json_response(req, bhttp::status::ok,
                              st.leader ? R"({"status":"leader"})" : R"({"status":"standby"})"));
    }
  });
  server->add_route("/health/delivery", [status](http::Request&& req, http::Respond respond) {
    respond(render_delivery_health(req, status()));
  });
  server->add_route("/metrics", [status, tls](http::Request&& req, http::Respond respond) {
    http::Response res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    res.keep_alive(req.keep_alive());
    res.body() = render_worker_metrics(status(), now_unix_ms());
    if (tls) res.body() += tls->render_prometheus();
    res.prepare_payload();
    respond(std::move(res));
  });
  server->start();
  return server;
}

}  // namespace pulseboard::app
