// Room membership and broadcast targeting on one event loop: who receives a broadcast, exactly
// once, with `except`, several rooms, namespaces and the volatile flag.
#include "socketio/room_index.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "engineio/session.hpp"
#include "gateway/session_stack.hpp"
#include "socketio/socket.hpp"
#include "socketio/socketio_client.hpp"
#include "stack_parts.hpp"

namespace pulseboard::gateway {
namespace {

class RoomIndexTest : public ::testing::Test {
 protected:
  RoomIndexTest() {
    ctx.config.max_queued_frames = 8;
    ctx.loops.push_back(std::make_unique<Loop>(0));
  }

  struct Client {
    std::shared_ptr<eio::Session> session;
    std::unique_ptr<socketio::SocketIoClient> sio;
    std::unique_ptr<socketio::Socket> socket;
  };

  // A connected socket whose session queues frames without a transport (nothing is written).
  Client& connect(const std::string& id, const std::string& nsp = "/") {
    Client c;
    c.session = std::make_shared<eio::Session>(ctx.stack, loop().ioc, "session-" + id,
                                               eio::Session::TransportKind::polling);
    c.sio = std::make_unique<socketio::SocketIoClient>(*c.session, ctx.stack.socketio(), loop());
    c.socket = std::make_unique<socketio::Socket>(id, nsp, *c.session, *c.sio, std::nullopt, "");
    rooms().add(c.socket.get());
    join(*c.socket, id);
    clients.push_back(std::move(c));
    return clients.back();
  }

  void join(socketio::Socket& s, const std::string& room) {
    s.rooms().insert(room);
    rooms().join(&s, room);
  }

  static std::size_t received(const Client& c) { return c.session->queue().size(); }

  std::size_t send(std::vector<std::string> to, std::vector<std::string> except = {},
                   std::string nsp = "/", bool is_volatile = false) {
    socketio::Broadcast b;
    b.nsp = std::move(nsp);
    b.rooms = std::move(to);
    b.except = std::move(except);
    b.is_volatile = is_volatile;
    b.frames.push_back(eio::text_frame("42[\"tick\"]"));
    return rooms().deliver(b);
  }

  Loop& loop() { return *ctx.loops.front(); }
  socketio::RoomIndex& rooms() { return loop().rooms; }

  StackParts ctx;
  std::deque<Client> clients;
};

TEST_F(RoomIndexTest, RoomBroadcastReachesMembersOnly) {
  auto& a = connect("a");
  auto& b = connect("b");
  join(*a.socket, "live-metrics");
  EXPECT_EQ(send({"live-metrics"}), 1u);
  EXPECT_EQ(received(a), 1u);
  EXPECT_EQ(received(b), 0u);
}

TEST_F(RoomIndexTest, EmptyRoomListMeansEverySocketOfTheNamespace) {
  auto& a = connect("a");
  auto& b = connect("b");
  auto& other = connect("c", "/admin");
  EXPECT_EQ(send({}), 2u);
  EXPECT_EQ(received(a), 1u);
  EXPECT_EQ(received(b), 1u);
  EXPECT_EQ(received(other), 0u);
}

TEST_F(RoomIndexTest, SeveralRoomsDeliverOncePerSocket) {
  auto& a = connect("a");
  join(*a.socket, "r1");
  join(*a.socket, "r2");
  auto& b = connect("b");
  join(*b.socket, "r2");
  EXPECT_EQ(send({"r1", "r2"}), 2u);
  EXPECT_EQ(received(a), 1u);
  EXPECT_EQ(received(b), 1u);
}

TEST_F(RoomIndexTest, ExceptSkipsSocketsInAnyExcludedRoomIncludingSocketIds) {
  auto& a = connect("a");
  auto& b = connect("b");
  auto& c = connect("c");
  for (auto* s : {a.socket.get(), b.socket.get(), c.socket.get()}) join(*s, "all");
  join(*b.socket, "muted");
  EXPECT_EQ(send({"all"}, {"muted", "c"}), 1u);
  EXPECT_EQ(received(a), 1u);
  EXPECT_EQ(received(b), 0u);
  EXPECT_EQ(received(c), 0u);
}

TEST_F(RoomIndexTest, LeaveAndRemoveStopDelivery) {
  auto& a = connect("a");
  auto& b = connect("b");
  join(*a.socket, "r");
  join(*b.socket, "r");
  a.socket->rooms().erase("r");
  rooms().leave(a.socket.get(), "r");
  rooms().remove(b.socket.get());
  EXPECT_EQ(send({"r"}), 0u);
  EXPECT_EQ(rooms().socket_count(), 1u);
  auto names = rooms().room_names("/");
  EXPECT_EQ(std::count(names.begin(), names.end(), "r"), 0);
}

TEST_F(RoomIndexTest, VolatileSkipsSocketsWithQueuedFrames) {
  auto& a = connect("a");
  auto& b = connect("b");
  join(*a.socket, "r");
  join(*b.socket, "r");
  a.session->send(eio::text_frame("2"));  // a is behind
  EXPECT_EQ(send({"r"}, {}, "/", /*is_volatile=*/true), 1u);
  EXPECT_EQ(received(a), 1u);
  EXPECT_EQ(received(b), 1u);
}

TEST_F(RoomIndexTest, QueueOverflowDisconnectsTheSlowClientAndNotOthers) {
  auto& slow = connect("slow");
  join(*slow.socket, "r");
  for (int i = 0; i < 8; ++i) send({"r"});
  EXPECT_FALSE(slow.session->closed());
  send({"r"});  // the 9th frame crosses max_queued_frames = 8
  EXPECT_TRUE(slow.session->closed());
  EXPECT_EQ(ctx.metrics.rejected(Rejection::send_queue_overflow), 1u);
  auto& fresh = connect("fresh");
  join(*fresh.socket, "r2");
  EXPECT_EQ(send({"r2"}), 1u);
}

}  // namespace
}  // namespace pulseboard::gateway
