#pragma once
// Stream entries out of the replies of XRANGE / XREVRANGE ([[id, [field, value, ...]], ...])
// and XREAD ([[stream, entries]]), for the streams adapter and its recovery store. What does
// not have that shape is skipped: a reply comes from a Redis other parties write to.
#include <vector>

#include "cluster/streams_codec.hpp"
#include "redis/reply.hpp"

namespace pulseboard::cluster {

inline std::vector<streams::Entry> range_entries(const redis::Reply& reply) {
  std::vector<streams::Entry> out;
  const redis::Array* entries = reply.array();
  if (!entries) return out;
  out.reserve(entries->size());
  for (const auto& e : *entries) {
    const redis::Array* pair = e.array();
    if (!pair || pair->size() != 2 || !(*pair)[0].string()) continue;
    streams::Entry entry{*(*pair)[0].string(), {}};
    if (const redis::Array* fields = (*pair)[1].array())
      for (std::size_t i = 0; i + 1 < fields->size(); i += 2)
        if (auto* k = (*fields)[i].string(), *v = (*fields)[i + 1].string(); k && v)
          entry.fields.emplace_back(*k, *v);
    out.push_back(std::move(entry));
  }
  return out;
}

// XREAD with one stream: its entries (none on a timeout, which replies nil).
inline std::vector<streams::Entry> read_entries(const redis::Reply& reply) {
  const redis::Array* streams = reply.array();
  if (!streams || streams->empty()) return {};
  const redis::Array* stream = (*streams)[0].array();
  if (!stream || stream->size() != 2) return {};
  return range_entries((*stream)[1]);
}

}  // namespace pulseboard::cluster
