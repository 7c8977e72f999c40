#pragma once
// What the worker asks before it reads or publishes: "am I the one worker that should?".
// LeaderLease (leader_lease.hpp) answers it through Redis; a lone worker needs no answer.
namespace pulseboard::worker {

class Leadership {
 public:
  virtual ~Leadership() = default;
  // Thread-safe; cheap (called before every batch).
  virtual bool is_leader() const = 0;
};

}  // namespace pulseboard::worker
