#include <iostream>

#include "app/auth_options.hpp"
#include "app/env.hpp"
#include "app/roles.hpp"
#include "auth/jwt.hpp"
#include "auth/key_file.hpp"

namespace pulseboard::app {

RoleMain add_token_role(CLI::App& app) {
  struct Options {
    std::string secret, private_key_file, subject = "dev", issuer, audience;
    std::vector<std::string> rooms{"live-metrics"};
    std::vector<std::string> scopes;
    long ttl = 3600;
  };
  auto* cmd = app.add_subcommand("token", "Mint a development JWT (HS256, or RS256 with a key)");
  auto o = std::make_shared<Options>();
  cmd->add_option("--secret", o->secret, "HS256 secret (JWT_SECRET)")->envname("JWT_SECRET");
  cmd->add_option("--private-key-file", o->private_key_file, "RS256 private key PEM");
  cmd->add_option("--sub", o->subject, "subject")->capture_default_str();
  cmd->add_option("--rooms", o->rooms, "rooms the token may join")->capture_default_str();
  cmd->add_option("--scope", o->scopes,
                  "scopes granted, e.g. orders:write (the orders API's writes need it); none: a "
                  "read-only token");
  cmd->add_option("--ttl", o->ttl, "lifetime in seconds")->capture_default_str();
  cmd->add_option("--iss", o->issuer, "issuer claim");
  cmd->add_option("--aud", o->audience, "audience claim");
  return [cmd, o]() -> int {
    if (!cmd->parsed()) return -1;
    std::optional<std::string> iss, aud;
    if (!o->issuer.empty()) iss = o->issuer;
    if (!o->audience.empty()) aud = o->audience;
    auto claims =
        auth::dev_claims(o->subject, o->rooms, std::chrono::seconds(o->ttl), iss, aud, o->scopes);
    if (!o->private_key_file.empty()) {
      auto pem = auth::read_key_file(o->private_key_file);
      if (!pem) {
        std::cerr << "cannot read " << o->private_key_file << "\n";
        return 2;
      }
      std::cout << auth::mint_rs256(*pem, claims) << "\n";
      return 0;
    }
    if (o->secret.empty()) {
      std::cerr << "pulseboard token: give --secret (or JWT_SECRET) or --private-key-file\n";
      return 2;
    }
    if (auto problem = hs256_secret_problem(o->secret, "JWT_SECRET (--secret)")) {
      std::cerr << "pulseboard token: " << *problem << "\n";
      return 2;
    }
    std::cout << auth::mint_hs256(o->secret, claims) << "\n";
    return 0;
  };
}

}  // namespace pulseboard::app
