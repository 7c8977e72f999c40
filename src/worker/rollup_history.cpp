#include "worker/rollup_history.hpp"

#include <algorithm>
#include <optional>

#include "changes/event_id.hpp"
#include "worker/worker.hpp"

namespace pulseboard::worker {
namespace json = boost::json;
using changes::ChangeEvent;
using pipeline::Pipeline;

namespace {

// The status the pipeline's first $match requires of fullDocument, if it names exactly one.
std::optional<store::OrderStatus> required_status(const Pipeline& pipeline) {
  if (pipeline.stages().empty()) return std::nullopt;
  const auto& first = pipeline.stages().front();
  if (first.kind != Pipeline::Stage::Kind::match) return std::nullopt;
  const json::value* v = first.spec.if_contains("fullDocument.status");
  if (v && v->is_object())
    if (const json::value* eq = v->as_object().if_contains("$eq"); eq && v->as_object().size() == 1)
      v = eq;
  if (!v || !v->is_string()) return std::nullopt;
  return store::parse_order_status(v->as_string());
}

// An order the rebuild keeps, with its metrics-update data.
struct Found {
  std::int64_t created_at;
  std::string id;
  json::object data;
};

// The rollup replays updates oldest first, as the worker would have published them.
void add_in_creation_order(std::vector<Found>& found, RollupHistory& history) {
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  for (auto& f : found) {
    history.updates.push_back(std::move(f.data));
    history.ids.push_back(std::move(f.id));
  }
}

}  // namespace

json::object change_event_of(const store::Order& order) {
  json::object full = store::to_json(order);
  full.erase("id");
  full["_id"] = order.id;
  return json::object{
      {"_id", json::object{{"position", "rebuild"}}},
      {"operationType", "insert"},
      {"documentKey", json::object{{"_id", order.id}}},
      {"fullDocument", std::move(full)},
      {"committedAt", order.updated_at_ms},
  };
}

std::variant<RollupHistory, HistoryError> read_rollup_history(
    store::OrderStore& store, const Pipeline& pipeline, std::int64_t from_ms, std::size_t recent,
    std::int64_t published_at_ms, std::size_t limit, std::size_t page_size) {
  std::vector<Found> found;
  std::unordered_map<std::string, std::int64_t> updated_at;
  const auto status = required_status(pipeline);

  // Pages until `stop` says enough; every order the pipeline keeps is collected once.
  auto scan = [&](store::ListQuery q, auto&& stop) -> std::optional<HistoryError> {
    q.status = status;
    q.limit = page_size;
    while (true) {
      auto page = store.list(q);
      if (auto* err = std::get_if<store::StoreError>(&page)) return HistoryError{*err};
      auto& orders = std::get<store::OrderPage>(page).orders;
      for (auto& order : orders) {
        if (stop()) return std::nullopt;
        if (updated_at.contains(order.id)) continue;
        auto projected = pipeline.apply(change_event_of(order));
        if (!projected) continue;
        ChangeEvent e;
        e.event_id = changes::rebuild_event_id(order.id);
        e.committed_at_ms = order.updated_at_ms;
        updated_at.emplace(order.id, order.updated_at_ms);
        found.push_back(
            {order.created_at_ms, order.id, metrics_update_data(*projected, e, published_at_ms)});
      }
      auto& next = std::get<store::OrderPage>(page).next_cursor;
      if (!next || stop()) return std::nullopt;
      q.cursor = *next;
    }
  };

  RollupHistory history;
  store::ListQuery window;
  window.from_ms = from_ms;
  if (auto err = scan(window, [&] {
        if (found.size() < limit) return false;
        history.truncated = true;
        return true;
      }))
    return *err;
  // The newest matching orders, even when the window holds fewer of them than `recent`.
  const std::size_t in_window = found.size();
  if (in_window < recent) {
    store::ListQuery older;
    older.to_ms = from_ms;
    if (auto err = scan(older, [&] { return found.size() >= recent; })) return *err;
  }

  add_in_creation_order(found, history);
  history.updated_at = std::move(updated_at);
  return history;
}

}  // namespace pulseboard::worker
