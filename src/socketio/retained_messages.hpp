#pragma once
// The latest message per (room, event) published with `retain`: a socket that joins the room
// gets it at once (how a dashboard opened late starts full). Bounded by max_entries.
//
// Entries also come back from the broker's store after the bridge subscription is
// (re)established (docs/snapshots.md). A stored message must not replace one that arrived live
// after the read began: begin_restore() marks that moment and restore() refuses to overwrite
// anything put() after the mark. Everything put() before the mark was published before the read
// ran, so the stored message is at least as new.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engineio/frame.hpp"

namespace pulseboard::socketio {

class RetainedMessages {
 public:
  struct Entry {
    std::string nsp, room, event;
    std::vector<eio::Frame> frames;
  };
  void put(Entry entry);  // a live message
  void erase(const std::string& nsp, const std::string& room, std::string_view event);
  std::uint64_t begin_restore();
  // True when the entry was taken and differs from what was held (the room's sockets have not
  // seen it yet).
  bool restore(Entry entry, std::uint64_t mark);
  std::vector<Entry> for_room(const std::string& nsp, const std::string& room) const;
  static constexpr std::size_t max_entries = 1024;

 private:
  struct Held {
    Entry entry;
    std::uint64_t stamp = 0;  // clock_ when put() last wrote it
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Held> entries_;  // key: nsp \0 room \0 event
  std::uint64_t clock_ = 0;                        // bumped by begin_restore()
};

}  // namespace pulseboard::socketio
