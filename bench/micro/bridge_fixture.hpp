#pragma once
// Bridge messages shaped like the load generator's, so micro and load figures describe the same
// bytes: {"room","event","data":{"t","seq","pad"}} with data of about `data_bytes`.
#include <cstddef>
#include <string>

#include "bridge/bridge_message.hpp"

namespace pulseboard::bench {

inline std::string bridge_data(std::size_t data_bytes) {
  std::string data = "{\"t\":1718000000123456789,\"seq\":42,\"pad\":\"";
  if (data.size() + 2 < data_bytes) data.append(data_bytes - data.size() - 2, 'x');
  return data + "\"}";
}

// Written by bridge::to_json, as the worker writes its updates.
inline std::string bridge_message(std::size_t data_bytes) {
  return bridge::to_json(
      {.room = "live-metrics", .event = "metrics-update", .args = bridge_data(data_bytes)});
}

}  // namespace pulseboard::bench
