// What the worker's operator port reads (Worker::stats() from another thread): whether the
// source is failing (a 503 on /readyz), and the commit time the lag is measured from.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "broker/broker_memory.hpp"
#include "changes/change_source.hpp"
#include "eventually.hpp"
#include "worker/leadership.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace {
using namespace changes;
using namespace pipeline;
using namespace std::chrono_literals;
using testing::eventually;

// A source that refuses to start while `down`, and delivers one event once `deliver` is set.
class ScriptedSource final : public ChangeSource {
 public:
  std::atomic<bool> down{true};
  std::atomic<bool> deliver{false};
  static constexpr std::int64_t kCommittedAt = 1'700'000'000'123;

  std::string name() const override { return "scripted"; }
  std::optional<SourceError> start(std::optional<std::string>) override {
    if (down) return SourceError{SourceError::Kind::unavailable, "refused"};
    return std::nullopt;
  }
  std::variant<std::vector<ChangeEvent>, SourceError> poll(std::chrono::milliseconds wait,
                                                           std::size_t) override {
    if (!deliver.exchange(false)) {
      std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(5)));
      return std::vector<ChangeEvent>{};
    }
    ChangeEvent e;
    e.position = "1";
    e.event_id = "scripted:1";
    e.document = {{"id", "o1"}, {"revenue", 1.5}};
    e.committed_at_ms = kCommittedAt;
    return std::vector<ChangeEvent>{e};
  }
  std::optional<SourceError> acknowledge(const std::string&) override { return std::nullopt; }
  void stop() override {}
  bool pipeline_applied() const override { return true; }  // the document is the projection
};

struct SwitchedLeadership final : Leadership {
  std::atomic<bool> leader{true};
  bool is_leader() const override { return leader; }
};

Worker::Options fast_options(std::shared_ptr<const Leadership> leadership) {
  Worker::Options o;
  o.backoff_min = 5ms;
  o.backoff_max = 20ms;
  o.leadership = std::move(leadership);
  return o;
}

TEST(WorkerStats, SourceFailingWhileItCannotStartAndClearedOnceItDoes) {
  auto owned = std::make_unique<ScriptedSource>();
  auto* source = owned.get();
  Worker w(std::move(owned), std::make_shared<broker::MemoryBroker>(), fast_options(nullptr));
  EXPECT_FALSE(w.stats().source_failing);
  EXPECT_EQ(w.stats().last_committed_at_ms, 0);
  std::jthread runner([&w](std::stop_token st) { w.run(st); });

  ASSERT_TRUE(eventually([&] { return w.stats().source_failing; }));
  EXPECT_GT(w.stats().source_errors, 0u);

  source->down = false;
  ASSERT_TRUE(eventually([&] { return !w.stats().source_failing; }));

  source->deliver = true;
  ASSERT_TRUE(eventually([&] { return w.stats().published == 1; }));
  EXPECT_EQ(w.stats().last_committed_at_ms, ScriptedSource::kCommittedAt);
  EXPECT_FALSE(w.stats().source_failing);
}

TEST(WorkerStats, AStandbyIsNotFailing) {
  auto leadership = std::make_shared<SwitchedLeadership>();
  auto owned = std::make_unique<ScriptedSource>();  // down: fails while leading
  Worker w(std::move(owned), std::make_shared<broker::MemoryBroker>(), fast_options(leadership));
  std::jthread runner([&w](std::stop_token st) { w.run(st); });
  ASSERT_TRUE(eventually([&] { return w.stats().source_failing; }));

  leadership->leader = false;  // another worker leads: this one does not run its source
  ASSERT_TRUE(eventually([&] { return !w.stats().source_failing; }));
}

}  // namespace
}  // namespace pulseboard::worker
