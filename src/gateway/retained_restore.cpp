#include "gateway/retained_restore.hpp"

#include <spdlog/spdlog.h>

#include "gateway/bridge_broadcast.hpp"
#include "gateway/gateway.hpp"

namespace pulseboard::gateway {
std::size_t restore_retained(Gateway& server, std::uint64_t mark,
                             const std::vector<std::string>& payloads) {
  std::size_t taken = 0;
  for (const auto& text : payloads) {
    std::optional<bridge::Message> m = bridge::parse(text);
    if (!m || !m->retain) {
      spdlog::warn("stored retained message ignored (need {{room, event, data, retain}}): {:.200}",
                   text);
      continue;
    }
    auto b = to_broadcast(*m);
    server.conflation().mark(*b, *m);
    if (!server.retained().restore({m->nsp, m->room, m->event, b->frames}, mark)) continue;
    ++taken;
    server.broadcast(std::move(b));
  }
  if (taken) spdlog::info("bridge: {} retained message(s) restored from the broker", taken);
  return taken;
}

}  // namespace pulseboard::gateway
