// pulseboard: one binary, one role per subcommand (gateway, api, worker, demo, token).
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/roles.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Pulseboard: a horizontally scalable real-time dashboard engine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", PULSEBOARD_VERSION);
  std::vector<pulseboard::app::RoleMain> roles{
      pulseboard::app::add_gateway_role(app), pulseboard::app::add_api_role(app),
      pulseboard::app::add_worker_role(app),  pulseboard::app::add_demo_role(app),
      pulseboard::app::add_token_role(app),
  };
  CLI11_PARSE(app, argc, argv);
  try {
    for (auto& role : roles)
      if (int rc = role(); rc >= 0) return rc;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    std::cerr << "pulseboard: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
