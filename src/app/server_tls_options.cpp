#include "app/server_tls_options.hpp"

#include <stdexcept>

namespace pulseboard::app {

void add_server_tls_options(CLI::App& cmd, ServerTlsOptions& o) {
  cmd.add_option("--tls-cert", o.files.cert_file,
                 "PEM certificate chain: serve HTTPS and WSS instead of HTTP; reloaded on SIGHUP "
                 "(TLS_CERT)")
      ->envname("TLS_CERT");
  cmd.add_option("--tls-key", o.files.key_file, "PEM private key of --tls-cert (TLS_KEY)")
      ->envname("TLS_KEY");
  cmd.add_option("--tls-handshake-timeout-ms", o.handshake_timeout_ms,
                 "a TLS handshake not done within this closes the connection "
                 "(TLS_HANDSHAKE_TIMEOUT_MS)")
      ->envname("TLS_HANDSHAKE_TIMEOUT_MS")
      ->check(CLI::Range(1L, 600000L))
      ->capture_default_str();
}

std::shared_ptr<net::ServerTls> load_server_tls(const ServerTlsOptions& o) {
  if (o.files.empty()) return nullptr;
  if (o.files.cert_file.empty() || o.files.key_file.empty())
    throw std::runtime_error("TLS: --tls-cert (TLS_CERT) and --tls-key (TLS_KEY) go together");
  try {
    return net::ServerTls::load(o.files, std::chrono::milliseconds(o.handshake_timeout_ms));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("TLS: ") + e.what());
  }
}

std::function<void()> reload_on_hangup(std::shared_ptr<net::ServerTls> tls) {
  if (!tls) return {};
  return [tls = std::move(tls)] { tls->reload(); };
}

}  // namespace pulseboard::app
