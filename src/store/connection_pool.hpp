#pragma once
// A small fixed set of database connections shared by the API's worker threads. A thread
// borrows one for a call and gives it back; with all of them out, it waits up to a deadline
// (the bound on how many calls can be in the database at once is the pool size).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace pulseboard::store {

template <class Connection>
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->give_back(std::move(conn_));
    }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  explicit ConnectionPool(std::vector<std::unique_ptr<Connection>> connections)
      : idle_(std::move(connections)) {}

  // nullopt when no connection came free within `wait`.
  std::optional<Lease> borrow(std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait, [&] { return !idle_.empty(); })) return std::nullopt;
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }

 private:
  void give_back(std::unique_ptr<Connection> conn) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(conn));
    }
    freed_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace pulseboard::store
