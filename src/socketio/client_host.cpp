#include "socketio/client_host.hpp"

#include <algorithm>

namespace pulseboard::socketio {

bool Settings::has_namespace(const std::string& nsp) const {
  return std::find(namespaces.begin(), namespaces.end(), nsp) != namespaces.end();
}

}  // namespace pulseboard::socketio
