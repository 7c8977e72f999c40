#pragma once
// Bounds on the TCP connections the listener holds (docs/security.md), checked as each one is
// accepted, before a byte of it is read:
// - at most `per_address` HTTP connections from one TCP peer address (a connection upgraded to
//   WebSocket leaves this count: it is a session then, bounded by the session limits);
// - never a descriptor among the last `reserve` below the open-file limit, so a flood of
//   connections leaves the process the descriptors it needs for everything else (Redis,
//   static files, upgraded sockets' peers, the sanitizer's own probes).
// Thread-safe: connections are accepted on one loop and end on every loop.
#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace pulseboard::http {

class ConnectionLimit : public std::enable_shared_from_this<ConnectionLimit> {
 public:
  enum class Refusal { none, address_limit, descriptor_reserve };

  // Counts one connection until it is destroyed.
  class Lease {
   public:
    Lease(std::shared_ptr<ConnectionLimit> owner, boost::asio::ip::address peer)
        : owner_(std::move(owner)), peer_(peer) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { owner_->release(peer_); }

   private:
    std::shared_ptr<ConnectionLimit> owner_;
    boost::asio::ip::address peer_;
  };

  // `per_address` 0: no per-address cap. `descriptor_ceiling` 0: no descriptor check.
  static std::shared_ptr<ConnectionLimit> create(std::size_t per_address,
                                                 std::uint64_t descriptor_ceiling);
  // The first descriptor number the listener will not keep: the soft open-file limit less a
  // reserve of an eighth of it (at least 16, at most 256). 0 when there is no limit.
  static std::uint64_t descriptor_ceiling_for_this_process();
  static std::uint64_t reserve_for(std::uint64_t open_file_limit);

  // A lease for the connection on descriptor `fd` from `peer`, or null and `why` when it must
  // be closed at once. Descriptors are handed out lowest first, so a descriptor at the ceiling
  // means every one below it is in use.
  std::unique_ptr<Lease> admit(const boost::asio::ip::address& peer, std::uint64_t fd,
                               Refusal& why);

  std::size_t per_address() const { return per_address_; }
  std::uint64_t descriptor_ceiling() const { return descriptor_ceiling_; }
  std::size_t open() const;
  std::size_t open_from(const boost::asio::ip::address& peer) const;
  // Gauges for /metrics: the cap, the ceiling, the connections held and the most held by any
  // one address.
  std::string render_prometheus() const;

 private:
  ConnectionLimit(std::size_t per_address, std::uint64_t descriptor_ceiling)
      : per_address_(per_address), descriptor_ceiling_(descriptor_ceiling) {}
  void release(const boost::asio::ip::address& peer);

  const std::size_t per_address_;
  const std::uint64_t descriptor_ceiling_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  // Only addresses holding a connection: bounded by the connections themselves.
  std::map<boost::asio::ip::address, std::size_t> by_address_;
};

}  // namespace pulseboard::http
