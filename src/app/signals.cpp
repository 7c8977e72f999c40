#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>

#include "app/roles.hpp"

namespace pulseboard::app {

void wait_for_termination(const std::function<void()>& on_signal) {
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("received signal {}: shutting down", sig);
    on_signal();
  });
  io.run();
}

}  // namespace pulseboard::app
