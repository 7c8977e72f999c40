#pragma once
// The pieces a Gateway owns for its session stack, without its HTTP server, declared in the
// order Gateway declares them (the stack outlives the loops and sessions that use it). Tests
// build sessions on them as the Engine.IO endpoint does, and read the counters.
#include <memory>
#include <vector>

#include "gateway/gateway.hpp"

namespace pulseboard::gateway {

struct StackParts {
  GatewayConfig config;
  GatewayMetrics metrics;
  Admission admission;
  socketio::RetainedMessages retained;
  SessionStack stack{{.config = config,
                      .metrics = metrics,
                      .sessions = sessions,
                      .admission = admission,
                      .retained = retained,
                      .verifier = nullptr}};
  std::vector<std::unique_ptr<Loop>> loops;
  SessionRegistry sessions;

  void set_recovery(std::shared_ptr<recovery::RecoveryStore> store) {
    stack.socketio().set_recovery_store(std::move(store));
  }
};

}  // namespace pulseboard::gateway
