#pragma once
// JSON text as JavaScript's JSON.stringify writes it. Boost.JSON 1.81 prints doubles in
// scientific form (42.5 -> "4.25E1"): valid JSON, but not what API users and dashboards expect
// to read, so doubles go through std::to_chars (shortest round-trip form) here.
#include <boost/json/value.hpp>

#include <string>

namespace pulseboard {

std::string to_json_text(const boost::json::value& value);
void append_json_text(std::string& out, const boost::json::value& value);

}  // namespace pulseboard
