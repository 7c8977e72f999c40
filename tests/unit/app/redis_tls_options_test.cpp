// REDIS_URL with the TLS options as an operator writes them: rediss:// takes the files, and
// what cannot work (a file that does not load, TLS files beside a redis:// URL) stops the start
// with a message naming it.
#include "app/redis_tls_options.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace pulseboard::app {
namespace {

std::string failure_of(const std::string& url, const redis::TlsFiles& files) {
  try {
    redis_endpoint(url, files);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(RedisTlsOptions, CommandLineFillsTheFiles) {
  CLI::App app;
  redis::TlsFiles files;
  add_redis_tls_options(app, files);
  app.parse("--redis-tls-key k.pem --redis-tls-cert c.pem --redis-tls-ca ca.pem", false);
  EXPECT_EQ(files, (redis::TlsFiles{"ca.pem", "c.pem", "k.pem"}));
}

TEST(RedisTlsOptions, RedissWithSystemCasIsTls) {
  auto ep = redis_endpoint("rediss://:pw@cache:6380", {});
  EXPECT_TRUE(ep.tls);
  EXPECT_EQ(ep.host, "cache");
  EXPECT_EQ(ep.password, "pw");
}

TEST(RedisTlsOptions, MissingCaFileIsNamed) {
  auto why = failure_of("rediss://cache", {"/nonexistent/ca.pem", "", ""});
  EXPECT_NE(why.find("/nonexistent/ca.pem"), std::string::npos) << why;
}

TEST(RedisTlsOptions, CertificateWithoutKeyIsRefused) {
  auto why = failure_of("rediss://cache", {"", "/nonexistent/client.pem", ""});
  EXPECT_NE(why.find("both"), std::string::npos) << why;
}

TEST(RedisTlsOptions, TlsFilesWithPlainUrlAreRefused) {
  auto why = failure_of("redis://cache", {"/etc/ssl/certs/ca-certificates.crt", "", ""});
  EXPECT_NE(why.find("rediss://"), std::string::npos) << why;
}

TEST(RedisTlsOptions, PlainUrlWithoutFilesIsPlain) {
  EXPECT_FALSE(redis_endpoint("redis://cache", {}).tls);
}

TEST(RedisTlsOptions, OtherSchemesAreRefused) {
  EXPECT_NE(failure_of("http://cache", {}).find("REDIS_URL"), std::string::npos);
}

}  // namespace
}  // namespace pulseboard::app
