#pragma once
// One io_context per thread: each connection lives on one loop from accept to close, so its
// handlers never race and need no strand. The contexts exist from construction (owners can
// build per-loop state and timers on them before start()); the threads run from start() until
// stop(). The pool owns its contexts, or runs contexts its owner keeps (the gateway's loops,
// which carry per-loop state that must outlive the sessions on them).
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace pulseboard::http {

class LoopPool {
 public:
  // `threads` loops of its own (0: one per usable CPU, common/cpu_count.hpp), or, when `borrowed`
  // is not empty, those contexts, which must outlive the pool.
  explicit LoopPool(unsigned threads, std::vector<boost::asio::io_context*> borrowed = {});
  ~LoopPool();
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;

  std::size_t size() const { return loops_.size(); }
  boost::asio::io_context& at(std::size_t i) { return *loops_[i]; }
  // Round robin, for new connections.
  std::size_t next();

  void start();
  // Stops every loop; callable from any thread. Handlers still queued do not run.
  void stop();
  void join();  // until every loop thread has returned

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> owned_;
  std::vector<boost::asio::io_context*> loops_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace pulseboard::http
