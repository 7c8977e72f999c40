#pragma once
// A gateway's session stack with one loop run by hand, and long-polling sessions on it: tests read
// back every polling answer, in order, as the client would.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engineio/session.hpp"
#include "gateway/session_stack.hpp"
#include "socketio/socketio_client.hpp"
#include "stack_parts.hpp"

namespace pulseboard::gateway {

struct PollingSessionTest : ::testing::Test {
  StackParts ctx;
  Loop* loop = nullptr;
  std::vector<std::string> answers;
  int opened = 0;

  void SetUp() override {
    ctx.config.default_rooms = {};
    ctx.loops.push_back(std::make_unique<Loop>(0));
    loop = ctx.loops.front().get();
  }
  // Sessions are "sid-1", "sid-2"...; `address`: the admitted client address ("" not counted).
  std::shared_ptr<eio::Session> open_session(std::string address = {}) {
    auto s = ctx.stack.make_session(*loop, "sid-" + std::to_string(++opened),
                                    eio::Session::TransportKind::polling, std::move(address));
    ctx.sessions.add(s->sid(), s);
    s->open();
    s->poll_get(respond());  // takes the OPEN packet
    return s;
  }
  eio::PollRespond respond() {
    return [this](boost::beast::http::status, std::string body, std::string_view) {
      answers.push_back(std::move(body));
    };
  }
  // Runs what is ready on the loop, or everything due within `for_` (timers).
  void settle(std::chrono::milliseconds for_ = std::chrono::milliseconds(0)) {
    loop->ioc.restart();
    if (for_.count())
      loop->ioc.run_for(for_);
    else
      loop->ioc.poll();
  }
};

}  // namespace pulseboard::gateway
