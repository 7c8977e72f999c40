#pragma once
// The WebSocket transports of one loop that have frames to write. A broadcast only queues its
// frame on each recipient and marks the transport here; the loop flushes every marked transport
// once, after the handlers already queued on it have run. Frames that pile up for one socket in
// the meantime leave in one gathered write instead of one write each (docs/gateway.md, "Write
// path").
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <vector>

namespace pulseboard::websocket {

template <typename Transport>
class FlushList {
 public:
  explicit FlushList(boost::asio::io_context& ioc) : ioc_(ioc) {}

  // Called on the loop's thread by a transport that is not yet marked.
  void add(std::shared_ptr<Transport> transport) {
    marked_.push_back(std::move(transport));
    if (posted_) return;
    posted_ = true;
    boost::asio::post(ioc_, [this] { run(); });
  }

 private:
  void run() {
    posted_ = false;
    running_.swap(marked_);  // transports marked while flushing go to the next turn
    for (auto& t : running_) t->flush();
    running_.clear();
  }

  boost::asio::io_context& ioc_;
  std::vector<std::shared_ptr<Transport>> marked_;
  std::vector<std::shared_ptr<Transport>> running_;
  bool posted_ = false;
};

}  // namespace pulseboard::websocket
