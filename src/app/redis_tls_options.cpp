#include "app/redis_tls_options.hpp"

#include <stdexcept>
#include <variant>

#include "redis/tls.hpp"

namespace pulseboard::app {

void add_redis_tls_options(CLI::App& cmd, redis::TlsFiles& files) {
  cmd.add_option("--redis-tls-ca", files.ca_file,
                 "rediss://: PEM file of the CAs that may sign the Redis server's certificate; "
                 "default: the system's (REDIS_TLS_CA)")
      ->envname("REDIS_TLS_CA");
  cmd.add_option("--redis-tls-cert", files.cert_file,
                 "rediss://: PEM client certificate (chain) shown to Redis (REDIS_TLS_CERT)")
      ->envname("REDIS_TLS_CERT");
  cmd.add_option("--redis-tls-key", files.key_file,
                 "rediss://: PEM private key of --redis-tls-cert (REDIS_TLS_KEY)")
      ->envname("REDIS_TLS_KEY");
}

redis::Endpoint redis_endpoint(const std::string& url, const redis::TlsFiles& files) {
  auto endpoint = redis::parse_url(url);
  if (!endpoint)
    throw std::runtime_error(
        "REDIS_URL is not a redis:// or rediss://[[user]:password@]host[:port][/db] URL");
  if (!endpoint->tls) {
    if (files != redis::TlsFiles{})
      throw std::runtime_error(
          "REDIS_TLS_CA/REDIS_TLS_CERT/REDIS_TLS_KEY are set but REDIS_URL is redis://, which "
          "does not use TLS; use rediss://");
    return *endpoint;
  }
  endpoint->tls_files = files;
  auto context = redis::make_tls_context(files);
  if (auto* error = std::get_if<std::string>(&context))
    throw std::runtime_error("Redis TLS: " + *error);
  return *endpoint;
}

}  // namespace pulseboard::app
