#include "client_settings.hpp"

#include <boost/json.hpp>

namespace pulseboard::bench {

std::optional<ClientSettings> gateway_client_settings(const std::string& host, std::uint16_t port,
                                                      const std::string& token) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address_v4(host, ec);
  if (ec) return std::nullopt;
  ClientSettings settings;
  settings.server = {address, port};
  settings.host_header = host + ":" + std::to_string(port);
  settings.connect_packet = "40" + boost::json::serialize(boost::json::object{{"token", token}});
  return settings;
}

}  // namespace pulseboard::bench
