#include "http/loop_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include <algorithm>

#include "common/cpu_count.hpp"

namespace pulseboard::http {

LoopPool::LoopPool(unsigned threads, std::vector<boost::asio::io_context*> borrowed)
    : loops_(std::move(borrowed)) {
  if (!loops_.empty()) return;
  unsigned n = threads ? threads : usable_cpus();
  // Concurrency hint 1: each context is run by one thread only.
  for (unsigned i = 0; i < n; ++i) {
    owned_.push_back(std::make_unique<boost::asio::io_context>(1));
    loops_.push_back(owned_.back().get());
  }
}

LoopPool::~LoopPool() {
  stop();
  join();
}

std::size_t LoopPool::next() {
  return next_.fetch_add(1, std::memory_order_relaxed) % loops_.size();
}

void LoopPool::start() {
  for (auto& loop : loops_) {
    threads_.emplace_back([ioc = loop] {
      auto guard = boost::asio::make_work_guard(*ioc);
      ioc->run();
    });
  }
}

void LoopPool::stop() {
  for (auto& loop : loops_) loop->stop();
}

void LoopPool::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace pulseboard::http
