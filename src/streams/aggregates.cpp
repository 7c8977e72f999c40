#include "streams/aggregates.hpp"

#include <algorithm>

#include "common/clock.hpp"
#include "common/json_text.hpp"

namespace pulseboard::streams {
namespace json = boost::json;

Aggregates::Aggregates(AggregateSpec spec) : spec_(std::move(spec)) {
  for (auto& m : spec_.measures) {
    if (m.op == MeasureOp::count) {
      measure_field_.push_back(-1);
      continue;
    }
    auto it = std::find(fields_.begin(), fields_.end(), m.field);
    if (it == fields_.end()) {
      fields_.push_back(m.field);
      keep_values_.push_back(false);
      it = fields_.end() - 1;
    }
    const auto i = it - fields_.begin();
    measure_field_.push_back(static_cast<int>(i));
    if (m.op == MeasureOp::min || m.op == MeasureOp::max) keep_values_[i] = true;
  }
}

std::int64_t Aggregates::bucket_start(std::int64_t t) const {
  const std::int64_t i = spec_.interval.count();
  return t >= 0 ? t - t % i : t - ((t % i) + i) % i;
}

// The first interval still inside the window at `now_ms`.
std::int64_t Aggregates::oldest_start(std::int64_t now_ms) const {
  return bucket_start(now_ms - spec_.window.count()) + spec_.interval.count();
}

std::optional<Aggregates::Values> Aggregates::values_of(const json::object& row) const {
  for (auto& f : spec_.required) {
    const json::value* v = pipeline::find_path(row, f);
    if (!v || !pipeline::as_number(*v)) return std::nullopt;
  }
  Values out;
  for (auto& f : fields_) {
    const json::value* v = pipeline::find_path(row, f);
    out.push_back(v ? pipeline::as_number(*v) : std::nullopt);
  }
  return out;
}

// The row's group: a string as it is, a number or boolean as its JSON text, anything else (or
// missing) the empty name. Cut to max_group_bytes at a character boundary, so one long value
// cannot make a group cost more than that.
std::string Aggregates::group_of(const json::object& row) const {
  if (!spec_.group) return {};
  const json::value* v = pipeline::find_path(row, spec_.group->field);
  std::string name;
  if (v && v->is_string()) name = v->as_string().c_str();
  if (v && (v->is_number() || v->is_bool())) name = to_json_text(*v);
  if (name.size() > limits::max_group_bytes) {
    std::size_t cut = limits::max_group_bytes;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    name.resize(cut);
  }
  return name;
}

namespace {
// Epoch milliseconds within JavaScript's Date range (±8.64e15); anything else (1e300 in a row)
// would overflow the conversion and the interval arithmetic, so it is not a time.
std::optional<std::int64_t> epoch_ms(const json::value& v) {
  auto n = pipeline::as_number(v);
  if (!n || !(*n >= -8.64e15 && *n <= 8.64e15)) return std::nullopt;
  return static_cast<std::int64_t>(*n);
}
}  // namespace

// When the row happened, as the dashboard charts it: the time field (ISO-8601 text or epoch ms),
// else its commit time, else now.
std::int64_t Aggregates::time_of(const json::object& row, std::int64_t now_ms) const {
  if (const json::value* t = pipeline::find_path(row, spec_.time_field)) {
    if (t->is_string())
      if (auto ms = parse_iso8601_ms(t->as_string())) return *ms;
    if (auto ms = epoch_ms(*t)) return *ms;
  }
  if (const json::value* c = row.if_contains("committedAt"))
    if (auto ms = epoch_ms(*c)) return *ms;
  return now_ms;
}

void Aggregates::enter(Cell& cell, const Values& v) {
  cell.fields.resize(fields_.size());
  ++cell.rows;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i]) continue;
    FieldState& f = cell.fields[i];
    ++f.count;
    f.sum += *v[i];
    if (keep_values_[i]) f.values.insert(*v[i]);
  }
}

void Aggregates::leave(Cell& cell, const Values& v) {
  --cell.rows;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i]) continue;
    FieldState& f = cell.fields[i];
    f.sum -= *v[i];
    if (--f.count == 0) f.sum = 0;  // no rounding residue in an emptied interval
    if (keep_values_[i])
      if (auto it = f.values.find(*v[i]); it != f.values.end()) f.values.erase(it);
  }
}

}  // namespace pulseboard::streams
