#include "websocket/flush_list.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

namespace pulseboard::websocket {
namespace {

struct FakeTransport {
  int flushes = 0;
  std::function<void()> on_flush;
  void flush() {
    ++flushes;
    if (on_flush) on_flush();
  }
  void prefetch() const {}
};

TEST(FlushList, FlushesEachMarkedTransportOnceAfterTheHandlersAlreadyQueued) {
  boost::asio::io_context ioc;
  FlushList<FakeTransport> list(ioc);
  auto a = std::make_shared<FakeTransport>();
  auto b = std::make_shared<FakeTransport>();
  int seen_before = -1, seen_after = -1;
  // A broadcast already queued on the loop runs before the flush: its frames join the write.
  boost::asio::post(ioc, [&] { seen_before = a->flushes; });
  list.add(a);
  list.add(b);
  boost::asio::post(ioc, [&] { seen_after = a->flushes; });
  ioc.run();
  EXPECT_EQ(seen_before, 0);
  EXPECT_EQ(seen_after, 1);
  EXPECT_EQ(a->flushes, 1);
  EXPECT_EQ(b->flushes, 1);
}

TEST(FlushList, ATransportMarkedDuringAFlushIsFlushedOnTheNextTurn) {
  boost::asio::io_context ioc;
  FlushList<FakeTransport> list(ioc);
  auto a = std::make_shared<FakeTransport>();
  a->on_flush = [&] {
    if (a->flushes == 1) list.add(a);  // more frames came while writing
  };
  list.add(a);
  EXPECT_EQ(ioc.run_one(), 1u);  // the first flush
  EXPECT_EQ(a->flushes, 1);
  EXPECT_EQ(ioc.run_one(), 1u);  // a separate turn for the second
  EXPECT_EQ(a->flushes, 2);
  EXPECT_EQ(ioc.run_one(), 0u);
}

TEST(FlushList, KeepsAMarkedTransportAliveUntilItIsFlushed) {
  boost::asio::io_context ioc;
  FlushList<FakeTransport> list(ioc);
  auto a = std::make_shared<FakeTransport>();
  std::weak_ptr<FakeTransport> watch = a;
  list.add(std::move(a));
  EXPECT_FALSE(watch.expired());
  ioc.run();
  EXPECT_TRUE(watch.expired());
}

TEST(FlushList, WritesThroughOnlyWhileAScopeSaysSoAndRestoresTheOuterSetting) {
  boost::asio::io_context ioc;
  FlushList<FakeTransport> list(ioc);
  EXPECT_FALSE(list.writing_through());
  {
    FlushList<FakeTransport>::WriteThrough last(list, true);
    EXPECT_TRUE(list.writing_through());
    {
      // A broadcast delivered from within another (never today, but scopes must nest).
      FlushList<FakeTransport>::WriteThrough inner(list, false);
      EXPECT_FALSE(list.writing_through());
    }
    EXPECT_TRUE(list.writing_through());
  }
  EXPECT_FALSE(list.writing_through());
}

}  // namespace
}  // namespace pulseboard::websocket
