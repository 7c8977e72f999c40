#pragma once
// TLS for rediss:// endpoints: one client context per connection (TLS 1.2 or later, the
// server's certificate verified against the CA file or the system store), and per session the
// host name check and SNI for the host the endpoint names.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <string>
#include <variant>

#include "redis/endpoint.hpp"

namespace pulseboard::redis {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;

// The context for `files`, or why it cannot be built (a file that does not load), so that a
// start-up check can name the option at fault.
std::variant<std::shared_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const TlsFiles& files);

// A new session on `socket` that verifies the certificate names `host` and sends `host` as SNI
// (unless it is an IP address, which SNI cannot carry); nullptr if OpenSSL refuses the name.
std::shared_ptr<TlsStream> make_tls_stream(boost::asio::ip::tcp::socket& socket,
                                           boost::asio::ssl::context& context,
                                           const std::string& host);

// Why a handshake failed, with OpenSSL's certificate verdict when that was the reason.
std::string tls_failure(const TlsStream& stream, const boost::system::error_code& ec);

}  // namespace pulseboard::redis
