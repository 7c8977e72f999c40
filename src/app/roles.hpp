#pragma once
// Each role is a CLI11 subcommand; main() only registers them and runs the chosen one.
#include <CLI/CLI.hpp>

#include <functional>

namespace pulseboard::app {

using RoleMain = std::function<int()>;

RoleMain add_gateway_role(CLI::App& app);
RoleMain add_token_role(CLI::App& app);
RoleMain add_api_role(CLI::App& app);
RoleMain add_worker_role(CLI::App& app);
RoleMain add_demo_role(CLI::App& app);

// Blocks until SIGINT or SIGTERM, then calls `on_signal` once. With `on_hangup`, each SIGHUP
// meanwhile calls it (a certificate reload).
void wait_for_termination(const std::function<void()>& on_signal,
                          const std::function<void()>& on_hangup = {});

}  // namespace pulseboard::app
