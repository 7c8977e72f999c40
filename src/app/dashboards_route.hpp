#pragma once
// GET /api/v1/dashboards: the descriptions of the streams the caller may watch (docs/streams.md,
// "Dashboard description"), filtered by the token's rooms claim exactly as the gateway filters
// room joins, so the list never names a stream whose events the caller could not receive.
#include <memory>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "gateway/gateway.hpp"
#include "streams/dashboard_description.hpp"

namespace pulseboard::app {

inline constexpr std::string_view kDashboardsPath = "/api/v1/dashboards";

// Who asks: the rooms the caller may join, or why it is refused. As at the gateway's CONNECT:
// without a verifier (authentication off) everyone is unrestricted; with one, a missing or
// invalid token is refused, and a valid token's rooms claim (absent: unrestricted) applies.
struct ViewerAccess {
  bool refused = false;
  std::string reason;  // missing_token, or the verifier's error (expired, bad_signature, ...)
  streams::AllowedRooms rooms;
};
ViewerAccess viewer_access(const auth::JwtVerifier* verifier, std::string_view bearer_token);

void add_dashboards_route(gateway::Gateway& server,
                          std::shared_ptr<const streams::StreamsConfig> config,
                          std::shared_ptr<const auth::JwtVerifier> verifier);

}  // namespace pulseboard::app
