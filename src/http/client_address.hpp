#pragma once
// Which address a request comes from, for the per-address limits (docs/security.md). The TCP
// peer, unless that peer is a configured proxy: then the right-most X-Forwarded-For entry that
// is not itself a trusted proxy. X-Forwarded-For from anyone else is ignored, since a client
// can write whatever it likes there. `forwarded_for` is the whole list: every field line of the
// request, combined (the HTTP connection combines them before any handler reads the field).
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pulseboard::http {

class TrustedProxies {
 public:
  // Comma- or space-separated addresses and CIDR networks ("127.0.0.1, 10.0.0.0/8, ::1").
  // Empty when `spec` has an entry that does not parse (the message says which).
  static std::optional<TrustedProxies> parse(std::string_view spec, std::string* error = nullptr);
  bool contains(const boost::asio::ip::address& a) const;
  bool empty() const { return networks_.empty(); }

 private:
  std::vector<std::variant<boost::asio::ip::network_v4, boost::asio::ip::network_v6>> networks_;
};

// The client's address as text (IPv4-mapped IPv6 addresses shown as IPv4).
std::string client_address(const boost::asio::ip::address& peer, std::string_view forwarded_for,
                           const TrustedProxies& proxies);

}  // namespace pulseboard::http
