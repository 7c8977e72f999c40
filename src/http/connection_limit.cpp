#include "http/connection_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "common/prometheus.hpp"

namespace pulseboard::http {
namespace ip = boost::asio::ip;
namespace {

// A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; they count as a.b.c.d.
ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

std::shared_ptr<ConnectionLimit> ConnectionLimit::create(std::size_t per_address,
                                                         std::uint64_t descriptor_ceiling) {
  return std::shared_ptr<ConnectionLimit>(new ConnectionLimit(per_address, descriptor_ceiling));
}

std::uint64_t ConnectionLimit::reserve_for(std::uint64_t open_file_limit) {
  return std::clamp<std::uint64_t>(open_file_limit / 8, 16, 256);
}

std::uint64_t ConnectionLimit::descriptor_ceiling_for_this_process() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  std::uint64_t soft = limit.rlim_cur;
  std::uint64_t reserve = reserve_for(soft);
  return soft > reserve ? soft - reserve : 1;
}

std::unique_ptr<ConnectionLimit::Lease> ConnectionLimit::admit(const ip::address& peer,
                                                               std::uint64_t fd, Refusal& why) {
  if (descriptor_ceiling_ && fd >= descriptor_ceiling_) {
    why = Refusal::descriptor_reserve;
    return nullptr;
  }
  ip::address key = unmapped(peer);
  {
    std::lock_guard lock(mutex_);
    std::size_t& held = by_address_[key];
    if (per_address_ && held >= per_address_) {
      if (held == 0) by_address_.erase(key);
      why = Refusal::address_limit;
      return nullptr;
    }
    ++held;
    ++open_;
  }
  why = Refusal::none;
  return std::make_unique<Lease>(shared_from_this(), key);
}

void ConnectionLimit::release(const ip::address& peer) {
  std::lock_guard lock(mutex_);
  auto it = by_address_.find(peer);
  if (it == by_address_.end()) return;
  if (--it->second == 0) by_address_.erase(it);
  --open_;
}

std::size_t ConnectionLimit::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t ConnectionLimit::open_from(const ip::address& peer) const {
  std::lock_guard lock(mutex_);
  auto it = by_address_.find(unmapped(peer));
  return it == by_address_.end() ? 0 : it->second;
}

std::string ConnectionLimit::render_prometheus() const {
  std::size_t open = 0;
  std::size_t busiest = 0;
  {
    std::lock_guard lock(mutex_);
    open = open_;
    for (const auto& [address, held] : by_address_) busiest = std::max(busiest, held);
  }
  std::string out;
  auto gauge = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    append_prometheus_metric(out, name, help, "gauge", std::to_string(value));
  };
  gauge("pulseboard_http_connections_open",
        "TCP connections speaking HTTP (not yet upgraded to WebSocket)", open);
  gauge("pulseboard_http_connections_busiest_address",
        "HTTP connections held by the TCP peer address that holds the most", busiest);
  gauge("pulseboard_http_connections_per_address_max",
        "--max-connections-per-address: HTTP connections one TCP peer address may hold (0 = no "
        "cap)",
        per_address_);
  gauge("pulseboard_descriptor_ceiling",
        "Descriptors at or above this number are not kept for new connections (open-file limit "
        "less a reserve; 0 = no limit)",
        descriptor_ceiling_);
  return out;
}

}  // namespace pulseboard::http
