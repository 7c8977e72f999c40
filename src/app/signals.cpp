#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>

#include "app/roles.hpp"

namespace pulseboard::app {

void wait_for_termination(const std::function<void()>& on_signal,
                          const std::function<void()>& on_hangup) {
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  // Without a reload to do, SIGHUP keeps its default (the process ends), as before.
  if (on_hangup) signals.add(SIGHUP);
  std::function<void(boost::system::error_code, int)> handle;
  handle = [&](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      spdlog::info("received SIGHUP: reloading");
      on_hangup();
      signals.async_wait(handle);
      return;
    }
    spdlog::info("received signal {}: shutting down", sig);
    on_signal();
  };
  signals.async_wait(handle);
  io.run();
}

}  // namespace pulseboard::app
