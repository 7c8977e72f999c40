#include "engineio/request_check.hpp"

#include <gtest/gtest.h>

namespace pulseboard::eio {
namespace {

// A polling handshake as the official client sends it; each test changes what it needs.
RequestFacts handshake() {
  return {.eio = "4", .transport = "polling"};
}
RequestFacts on_session() {
  RequestFacts r = handshake();
  r.has_sid = true;
  r.session_known = true;
  return r;
}

TEST(CheckRequest, AcceptsWhatTheOfficialClientSends) {
  EXPECT_EQ(check_request(handshake()), Refusal::none);
  RequestFacts ws = handshake();
  ws.transport = "websocket";
  ws.upgrade = true;
  EXPECT_EQ(check_request(ws), Refusal::none);  // WebSocket-only session
  RequestFacts post = on_session();
  post.get = false;
  EXPECT_EQ(check_request(post), Refusal::none);
  RequestFacts probe = on_session();
  probe.transport = "websocket";
  probe.upgrade = true;
  EXPECT_EQ(check_request(probe), Refusal::none);
}

TEST(CheckRequest, TransportComesFirst) {
  RequestFacts r = handshake();
  r.transport = "carrier-pigeon";
  r.eio = "3";
  r.get = false;
  r.has_sid = true;  // unknown too
  EXPECT_EQ(check_request(r), Refusal::unknown_transport);
  r.transport = "";
  EXPECT_EQ(check_request(r), Refusal::unknown_transport);
  RequestFacts off = handshake();
  off.polling_enabled = false;
  EXPECT_EQ(check_request(off), Refusal::unknown_transport);
}

TEST(CheckRequest, SidBeforeVersionAndMethod) {
  RequestFacts r = on_session();
  r.session_known = false;
  r.eio = "";
  EXPECT_EQ(check_request(r), Refusal::unknown_sid);
}

TEST(CheckRequest, AnotherVersionOnASessionIsAProtocolMismatchNotCode5) {
  for (std::string_view eio : {"", "3", "abc"}) {
    RequestFacts r = on_session();
    r.eio = eio;
    EXPECT_EQ(check_request(r), Refusal::protocol_mismatch) << eio;
    EXPECT_EQ(http_error_of(check_request(r)), HttpError::bad_request);
  }
}

TEST(CheckRequest, WebSocketWithoutUpgrade) {
  RequestFacts r = on_session();
  r.transport = "websocket";
  r.eio = "3";  // the mismatch is reported before the version
  EXPECT_EQ(check_request(r), Refusal::transport_mismatch);
  RequestFacts fresh = handshake();
  fresh.transport = "websocket";
  fresh.eio = "3";
  EXPECT_EQ(check_request(fresh), Refusal::websocket_without_upgrade);
  EXPECT_EQ(http_error_of(Refusal::websocket_without_upgrade), HttpError::bad_request);
}

TEST(CheckRequest, HandshakeMethodBeforeVersion) {
  RequestFacts r = handshake();
  r.get = false;
  r.eio = "3";
  EXPECT_EQ(check_request(r), Refusal::bad_handshake_method);
  EXPECT_EQ(http_error_of(Refusal::bad_handshake_method), HttpError::bad_handshake_method);
}

TEST(CheckRequest, VersionOnlyAtTheHandshake) {
  for (std::string_view eio : {"", "3", "5", "4 "}) {
    RequestFacts r = handshake();
    r.eio = eio;
    EXPECT_EQ(check_request(r), Refusal::unsupported_protocol_version) << eio;
  }
  EXPECT_EQ(http_error_of(Refusal::unsupported_protocol_version),
            HttpError::unsupported_protocol_version);
}

TEST(CheckRequest, UpgradeRequestForPollingIsRefused) {
  RequestFacts r = handshake();
  r.upgrade = true;
  EXPECT_EQ(check_request(r), Refusal::upgrade_to_polling);
  r.eio = "3";  // still a handshake: the version is reported first
  EXPECT_EQ(check_request(r), Refusal::unsupported_protocol_version);
}

TEST(CheckRequest, CodesMatchTheNodeServer) {
  EXPECT_EQ(http_error_of(Refusal::unknown_transport), HttpError::unknown_transport);
  EXPECT_EQ(http_error_of(Refusal::unknown_sid), HttpError::unknown_sid);
  EXPECT_EQ(http_error_of(Refusal::transport_mismatch), HttpError::bad_request);
  EXPECT_EQ(http_error_of(Refusal::protocol_mismatch), HttpError::bad_request);
  EXPECT_EQ(http_error_of(Refusal::upgrade_to_polling), HttpError::bad_request);
}

}  // namespace
}  // namespace pulseboard::eio
