#pragma once
// The WebSocket transports of one loop that have frames to write. A broadcast only queues its
// frame on each recipient and marks the transport here; the loop flushes every marked transport
// once, after the handlers already queued on it have run. Frames that pile up for one socket in
// the meantime leave in one gathered write instead of one write each (docs/gateway.md, "Write
// path").
//
// Write-through: while the loop delivers the last broadcast it has been handed (nothing else
// waits to be gathered with it), a kicked transport writes at once instead. It is then still in
// the cache from queueing the frame: a broadcast to 19,000 sockets otherwise walks every
// recipient twice, and by the flush the first ones are long evicted.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <vector>

namespace pulseboard::websocket {

template <typename Transport>
class FlushList {
 public:
  explicit FlushList(boost::asio::io_context& ioc) : ioc_(ioc) {}

  // While one lives (on the loop's thread), kicked transports write at once when `on`.
  class WriteThrough {
   public:
    WriteThrough(FlushList& list, bool on) : list_(list), was_(list.write_through_) {
      list_.write_through_ = on;
    }
    ~WriteThrough() { list_.write_through_ = was_; }
    WriteThrough(const WriteThrough&) = delete;
    WriteThrough& operator=(const WriteThrough&) = delete;

   private:
    FlushList& list_;
    bool was_;
  };
  bool writing_through() const { return write_through_; }

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
    for (std::size_t i = 0; i < running_.size(); ++i) {
      // Transports are far apart in memory: ask for the next ones while this one writes.
      if (i + kPrefetchAhead < running_.size()) running_[i + kPrefetchAhead]->prefetch();
      running_[i]->flush();
    }
    running_.clear();
  }

  static constexpr std::size_t kPrefetchAhead = 4;
  boost::asio::io_context& ioc_;
  std::vector<std::shared_ptr<Transport>> marked_;
  std::vector<std::shared_ptr<Transport>> running_;
  bool posted_ = false;
  bool write_through_ = false;
};

}  // namespace pulseboard::websocket
