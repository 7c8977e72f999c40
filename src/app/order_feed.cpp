#include "app/order_feed.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cmath>
#include <deque>
#include <random>
#include <thread>

namespace pulseboard::app {

void run_order_feed(std::shared_ptr<store::OrderStore> store, double rate, std::stop_token stop) {
  if (rate <= 0) return;
  static constexpr std::array<const char*, 5> kCategories{"books", "games", "garden", "music",
                                                          "tools"};
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> category(0, kCategories.size() - 1);
  std::lognormal_distribution<double> amount(3.5, 0.6);
  std::bernoulli_distribution completed_at_once(0.7);
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> pending;
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / rate));
  auto next = std::chrono::steady_clock::now();
  std::uint64_t failures = 0;
  while (!stop.stop_requested()) {
    store::NewOrder order;
    order.amount = std::round(std::min(amount(rng), 5000.0) * 100) / 100;
    order.category = kCategories[category(rng)];
    bool now_done = completed_at_once(rng);
    order.status = now_done ? store::OrderStatus::completed : store::OrderStatus::pending;
    auto created = store->create(order, std::nullopt, "");
    if (auto* c = std::get_if<store::Created>(&created)) {
      if (!now_done)
        pending.emplace_back(std::chrono::steady_clock::now() + std::chrono::seconds(3),
                             c->order.id);
    } else if (++failures % 100 == 1) {
      spdlog::warn("order feed: the store refused an order ({} failures so far)", failures);
    }
    // Complete the pending orders whose time has come: an update flows through the worker.
    while (!pending.empty() && pending.front().first <= std::chrono::steady_clock::now()) {
      store::OrderPatch patch;
      patch.status = store::OrderStatus::completed;
      store->update(pending.front().second, patch);
      pending.pop_front();
    }
    next += period;
    auto now = std::chrono::steady_clock::now();
    if (next < now - std::chrono::seconds(1)) next = now;  // don't burst after a stall
    std::this_thread::sleep_until(next);
  }
}

}  // namespace pulseboard::app
