#include "common/json_text.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>

namespace pulseboard {

void append_json_text(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d)) {  // as JSON.stringify does
        out += "null";
        return;
      }
      char buf[32];
      auto result = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, result.ptr);
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json_text(out, item);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string_view(member.key()));
        out += ':';
        append_json_text(out, member.value());
      }
      out += '}';
      return;
    }
    default:
      out += boost::json::serialize(v);
  }
}

std::string to_json_text(const boost::json::value& value) {
  std::string out;
  append_json_text(out, value);
  return out;
}

}  // namespace pulseboard
