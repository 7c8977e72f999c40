#pragma once
// The Redis URL of a role, with the TLS files a rediss:// URL uses (docs/redis.md#tls).
#include <CLI/CLI.hpp>

#include <string>

#include "redis/endpoint.hpp"

namespace pulseboard::app {

// --redis-tls-ca (REDIS_TLS_CA), --redis-tls-cert (REDIS_TLS_CERT), --redis-tls-key
// (REDIS_TLS_KEY).
void add_redis_tls_options(CLI::App& cmd, redis::TlsFiles& files);

// REDIS_URL parsed, with `files` attached for rediss://. Throws std::runtime_error naming what
// is wrong: a URL that is not redis:// or rediss://, a TLS file that does not load, or TLS files
// given for a redis:// URL (which would otherwise travel in clear text unnoticed).
redis::Endpoint redis_endpoint(const std::string& url, const redis::TlsFiles& files);

}  // namespace pulseboard::app
