#pragma once
// The server side of TLS for every listener (http::Server): the certificate and key it shows,
// TLS 1.2 and newer only, with server cipher defaults (ECDHE and AEAD ciphers for TLS 1.2,
// OpenSSL's defaults for 1.3, no renegotiation, no compression). reload() (on SIGHUP) loads
// the files again: connections accepted afterwards use the new context, open ones keep the one
// they started with, and files that do not load leave the old context in place. Counts the
// handshakes that fail or run past the handshake timeout, for /metrics.
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

namespace pulseboard::net {

struct TlsFiles {
  std::string cert_file;  // PEM certificate chain, the server's own certificate first
  std::string key_file;   // PEM private key of that certificate
  bool empty() const { return cert_file.empty() && key_file.empty(); }
};

using SslContext = boost::asio::ssl::context;

// A server context for `files`, or why there is none (naming the file and the fault: missing,
// unreadable, not PEM, key not matching the certificate).
std::variant<std::shared_ptr<SslContext>, std::string> make_server_context(const TlsFiles& files);

enum class HandshakeFailure { timeout, error };

class ServerTls {
 public:
  // Default bound of one TLS handshake (docs/security.md).
  static constexpr std::chrono::milliseconds kDefaultHandshakeTimeout{10000};

  // Throws std::runtime_error with make_server_context's reason when the files do not load.
  static std::shared_ptr<ServerTls> load(
      TlsFiles files, std::chrono::milliseconds handshake_timeout = kDefaultHandshakeTimeout);

  // Loads the files again. Empty on success; otherwise the reason, and the old context stays.
  // Logs either way. Any thread.
  std::string reload();
  // The context new connections use. Any thread.
  std::shared_ptr<SslContext> context() const;
  std::chrono::milliseconds handshake_timeout() const { return handshake_timeout_; }
  const TlsFiles& files() const { return files_; }

  void count_handshake_failure(HandshakeFailure why);
  std::uint64_t handshake_failures(HandshakeFailure why) const;
  // pulseboard_tls_handshake_failures_total{reason} and pulseboard_tls_reloads_total{result}.
  std::string render_prometheus() const;

  ServerTls(TlsFiles files, std::chrono::milliseconds handshake_timeout,
            std::shared_ptr<SslContext> context);

 private:
  const TlsFiles files_;
  const std::chrono::milliseconds handshake_timeout_;
  mutable std::mutex mutex_;
  std::shared_ptr<SslContext> context_;
  std::atomic<std::uint64_t> handshake_timeouts_{0};
  std::atomic<std::uint64_t> handshake_errors_{0};
  std::atomic<std::uint64_t> reloads_ok_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
};

}  // namespace pulseboard::net
