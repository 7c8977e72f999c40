#include "gateway/retained_restore.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "common/json_text.hpp"
#include "gateway/server.hpp"
#include "socketio/packet.hpp"

namespace pulseboard::gateway {
namespace json = boost::json;

std::size_t restore_retained(Server& server, std::uint64_t mark,
                             const std::vector<std::string>& payloads) {
  std::size_t taken = 0;
  for (const auto& text : payloads) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    const json::value* room = o ? o->if_contains("room") : nullptr;
    const json::value* event = o ? o->if_contains("event") : nullptr;
    const json::value* retain = o ? o->if_contains("retain") : nullptr;
    if (!room || !room->is_string() || !event || !event->is_string() ||
        event->as_string().empty() || !retain || !retain->is_bool() || !retain->as_bool()) {
      spdlog::warn("stored retained message ignored (need {{room, event, data, retain}}): {:.200}",
                   text);
      continue;
    }
    std::string args;
    if (const json::value* data = o->if_contains("data")) args = to_json_text(*data);
    std::string nsp = "/";
    if (const json::value* n = o->if_contains("nsp"); n && n->is_string()) nsp = n->as_string();
    auto b = std::make_shared<Broadcast>();
    b->nsp = nsp;
    b->rooms.emplace_back(room->as_string());
    b->frames.push_back(message_frame(sio::encode_event(nsp, event->as_string(), args)));
    if (!server.context().retained.restore(
            {nsp, std::string(room->as_string()), std::string(event->as_string()), b->frames},
            mark))
      continue;
    ++taken;
    server.broadcast(std::move(b));
  }
  if (taken) spdlog::info("bridge: {} retained message(s) restored from the broker", taken);
  return taken;
}

}  // namespace pulseboard::gateway
