#include <boost/json.hpp>

#include "broker/broker.hpp"
#include "common/json_text.hpp"

namespace pulseboard::broker {

std::string retained_field(std::string_view nsp, std::string_view room, std::string_view event) {
  return to_json_text(boost::json::array{nsp, room, event});
}

}  // namespace pulseboard::broker
