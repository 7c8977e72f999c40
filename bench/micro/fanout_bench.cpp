// Broadcast fan-out on one event loop: a room of N sockets receives one encoded frame. This is
// the gateway's user-space cost per delivered frame before the kernel's send(); sessions here
// have no transport, so nothing is written and each queue is drained between iterations.
#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <string>

#include "engineio/session.hpp"
#include "gateway/gateway.hpp"
#include "gateway/session_stack.hpp"
#include "socketio/socket.hpp"
#include "socketio/socketio_client.hpp"

namespace {

namespace gw = pulseboard::gateway;
namespace sock = pulseboard::socketio;

struct Room {
  explicit Room(int n) {
    ctx.loops.push_back(std::make_unique<gw::Loop>(0));
    auto& loop = *ctx.loops.front();
    for (int i = 0; i < n; ++i) {
      Member m;
      std::string id = "socket-" + std::to_string(i);
      m.session = std::make_shared<pulseboard::eio::Session>(
          ctx.stack, loop.ioc, "session-" + id, pulseboard::eio::Session::TransportKind::polling);
      m.sio = std::make_unique<sock::SocketIoClient>(*m.session, ctx.stack.socketio(), loop);
      m.socket = std::make_unique<sock::Socket>(id, "/", *m.session, *m.sio, std::nullopt, "");
      loop.rooms.add(m.socket.get());
      m.socket->rooms().insert("live-metrics");
      loop.rooms.join(m.socket.get(), "live-metrics");
      members.push_back(std::move(m));
    }
  }
  struct Member {
    std::shared_ptr<pulseboard::eio::Session> session;
    std::unique_ptr<sock::SocketIoClient> sio;
    std::unique_ptr<sock::Socket> socket;
  };
  // What a Gateway owns for its sessions, in its order (the stack outlives the sessions).
  struct Parts {
    gw::GatewayConfig config;
    gw::GatewayMetrics metrics;
    gw::Admission admission;
    sock::RetainedMessages retained;
    gw::SessionRegistry sessions;
    gw::SessionStack stack{{.config = config,
                            .metrics = metrics,
                            .sessions = sessions,
                            .admission = admission,
                            .retained = retained,
                            .verifier = nullptr}};
    std::vector<std::unique_ptr<gw::Loop>> loops;
  } ctx;
  std::deque<Member> members;
};

void BM_FanOutToRoom(benchmark::State& state) {
  Room room(static_cast<int>(state.range(0)));
  sock::Broadcast b;
  b.rooms = {"live-metrics"};
  b.frames.push_back(sock::message_frame(
      R"(2["metrics-update",{"id":"o1","revenue":42.5,"category":"books","time":"2026-11-28T04:00:00.000Z"}])"));
  auto& loop = *room.ctx.loops.front();
  for (auto _ : state) {
    benchmark::DoNotOptimize(loop.rooms.deliver(b));
    state.PauseTiming();
    for (auto& m : room.members) {
      m.session->on_written(m.session->queue().size());
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetLabel("items = delivered frames");
}
BENCHMARK(BM_FanOutToRoom)->Arg(100)->Arg(1000)->Arg(10000);

}  // namespace
