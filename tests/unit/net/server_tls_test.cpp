// The server TLS context: files checked at load with the fault named, TLS 1.2 as the floor,
// reload swapping the context only when the new files load; and a TLS stream handed over and
// moved to another event loop keeps its session.
#include "net/server_tls.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <fstream>

#include "net/stream.hpp"
#include "scratch_dir.hpp"

namespace pulseboard::net {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;

// A self-signed P-256 certificate with `serial`, written as <name>.crt and <name>.key.
TlsFiles write_self_signed(const std::filesystem::path& dir, const std::string& name, long serial) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  X509_sign(cert, key, EVP_sha256());
  TlsFiles files{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  FILE* out = std::fopen(files.cert_file.c_str(), "w");
  PEM_write_X509(out, cert);
  std::fclose(out);
  out = std::fopen(files.key_file.c_str(), "w");
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  X509_free(cert);
  EVP_PKEY_free(key);
  return files;
}

std::string error_of(const TlsFiles& files) {
  auto made = make_server_context(files);
  auto* why = std::get_if<std::string>(&made);
  return why ? *why : "";
}

TEST(ServerTls, NamesAMissingCertificateFile) {
  testing::ScratchDir dir("net-tls");
  auto good = write_self_signed(dir.path(), "a", 1);
  EXPECT_EQ(error_of({"/nonexistent/tls.crt", good.key_file}),
            "cannot read the TLS certificate file /nonexistent/tls.crt: No such file or directory");
}

TEST(ServerTls, RefusesAKeyOfAnotherCertificate) {
  testing::ScratchDir dir("net-tls");
  auto a = write_self_signed(dir.path(), "a", 1);
  auto b = write_self_signed(dir.path(), "b", 2);
  EXPECT_EQ(error_of({a.cert_file, b.key_file}),
            "the TLS key " + b.key_file + " does not match the certificate " + a.cert_file);
}

TEST(ServerTls, RefusesAFileThatIsNotPem) {
  testing::ScratchDir dir("net-tls");
  auto a = write_self_signed(dir.path(), "a", 1);
  std::ofstream(a.cert_file) << "not a certificate\n";
  EXPECT_TRUE(error_of(a).starts_with("cannot load the TLS certificate " + a.cert_file + ": "))
      << error_of(a);
}

TEST(ServerTls, AllowsNothingOlderThanTls12) {
  testing::ScratchDir dir("net-tls");
  auto tls = ServerTls::load(write_self_signed(dir.path(), "a", 1));
  EXPECT_EQ(SSL_CTX_get_min_proto_version(tls->context()->native_handle()), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options(tls->context()->native_handle()) & SSL_OP_NO_RENEGOTIATION, 0u);
}

long serial_of(const SslContext& ctx) {
  X509* cert = SSL_CTX_get0_certificate(const_cast<SslContext&>(ctx).native_handle());
  return ASN1_INTEGER_get(X509_get0_serialNumber(cert));
}

TEST(ServerTls, ReloadSwapsTheContextOnlyWhenTheFilesLoad) {
  testing::ScratchDir dir("net-tls");
  auto files = write_self_signed(dir.path(), "live", 1);
  auto tls = ServerTls::load(files);
  auto before = tls->context();
  write_self_signed(dir.path(), "live", 2);
  EXPECT_EQ(tls->reload(), "");
  EXPECT_EQ(serial_of(*tls->context()), 2);
  EXPECT_EQ(serial_of(*before), 1) << "a connection's context outlives the reload";
  std::ofstream(files.key_file) << "garbage\n";
  EXPECT_NE(tls->reload(), "");
  EXPECT_EQ(serial_of(*tls->context()), 2);
  EXPECT_NE(tls->render_prometheus().find("pulseboard_tls_reloads_total{result=\"failed\"} 1"),
            std::string::npos);
}

// A TLS connection accepted on one loop, handed over (release) and moved to another: both ends
// still exchange bytes both ways.
TEST(Stream, TlsSessionSurvivesAMoveToAnotherLoop) {
  testing::ScratchDir dir("net-tls");
  auto tls = ServerTls::load(write_self_signed(dir.path(), "a", 1));
  asio::io_context first, second;
  tcp::acceptor acceptor(first, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ssl::context client_ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket> client(first, client_ctx);
  client.next_layer().connect(acceptor.local_endpoint());
  ServerStream server(acceptor.accept(), tls.get());
  bool shook = false;
  server.async_handshake(std::chrono::seconds(10), [&](ErrorCode ec) { shook = !ec; });
  client.async_handshake(asio::ssl::stream_base::client, [](ErrorCode) {});
  first.run();
  ASSERT_TRUE(shook);

  auto moved = server.release().move_to(second);
  ASSERT_TRUE(moved.has_value());
  std::string to_client = "from the moved server", got(to_client.size(), '\0');
  moved->async_write(asio::buffer(to_client), [](ErrorCode, std::size_t) {});
  second.run();
  asio::read(client, asio::buffer(got));
  EXPECT_EQ(got, to_client);

  asio::write(client, asio::buffer(std::string("to the moved server")));
  bool readable = false;
  moved->async_wait_readable([&](ErrorCode ec) { readable = !ec; });
  second.restart();
  second.run();
  ASSERT_TRUE(readable);
  char buf[64];
  ErrorCode ec;
  std::size_t n = moved->try_read(asio::buffer(buf), ec);
  EXPECT_EQ(std::string(buf, n), "to the moved server");
}

}  // namespace
}  // namespace pulseboard::net
