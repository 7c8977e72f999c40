#include "net/server_tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace pulseboard::net {
namespace ssl = boost::asio::ssl;

namespace {
// TLS 1.2 suites with forward secrecy and authenticated encryption only (the "intermediate"
// set most servers ship); TLS 1.3 has only such suites and keeps OpenSSL's list.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

// Opened before OpenSSL sees it, so a missing or unreadable file is named as such rather than
// as an OpenSSL "system library" error.
std::string unreadable(const std::string& what, const std::string& path) {
  if (path.empty()) return what + " file not given";
  std::ifstream in(path);
  if (!in) return "cannot read the " + what + " file " + path + ": " + std::strerror(errno);
  return {};
}

std::string openssl_reason(const boost::system::error_code& ec) {
  std::string out = ec.message();
  if (unsigned long e = ERR_get_error())
    out = ERR_reason_error_string(e) ? ERR_reason_error_string(e) : out;
  ERR_clear_error();
  return out;
}

void harden(SslContext& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX* h = ctx.native_handle();
  SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
  // A client-initiated renegotiation costs the server a handshake per request of the client.
  SSL_CTX_set_options(h, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_cipher_list(h, kTls12Ciphers);
}
// The key read apart from the context first: OpenSSL's own loading refuses a key of another
// certificate with "key values mismatch", which does not say which file is wrong.
std::variant<std::shared_ptr<SslContext>, std::string> use_key(std::shared_ptr<SslContext> ctx,
                                                               const TlsFiles& files) {
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(files.key_file.c_str(), "r"), &std::fclose);
  EVP_PKEY* key = in ? PEM_read_PrivateKey(in.get(), nullptr, nullptr, nullptr) : nullptr;
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> owned(key, &EVP_PKEY_free);
  if (!key) {
    ERR_clear_error();
    return "cannot load the TLS key " + files.key_file + ": no PEM private key in it";
  }
  X509* cert = SSL_CTX_get0_certificate(ctx->native_handle());
  if (X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return "the TLS key " + files.key_file + " does not match the certificate " + files.cert_file;
  }
  if (SSL_CTX_use_PrivateKey(ctx->native_handle(), key) != 1) {
    ERR_clear_error();
    return "cannot use the TLS key " + files.key_file;
  }
  return ctx;
}
}  // namespace

std::variant<std::shared_ptr<SslContext>, std::string> make_server_context(const TlsFiles& files) {
  if (auto why = unreadable("TLS certificate", files.cert_file); !why.empty()) return why;
  if (auto why = unreadable("TLS key", files.key_file); !why.empty()) return why;
  auto ctx = std::make_shared<SslContext>(ssl::context::tls_server);
  harden(*ctx);
  boost::system::error_code ec;
  ERR_clear_error();
  if (ctx->use_certificate_chain_file(files.cert_file, ec); ec)
    return "cannot load the TLS certificate " + files.cert_file + ": " + openssl_reason(ec);
  return use_key(std::move(ctx), files);
}

ServerTls::ServerTls(TlsFiles files, std::chrono::milliseconds handshake_timeout,
                     std::shared_ptr<SslContext> context)
    : files_(std::move(files)),
      handshake_timeout_(handshake_timeout),
      context_(std::move(context)) {}

std::shared_ptr<ServerTls> ServerTls::load(TlsFiles files,
                                           std::chrono::milliseconds handshake_timeout) {
  auto made = make_server_context(files);
  if (auto* why = std::get_if<std::string>(&made)) throw std::runtime_error(*why);
  return std::make_shared<ServerTls>(std::move(files), handshake_timeout,
                                     std::get<std::shared_ptr<SslContext>>(std::move(made)));
}

std::string ServerTls::reload() {
  auto made = make_server_context(files_);
  if (auto* why = std::get_if<std::string>(&made)) {
    reloads_failed_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("TLS reload failed, keeping the current certificate: {}", *why);
    return *why;
  }
  {
    std::lock_guard lock(mutex_);
    context_ = std::get<std::shared_ptr<SslContext>>(std::move(made));
  }
  reloads_ok_.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("TLS certificate reloaded from {}: new connections use it", files_.cert_file);
  return {};
}

std::shared_ptr<SslContext> ServerTls::context() const {
  std::lock_guard lock(mutex_);
  return context_;
}

void ServerTls::count_handshake_failure(HandshakeFailure why) {
  auto& counter = why == HandshakeFailure::timeout ? handshake_timeouts_ : handshake_errors_;
  counter.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t ServerTls::handshake_failures(HandshakeFailure why) const {
  return (why == HandshakeFailure::timeout ? handshake_timeouts_ : handshake_errors_).load();
}

std::string ServerTls::render_prometheus() const {
  return "# HELP pulseboard_tls_handshake_failures_total TLS handshakes that failed or ran past "
         "the handshake timeout\n"
         "# TYPE pulseboard_tls_handshake_failures_total counter\n"
         "pulseboard_tls_handshake_failures_total{reason=\"timeout\"} " +
         std::to_string(handshake_timeouts_.load()) +
         "\n"
         "pulseboard_tls_handshake_failures_total{reason=\"error\"} " +
         std::to_string(handshake_errors_.load()) +
         "\n"
         "# HELP pulseboard_tls_reloads_total Certificate reloads (SIGHUP), by result\n"
         "# TYPE pulseboard_tls_reloads_total counter\n"
         "pulseboard_tls_reloads_total{result=\"ok\"} " +
         std::to_string(reloads_ok_.load()) + "\npulseboard_tls_reloads_total{result=\"failed\"} " +
         std::to_string(reloads_failed_.load()) + "\n";
}

}  // namespace pulseboard::net
