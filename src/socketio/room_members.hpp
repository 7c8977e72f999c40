#pragma once
// The sockets of one room, or of one whole namespace, on one event loop.
//
// Joins, leaves and `contains` go through an open-addressing set. A broadcast walks the members in
// address order instead. Sockets accepted one after another are allocated one after another, and
// so are the kernel's objects behind their connections: walked in that order, each send reads
// memory next to the one before, where the set's hash order jumps across the whole gateway. At
// 10,000 connections this took 8-26 % off the CPU per delivered frame (docs/benchmarks.md,
// "Delivering in address order").
//
// The ordered list is built by the first broadcast after a change and shared with every walk
// that holds it, so a socket joining or leaving during a walk never moves what the walk reads.
#include <boost/unordered/unordered_flat_set.hpp>

#include <cstddef>
#include <memory>
#include <vector>

namespace pulseboard::socketio {

class Socket;

class RoomMembers {
 public:
  using Ordered = std::shared_ptr<const std::vector<Socket*>>;

  bool insert(Socket* socket);  // true when `socket` was not a member yet
  void erase(Socket* socket);
  bool contains(Socket* socket) const { return set_.contains(socket); }
  bool empty() const { return set_.empty(); }
  std::size_t size() const { return set_.size(); }
  // Membership order: for lookups and for callers that do not care about order.
  auto begin() const { return set_.begin(); }
  auto end() const { return set_.end(); }

  // The members in address order. The list never changes while the caller holds it.
  Ordered ordered() const;

  // Rooms this small (a socket's own id room, above all) are sorted per walk and not kept:
  // keeping a list for each would cost every connection memory for a few pointers' sort.
  static constexpr std::size_t kKeepOrderedFrom = 64;

 private:
  boost::unordered_flat_set<Socket*> set_;
  mutable Ordered ordered_;  // empty until a walk asks after a change
};

// `sockets` in address order, shared.
RoomMembers::Ordered in_address_order(std::vector<Socket*> sockets);

}  // namespace pulseboard::socketio
