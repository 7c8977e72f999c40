#pragma once
// Runs a function on every event loop of the gateway and hands the results to one callback.
// Each loop owns its sockets and room membership, so a cluster request that needs every socket
// (fetch, join, all rooms) asks each loop on its own thread and combines the answers.
#include <boost/asio/post.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "gateway/loop.hpp"

namespace pulseboard::gateway {

// `per_loop` runs once on each loop's thread; `done` runs once, on the loop that finished last,
// with the results in loop order. If the loops have stopped (shutdown), `done` never runs.
template <class T>
void gather_loops(const std::vector<std::unique_ptr<Loop>>& loops, std::function<T(Loop&)> per_loop,
                  std::function<void(std::vector<T>)> done) {
  struct State {
    std::vector<T> results;
    std::atomic<std::size_t> remaining;
    std::function<T(Loop&)> per_loop;
    std::function<void(std::vector<T>)> done;
  };
  auto state = std::make_shared<State>();
  state->results.resize(loops.size());
  state->remaining = loops.size();
  state->per_loop = std::move(per_loop);
  state->done = std::move(done);
  for (std::size_t i = 0; i < loops.size(); ++i) {
    Loop* loop = loops[i].get();
    boost::asio::post(loop->ioc, [state, loop, i] {
      state->results[i] = state->per_loop(*loop);
      // acq_rel: the last finisher sees every other loop's result.
      if (state->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1)
        state->done(std::move(state->results));
    });
  }
}

}  // namespace pulseboard::gateway
