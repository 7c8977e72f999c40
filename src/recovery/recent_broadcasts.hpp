#pragma once
// The last recorded bridge broadcasts one loop delivered, in delivery order. A recovering
// socket is admitted on its loop some time after the recovery store answered: what the loop
// delivered in between is taken from here, and what it delivers later reaches the socket live.
// Owned by one loop: no locks. `B` is the loop's broadcast (any type with `nsp` and `offset`
// strings), which belongs to the layer that encodes it.
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pulseboard::recovery {

template <class B>
class RecentBroadcasts {
 public:
  explicit RecentBroadcasts(std::size_t max = 1024) : max_(max) {}

  void push(std::shared_ptr<const B> b) {
    if (b->offset.empty()) return;
    held_.push_back(std::move(b));
    if (held_.size() > max_) held_.pop_front();
  }
  // The broadcasts of `nsp` delivered after the one at `offset`; nullopt when that one is not
  // held (not delivered here yet, or long gone).
  std::optional<std::vector<std::shared_ptr<const B>>> after(const std::string& nsp,
                                                             const std::string& offset) const {
    for (std::size_t i = held_.size(); i-- > 0;) {
      if (held_[i]->offset != offset || held_[i]->nsp != nsp) continue;
      std::vector<std::shared_ptr<const B>> out;
      for (std::size_t j = i + 1; j < held_.size(); ++j)
        if (held_[j]->nsp == nsp) out.push_back(held_[j]);
      return out;
    }
    return std::nullopt;
  }

 private:
  std::size_t max_;
  std::deque<std::shared_ptr<const B>> held_;
};

}  // namespace pulseboard::recovery
