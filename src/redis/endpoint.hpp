#pragma once
// Where a Redis server is and how to log in to it, parsed from REDIS_URL.
#include <optional>
#include <string>
#include <string_view>

namespace pulseboard::redis {

// Files for rediss:// (PEM). Not part of the URL: they come from --redis-tls-* options.
struct TlsFiles {
  std::string ca_file;    // empty: the system's trusted CAs
  std::string cert_file;  // client certificate (chain), with key_file; empty: none
  std::string key_file;

  bool operator==(const TlsFiles&) const = default;
};

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // empty: no AUTH
  std::string username;  // empty: AUTH <password> (the "default" user)
  int db = 0;            // SELECT on every connect when not 0
  bool tls = false;      // rediss://: TLS 1.2+, server certificate and host name verified
  TlsFiles tls_files;    // used only when tls

  bool operator==(const Endpoint&) const = default;
};

// redis:// or rediss://[[user]:password@]host[:port][/db]. Userinfo is percent-decoded; IPv6
// hosts are written in brackets. nullopt on anything else (other schemes, a query, a
// non-numeric or out-of-range port or db).
std::optional<Endpoint> parse_url(std::string_view url);

}  // namespace pulseboard::redis
