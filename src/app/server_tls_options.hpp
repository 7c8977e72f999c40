#pragma once
// HTTPS and WSS for a role's listener (docs/deploy.md#tls): the certificate and key files, the
// handshake bound, and their reload on SIGHUP.
#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <memory>

#include "net/server_tls.hpp"

namespace pulseboard::app {

struct ServerTlsOptions {
  net::TlsFiles files;
  long handshake_timeout_ms = net::ServerTls::kDefaultHandshakeTimeout.count();
};

// --tls-cert (TLS_CERT), --tls-key (TLS_KEY), --tls-handshake-timeout-ms
// (TLS_HANDSHAKE_TIMEOUT_MS).
void add_server_tls_options(CLI::App& cmd, ServerTlsOptions& o);

// Null when neither file is given (plain HTTP). Throws std::runtime_error naming the fault when
// only one is, or when they do not load (missing, unreadable, not PEM, key not matching).
std::shared_ptr<net::ServerTls> load_server_tls(const ServerTlsOptions& o);

// What SIGHUP does: reload `tls` (nothing when it is null).
std::function<void()> reload_on_hangup(std::shared_ptr<net::ServerTls> tls);

}  // namespace pulseboard::app
