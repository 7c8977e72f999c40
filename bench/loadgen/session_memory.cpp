#include "session_memory.hpp"

#include <boost/json.hpp>

namespace pulseboard::bench {

namespace json = boost::json;

std::string connect_packet(const SessionMemory& memory) {
  json::object auth{{"token", memory.token}};
  if (!memory.pid.empty() && !memory.offset.empty()) {
    auth["pid"] = memory.pid;
    auth["offset"] = memory.offset;
  }
  return "40" + json::serialize(auth);
}

void remember_connect_reply(SessionMemory& memory, std::string_view reply) {
  if (reply.size() < 3) return;
  boost::system::error_code ec;
  auto value = json::parse(reply.substr(2), ec);
  if (ec || !value.is_object()) return;
  const auto& object = value.as_object();
  std::string sid;
  if (const auto* v = object.if_contains("sid"); v && v->is_string()) sid = v->as_string();
  if (!memory.sid.empty() && !memory.pid.empty() && sid == memory.sid) ++memory.recoveries;
  memory.sid = sid;
  if (const auto* v = object.if_contains("pid"); v && v->is_string()) {
    memory.pid = v->as_string();
  } else {
    memory.pid.clear();
  }
  ++memory.connects;
  memory.attempts = 0;
}

std::string_view event_offset(std::string_view frame) {
  // `..,"<offset>"]`: the frame ends with a closing quote and bracket, and the quote before it
  // opens the string. An offset never holds quotes or backslashes (the gateway's are
  // `<source>:<position>` ids), so the last quote pair is the whole string.
  if (frame.size() < 4 || frame.back() != ']' || frame[frame.size() - 2] != '"') return {};
  auto open = frame.rfind('"', frame.size() - 3);
  if (open == std::string_view::npos || open == 0 || frame[open - 1] != ',') return {};
  return frame.substr(open + 1, frame.size() - 3 - open);
}

}  // namespace pulseboard::bench
