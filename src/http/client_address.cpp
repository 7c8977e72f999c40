#include "http/client_address.hpp"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

namespace pulseboard::http {
namespace ip = boost::asio::ip;
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

std::optional<ip::address> parse_address(std::string_view s) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(s), ec);
  if (ec) return std::nullopt;
  return unmapped(a);
}

}  // namespace

std::optional<TrustedProxies> TrustedProxies::parse(std::string_view spec, std::string* error) {
  TrustedProxies out;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    std::size_t end = spec.find_first_of(", ", pos);
    if (end == std::string_view::npos) end = spec.size();
    std::string entry(trim(spec.substr(pos, end - pos)));
    pos = end + 1;
    if (entry.empty()) continue;
    if (entry.find('/') == std::string::npos)
      entry += entry.find(':') == std::string::npos ? "/32" : "/128";
    boost::system::error_code ec;
    if (entry.find(':') == std::string::npos) {
      auto n = ip::make_network_v4(entry, ec);
      if (!ec) out.networks_.emplace_back(n.canonical());
    } else {
      auto n = ip::make_network_v6(entry, ec);
      if (!ec) out.networks_.emplace_back(n.canonical());
    }
    if (ec) {
      if (error) *error = "not an address or CIDR network: " + entry;
      return std::nullopt;
    }
  }
  return out;
}

bool TrustedProxies::contains(const ip::address& address) const {
  const ip::address a = unmapped(address);
  for (const auto& n : networks_) {
    if (const auto* v4 = std::get_if<ip::network_v4>(&n)) {
      if (a.is_v4() && ip::network_v4(a.to_v4(), v4->prefix_length()).canonical() == *v4)
        return true;
    } else {
      const auto& v6 = std::get<ip::network_v6>(n);
      if (a.is_v6() && ip::network_v6(a.to_v6(), v6.prefix_length()).canonical() == v6) return true;
    }
  }
  return false;
}

std::string client_address(const ip::address& peer, std::string_view forwarded_for,
                           const TrustedProxies& proxies) {
  ip::address client = unmapped(peer);
  if (!proxies.contains(client) || forwarded_for.empty()) return client.to_string();
  // Walk from the right: each hop a trusted proxy added names the one before it. The first
  // hop that is not a trusted proxy is the client; an entry that does not parse ends the walk
  // at the last trusted hop.
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    std::size_t comma = rest.rfind(',');
    std::string_view entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    auto hop = parse_address(entry);
    if (!hop) break;
    client = *hop;
    if (!proxies.contains(client)) break;
  }
  return client.to_string();
}

}  // namespace pulseboard::http
