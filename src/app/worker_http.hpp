#pragma once
// The worker's optional operator port (--http-port): /healthz, /readyz (leader, standby or
// failing) and /metrics (Prometheus text) over http::Server (docs/worker.md).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/server.hpp"
#include "worker/worker.hpp"

namespace pulseboard::app {

struct WorkerStatus {
  worker::Worker::Stats stats;
  bool leader = false;
  // Commit -> broker confirmed, per published update; null: not rendered.
  const LatencyHistogram* publish_latency = nullptr;
};

// GET /health/delivery's answer (docs/operations.md): 200 `{"status":"ok",...}` or 503
// `{"status":"stale","reason":...}`, with `canary_age_seconds` when this worker has one.
http::Response render_delivery_health(const http::Request& req, const WorkerStatus& status);

// Prometheus text for one status; `now_ms` is the wall clock the lag is measured against.
std::string render_worker_metrics(const WorkerStatus& status, std::int64_t now_ms);

// An HTTP server on `bind:port` answering from `status`, which is called on the server's
// thread for every request and must be thread-safe. Started; shut it down before `status`
// stops being callable.
// HTTPS when `tls` is set.
std::unique_ptr<http::Server> start_worker_http(const std::string& bind, std::uint16_t port,
                                                std::shared_ptr<net::ServerTls> tls,
                                                std::function<WorkerStatus()> status);

}  // namespace pulseboard::app
