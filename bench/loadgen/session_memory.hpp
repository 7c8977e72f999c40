#pragma once
// What one dashboard keeps across its reconnections in the reconnect mode of the load generator
// (the reconnect storm of docs/benchmarks.md): its own token, and what socket.io-client keeps for
// connection state recovery, namely the `pid` of the CONNECT reply and the offset (the last
// argument) of the last event received, both sent back in the next CONNECT. Owned by the fleet,
// touched only on the client's own thread.
#include <cstddef>
#include <string>
#include <string_view>

namespace pulseboard::bench {

struct SessionMemory {
  std::string token;
  std::string sid;        // of the last CONNECT reply
  std::string pid;        // "" when the server keeps no recoverable state
  std::string offset;     // "" until an event with an offset arrived
  unsigned attempts = 0;  // connection attempts since the last CONNECT reply
  unsigned total_attempts = 0;
  unsigned recoveries = 0;  // CONNECT replies that gave the old sid back
  unsigned connects = 0;
};

// The CONNECT packet for `memory`: `40{"token":..}`, plus pid and offset once both are known.
std::string connect_packet(const SessionMemory& memory);
// Reads sid and pid from a CONNECT reply (`40{"sid":..,"pid":..}`) into `memory`.
void remember_connect_reply(SessionMemory& memory, std::string_view reply);
// The offset of an EVENT frame with one, `42["event",{..},"<offset>"]`: the last argument when it
// is a string. Empty otherwise.
std::string_view event_offset(std::string_view frame);

// Schedules a new connection for client `index` some time after its connection closed.
class Reconnector {
 public:
  virtual ~Reconnector() = default;
  virtual void reconnect_later(std::size_t index) = 0;
};

}  // namespace pulseboard::bench
