#include "redis/endpoint.hpp"

#include <boost/url/parse.hpp>
#include <charconv>

namespace pulseboard::redis {

namespace {

std::optional<int> parse_int(std::string_view s, int max) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Endpoint> parse_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  const auto& u = *parsed;
  bool tls = u.scheme() == "rediss";
  if ((!tls && u.scheme() != "redis") || !u.has_authority() || u.has_query() || u.has_fragment())
    return std::nullopt;

  Endpoint ep;
  ep.tls = tls;
  switch (u.host_type()) {
    case boost::urls::host_type::ipv6:
      ep.host = u.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
      ep.host = u.host();
      break;
    default:
      return std::nullopt;
  }
  if (ep.host.empty()) return std::nullopt;
  if (u.has_port()) {
    auto port = parse_int(u.port(), 65535);
    if (!port || *port == 0) return std::nullopt;
    ep.port = *port;
  }
  if (u.has_userinfo()) {
    ep.username = u.user();
    if (u.has_password()) ep.password = u.password();
  }
  std::string_view path = u.encoded_path();
  if (!path.empty() && path != "/") {
    auto db = parse_int(path.substr(1), 1 << 20);
    if (path.front() != '/' || !db) return std::nullopt;
    ep.db = *db;
  }
  return ep;
}

}  // namespace pulseboard::redis
