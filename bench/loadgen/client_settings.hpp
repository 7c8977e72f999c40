#pragma once
// Where and as whom every dashboard of a fleet connects.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace pulseboard::bench {

struct ClientSettings {
  boost::asio::ip::tcp::endpoint server;
  std::string host_header;     // "127.0.0.1:4000"
  std::string connect_packet;  // 40{"token":"..."}
  // Unix ns at which the current publishing phase began; frames stamped earlier are stale.
  const std::atomic<std::uint64_t>* phase_start_ns = nullptr;
};

// Settings for a gateway at `host`:`port` with the CONNECT auth token `token`; nullopt when
// `host` is not an IPv4 address (the fleet binds IPv4 loopback source addresses).
std::optional<ClientSettings> gateway_client_settings(const std::string& host, std::uint16_t port,
                                                      const std::string& token);

}  // namespace pulseboard::bench
