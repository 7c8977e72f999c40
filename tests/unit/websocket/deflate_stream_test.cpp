#include "websocket/deflate_stream.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace pulseboard::websocket {
namespace {

using Clock = std::chrono::steady_clock;
std::string room(const char* name) {
  return std::string("/") + '\0' + name;
}
const std::string kRoom = room("live-metrics");
const DeflateSettings kSettings{};  // on, level 6, own forms from 256 bytes

// A dashboard update like the demo's: the same keys, new values.
std::string update(int i) {
  static const char* kCategories[] = {"tools", "books", "garden", "toys", "music"};
  return "42[\"metrics-update\",{\"time\":\"2026-12-07T10:" + std::to_string(10 + i % 50) + ":" +
         std::to_string(10 + i * 7 % 50) + ".514Z\",\"id\":\"order-" + std::to_string(i * 7919) +
         "\",\"revenue\":" + std::to_string(10 + i * 37 % 990) + "." + std::to_string(i % 100) +
         ",\"category\":\"" + kCategories[i % 5] +
         "\",\"eventId\":\"sqlite:" + std::to_string(588 + i) + "\"}]";
}

std::shared_ptr<const SharedPayload> broadcast(DeflateStreams& streams, std::string text,
                                               Clock::time_point now,
                                               const std::string& key = kRoom) {
  auto payload = make_shared_payload(std::move(text));
  const SharedPayload* p = payload.get();
  streams.compress_at(key, std::span<const SharedPayload* const>(&p, 1), now);
  return payload;
}

// A browser's end of one connection: the inflater keeps its window across messages.
struct Client {
  Inflater inflater{15};
  StreamFollower follower;

  // Receives `payload` as the gateway's transport would send it; returns what the client read.
  std::string receive(const SharedPayload& payload, DeflateChoice* seen = nullptr) {
    const DeflateChoice c = choose_deflate(payload, &follower, kSettings);
    if (seen) *seen = c;
    if (!c.compressed) return *c.bytes;
    std::string out;
    EXPECT_EQ(inflater.inflate(*c.bytes, 1'000'000, out), Inflater::Result::ok);
    return out;
  }
};

TEST(DeflateStreams, AFollowerReadsEveryMessageAndTheStreamFormsAreSmall) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters);
  Client client;
  const Clock::time_point t0 = Clock::now();
  std::size_t stream_bytes = 0, own_bytes = 0;
  for (int i = 0; i < 100; ++i) {
    auto p = broadcast(streams, update(i), t0);
    DeflateChoice c;
    ASSERT_EQ(client.receive(*p, &c), *p) << i;
    ASSERT_TRUE(c.in_stream) << i;  // the first is fresh: the client follows from there
    if (i == 0) continue;
    stream_bytes += c.bytes->size();
    std::string own;
    ASSERT_TRUE(deflate_message(*p, 6, own));
    own_bytes += own.size();
  }
  // Each update compressed on its own barely shrinks; in the room's context it is a fraction.
  EXPECT_LT(stream_bytes * 2, own_bytes);
  EXPECT_EQ(counters.messages.load(), 100u);
  EXPECT_EQ(counters.live.load(), 1);
}

TEST(DeflateStreams, ASocketThatMissedOneSendsSelfContainedMessagesUntilTheNextReset) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters);
  Client client;
  Clock::time_point now = Clock::now();
  client.receive(*broadcast(streams, update(0), now));
  broadcast(streams, update(1), now);  // conflated away: never written to this socket
  DeflateChoice c;
  auto p = broadcast(streams, update(2), now);
  EXPECT_EQ(client.receive(*p, &c), *p);
  EXPECT_FALSE(c.in_stream);
  EXPECT_EQ(client.follower.stream, 0u);
  // Asked for, the reset waits for the interval; then the next message is fresh and it follows.
  p = broadcast(streams, update(3), now + kStreamResetInterval / 2);
  EXPECT_EQ(client.receive(*p, &c), *p);
  EXPECT_FALSE(c.in_stream);
  EXPECT_EQ(counters.resets.load(), 0u);
  p = broadcast(streams, update(4), now + kStreamResetInterval);
  EXPECT_EQ(client.receive(*p, &c), *p);
  EXPECT_TRUE(c.in_stream);
  EXPECT_EQ(counters.resets.load(), 1u);
  p = broadcast(streams, update(5), now + kStreamResetInterval);
  EXPECT_EQ(client.receive(*p, &c), *p);
  EXPECT_TRUE(c.in_stream);
}

TEST(DeflateStreams, NoResetWhileEverySocketFollows) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters);
  Client a, b;
  Clock::time_point now = Clock::now();
  for (int i = 0; i < 50; ++i) {
    now += std::chrono::seconds(1);
    auto p = broadcast(streams, update(i), now);
    ASSERT_EQ(a.receive(*p), *p);
    ASSERT_EQ(b.receive(*p), *p);
  }
  EXPECT_EQ(counters.resets.load(), 0u);
}

TEST(DeflateStreams, AnotherCompressedMessageStopsTheFollowingWhileAPlainOneDoesNot) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters);
  Client client;
  const Clock::time_point now = Clock::now();
  client.receive(*broadcast(streams, update(0), now));
  // A small message of the socket's own (an ack) goes plain: its client's window is untouched.
  auto ack = make_shared_payload("431[\"ok\"]");
  EXPECT_EQ(client.receive(*ack), *ack);
  EXPECT_NE(client.follower.stream, 0u);
  // A big one of its own (the retained snapshot on joining) is compressed on its own and enters
  // the window, so the stream's next message would be read against the wrong history.
  auto own = make_shared_payload("42[\"metrics-snapshot\"," + std::string(2000, 'x') + "]");
  EXPECT_EQ(client.receive(*own), *own);
  EXPECT_EQ(client.follower.stream, 0u);
  DeflateChoice c;
  auto p = broadcast(streams, update(1), now);
  EXPECT_EQ(client.receive(*p, &c), *p);
  EXPECT_FALSE(c.in_stream);
}

