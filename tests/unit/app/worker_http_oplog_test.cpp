// The worker's operator port with a MongoDB source: the oplog headroom gauge, and
// /health/delivery stale with its reason while the headroom is under its bound.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/worker_http.hpp"

namespace pulseboard::app {
namespace {

WorkerStatus mongo_leader(double headroom, bool low) {
  WorkerStatus s;
  s.leader = true;
  s.stats.canary_age_seconds = 1.5;
  s.stats.source_health.oplog_headroom_seconds = headroom;
  s.stats.source_health.low_oplog_headroom = low;
  s.stats.delivery_stale = low;  // as Worker::stats() sets it
  return s;
}

boost::json::object health_of(const WorkerStatus& status) {
  http::Request req{boost::beast::http::verb::get, "/health/delivery", 11};
  auto res = render_delivery_health(req, status);
  EXPECT_EQ(res.result_int(), status.stats.delivery_stale ? 503 : 200);
  return boost::json::parse(res.body()).as_object();
}

TEST(WorkerHttpOplog, TheHeadroomIsAGaugeAndNoSlotGaugesAppear) {
  auto text = render_worker_metrics(mongo_leader(7200, false), 0);
  EXPECT_NE(text.find("\npulseboard_worker_oplog_headroom_seconds 7200"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("pulseboard_worker_slot_retained_wal_bytes"), std::string::npos);
  EXPECT_EQ(render_worker_metrics(WorkerStatus{}, 0).find("oplog_headroom"), std::string::npos);
}

TEST(WorkerHttpOplog, UnderTheBoundDeliveryIsStaleWithTheReason) {
  auto ok = health_of(mongo_leader(7200, false));
  EXPECT_EQ(ok.at("status"), "ok");
  EXPECT_EQ(ok.at("oplog_headroom_seconds"), 7200.0);
  auto low = health_of(mongo_leader(120, true));
  EXPECT_EQ(low.at("status"), "stale");
  const std::string reason(low.at("reason").as_string());
  EXPECT_NE(reason.find("120 s ahead of the oplog's oldest entry"), std::string::npos) << reason;
  EXPECT_NE(reason.find("--min-oplog-headroom-s"), std::string::npos) << reason;
}

}  // namespace
}  // namespace pulseboard::app
