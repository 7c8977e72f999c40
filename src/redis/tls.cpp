#include "redis/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

namespace pulseboard::redis {

namespace {

std::optional<std::string> load_files(ssl::context& ctx, const TlsFiles& files) {
  boost::system::error_code ec;
  if (files.ca_file.empty())
    ctx.set_default_verify_paths(ec);
  else
    ctx.load_verify_file(files.ca_file, ec);
  if (ec) return "CA file " + files.ca_file + ": " + ec.message();
  if (files.cert_file.empty() != files.key_file.empty())
    return std::string("a client certificate needs both a certificate and a key file");
  if (files.cert_file.empty()) return std::nullopt;
  ctx.use_certificate_chain_file(files.cert_file, ec);
  if (ec) return "client certificate " + files.cert_file + ": " + ec.message();
  ctx.use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec) return "client key " + files.key_file + ": " + ec.message();
  return std::nullopt;
}

}  // namespace

std::variant<std::shared_ptr<ssl::context>, std::string> make_tls_context(const TlsFiles& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1)
    return std::string("cannot require TLS 1.2");
  ctx->set_verify_mode(ssl::verify_peer);
  if (auto error = load_files(*ctx, files)) return *error;
  return ctx;
}

std::shared_ptr<TlsStream> make_tls_stream(asio::ip::tcp::socket& socket, ssl::context& context,
                                           const std::string& host) {
  auto stream = std::make_shared<TlsStream>(socket, context);
  SSL* ssl = stream->native_handle();
  // OpenSSL checks the name during verification, so a mismatch is reported as one
  // ("hostname mismatch", "IP address mismatch") like any other verification failure.
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  boost::system::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  bool named = false;
  if (not_an_address) {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    named = X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1 &&
            SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  } else {
    named = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  }
  return named ? stream : nullptr;
}

std::string tls_failure(const TlsStream& stream, const boost::system::error_code& ec) {
  auto verdict = SSL_get_verify_result(const_cast<TlsStream&>(stream).native_handle());
  if (verdict != X509_V_OK)
    return "TLS handshake: " + ec.message() + " (" + X509_verify_cert_error_string(verdict) + ")";
  return "TLS handshake: " + ec.message();
}

}  // namespace pulseboard::redis