TEST(DeflateStreams, AClientThatKeepsNoServerContextNeverFollows) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters);
  const Clock::time_point now = Clock::now();
  auto p = broadcast(streams, update(0) + std::string(300, ' '), now);
  const DeflateChoice c = choose_deflate(*p, nullptr, kSettings);
  EXPECT_FALSE(c.in_stream);
  EXPECT_TRUE(c.compressed);
  std::string out;
  EXPECT_EQ(Inflater(15).inflate(*c.bytes, 100'000, out), Inflater::Result::ok);
  EXPECT_EQ(out, *p);
}

TEST(DeflateStreams, AMessageBelongsToOneStreamOnly) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters);
  const Clock::time_point now = Clock::now();
  auto p = broadcast(streams, update(0), now);
  const StreamForm* first = p->stream_form();
  ASSERT_NE(first, nullptr);
  const SharedPayload* raw = p.get();
  // The retained copy broadcast again (to another room) keeps its form and is not compressed
  // into the other stream, whose next message would then refer to bytes its sockets never read.
  streams.compress_at(room("other"), std::span<const SharedPayload* const>(&raw, 1), now);
  EXPECT_EQ(p->stream_form(), first);
  EXPECT_EQ(counters.messages.load(), 1u);
}

TEST(DeflateStreams, SmallMessagesGetNoStreamForm) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters);
  auto p = broadcast(streams, "42[\"tick\",1]", Clock::now());
  EXPECT_EQ(p->stream_form(), nullptr);
}

TEST(DeflateStreams, PastTheLimitAnIdleStreamMakesRoomAndABusyOneDoesNot) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters, 2);
  Client client;
  const Clock::time_point now = Clock::now();
  client.receive(*broadcast(streams, update(0), now, room("a")));
  broadcast(streams, update(1), now, room("b"));
  // Both streams busy: room c's message is compressed on its own, and a and b keep theirs.
  auto p = broadcast(streams, update(2), now + std::chrono::seconds(1), room("c"));
  EXPECT_EQ(p->stream_form(), nullptr);
  EXPECT_EQ(counters.refused.load(), 1u);
  EXPECT_EQ(counters.evictions.load(), 0u);
  // b is used again; later a has been idle long enough and makes room for c.
  const Clock::time_point later = now + kStreamIdleBeforeEviction;
  broadcast(streams, update(3), later, room("b"));
  p = broadcast(streams, update(4), later, room("c"));
  EXPECT_NE(p->stream_form(), nullptr);
  EXPECT_EQ(counters.evictions.load(), 1u);
  EXPECT_EQ(counters.live.load(), 2);
  // Room a's next broadcast finds no idle stream (b and c were just used): on its own.
  DeflateChoice c;
  p = broadcast(streams, update(5), later, room("a"));
  EXPECT_EQ(client.receive(*p, &c), *p);
  EXPECT_FALSE(c.in_stream);
  EXPECT_EQ(counters.refused.load(), 2u);
}

// Many sockets, each missing messages at random (conflation, hidden tabs, volatile drops) and
// receiving messages of their own between the room's, all read every message they were sent
// exactly: whatever the mix of forms, no client's inflater ever reads against a wrong window.
TEST(DeflateStreams, EveryClientReadsEveryMessageWhateverItMissed) {
  DeflateStreamCounters counters;
  DeflateStreams streams(6, counters);
  std::vector<Client> clients(8);
  std::mt19937 rng(2026);
  Clock::time_point now = Clock::now();
  std::vector<std::size_t> in_stream(clients.size()), sent(clients.size());
  for (int i = 0; i < 2000; ++i) {
    if (i % 10 == 0) now += std::chrono::seconds(1);
    std::string text = i % 11 == 0 ? "42[\"metrics-snapshot\",{\"series\":[" + std::to_string(i) +
                                         std::string(3000, ',') + "]}]"
                                   : update(i);
    auto p = broadcast(streams, text, now);
    for (std::size_t k = 0; k < clients.size(); ++k) {
      const unsigned roll = rng() % 100;
      if (roll < k * 2) continue;  // client k misses 2k % of the room's messages
      DeflateChoice c;
      ASSERT_EQ(clients[k].receive(*p, &c), *p) << "client " << k << " message " << i;
      in_stream[k] += c.in_stream ? 1 : 0;
      ++sent[k];
      if (k % 2 == 1 && rng() % 50 == 0) {  // odd clients also get messages of their own
        auto own = make_shared_payload("42[\"own\",\"" + std::to_string(rng()) +
                                       std::string(400, 'y') + "\"]");
        ASSERT_EQ(clients[k].receive(*own), *own);
      }
    }
  }
  // The client that misses nothing follows from the first message to the last, however often
  // the stream resets for the others.
  EXPECT_EQ(in_stream[0], sent[0]);
  for (std::size_t k = 1; k < clients.size(); ++k) EXPECT_GT(in_stream[k], 0u) << k;
  EXPECT_GT(counters.resets.load(), 0u);
}

}  // namespace
}  // namespace pulseboard::websocket
