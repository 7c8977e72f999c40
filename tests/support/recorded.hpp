#pragma once
// Loads recorded change-event documents from tests/data/change_events.
#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace pulseboard::testing {

inline boost::json::object recorded(const std::string& name) {
  std::ifstream in(std::string(PULSEBOARD_TEST_DATA) + "/change_events/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

}  // namespace pulseboard::testing
