// A plain stream's non-blocking gathered write: the bytes of every buffer arrive in order,
// whether the pieces are small enough to be copied into one send() or go out as one gathered
// sendmsg().
#include "net/stream.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pulseboard::net {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;

struct Connected {
  asio::io_context ioc;
  tcp::socket reader{ioc};
  std::optional<Stream> writer;

  Connected() {
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    reader.connect(acceptor.local_endpoint());
    tcp::socket accepted = acceptor.accept();
    accepted.non_blocking(true);
    writer.emplace(std::move(accepted));
  }

  // Writes all of `pieces` with try_write (retrying the rest when the kernel takes part) while
  // reading, and returns what the other end received.
  std::string round_trip(const std::vector<std::string>& pieces) {
    std::string expected;
    for (const auto& p : pieces) expected += p;
    std::vector<asio::const_buffer> buffers;
    for (const auto& p : pieces) buffers.emplace_back(p.data(), p.size());

    std::string received(expected.size(), '\0');
    std::size_t got = 0;
    std::size_t written = 0;
    bool first = true;
    while (got < expected.size()) {
      if (written < expected.size()) {
        boost::system::error_code ec;
        std::size_t n = 0;
        if (first) {
          n = writer->try_write(buffers, ec);  // the whole gathered list, as a batch is
          first = false;
        } else {
          asio::const_buffer rest(expected.data() + written, expected.size() - written);
          n = writer->try_write(std::span(&rest, 1), ec);
        }
        EXPECT_TRUE(!ec || ec == asio::error::would_block) << ec.message();
        written += n;
      }
      got += reader.read_some(asio::buffer(received.data() + got, received.size() - got));
    }
    return received;
  }
};

std::string bytes(std::size_t n, char from) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(from + i % 23);
  return s;
}

TEST(StreamTryWrite, SmallPiecesArriveInOrder) {
  Connected c;
  const std::vector<std::string> frames{bytes(2, 'a'),    bytes(100, 'b'), bytes(4, 'c'),
                                        bytes(1024, 'd'), bytes(2, 'e'),   bytes(7, 'f')};
  std::string all;
  for (const auto& f : frames) all += f;
  EXPECT_EQ(c.round_trip(frames), all);
}

TEST(StreamTryWrite, PiecesLargerThanTheCopyBufferArriveInOrder) {
  Connected c;
  std::vector<std::string> frames;
  for (int i = 0; i < 40; ++i) {
    frames.push_back(bytes(4, static_cast<char>('a' + i % 20)));
    frames.push_back(bytes(1024, static_cast<char>('A' + i % 20)));
  }
  std::string all;
  for (const auto& f : frames) all += f;
  EXPECT_EQ(c.round_trip(frames), all);
}

TEST(StreamTryWrite, OneBufferArrivesWhole) {
  Connected c;
  const std::vector<std::string> one{bytes(300, 'x')};
  EXPECT_EQ(c.round_trip(one), one.front());
}

}  // namespace
}  // namespace pulseboard::net
