#include "changes/mongo_oplog_headroom.hpp"

#include <charconv>

namespace pulseboard::changes {
namespace json = boost::json;

namespace {

constexpr std::string_view kInitiatingSet = "initiating set";

const json::value* path(const json::value* v, std::string_view key) {
  if (!v || !v->is_object()) return nullptr;
  return v->as_object().if_contains(key);
}

std::optional<std::uint32_t> hex_word(std::string_view hex) {
  std::uint32_t out = 0;
  auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), out, 16);
  if (ec != std::errc() || p != hex.data() + hex.size()) return std::nullopt;
  return out;
}

}  // namespace

json::object oplog_first_entry_command() {
  return json::object{{"find", "oplog.rs"},
                      {"filter", json::object{}},
                      {"sort", json::object{{"$natural", 1}}},
                      {"projection", json::object{{"ts", 1}, {"op", 1}, {"o.msg", 1}, {"_id", 0}}},
                      {"limit", 1},
                      {"singleBatch", true}};
}

std::optional<std::int64_t> resume_token_seconds(std::string_view token_json) {
  boost::system::error_code ec;
  json::value token = json::parse(token_json, ec);
  if (ec) return std::nullopt;
  const json::value* data = path(&token, "_data");
  if (!data || !data->is_string()) return std::nullopt;
  std::string_view hex = data->as_string();
  if (hex.size() < 10 || (hex.substr(0, 2) != "82")) return std::nullopt;
  auto seconds = hex_word(hex.substr(2, 8));
  if (!seconds) return std::nullopt;
  return static_cast<std::int64_t>(*seconds);
}

std::optional<OplogHeadroom> oplog_headroom(std::string_view token_json,
                                            const json::object& first_entry_reply) {
  auto token_s = resume_token_seconds(token_json);
  if (!token_s) return std::nullopt;
  const json::value reply(first_entry_reply);
  const json::value* batch = path(path(&reply, "cursor"), "firstBatch");
  if (!batch || !batch->is_array() || batch->as_array().empty()) return std::nullopt;
  const json::value* entry = &batch->as_array()[0];
  const json::value* t = path(path(path(entry, "ts"), "$timestamp"), "t");
  if (!t || !t->is_number()) return std::nullopt;
  // Only a no-op entry: an inserted document may carry any `msg` it likes.
  const json::value* op = path(entry, "op");
  const json::value* msg = path(path(entry, "o"), "msg");
  const bool initiating = op && op->is_string() && op->as_string() == "n" && msg &&
                          msg->is_string() && msg->as_string() == kInitiatingSet;
  OplogHeadroom h;
  h.seconds = static_cast<double>(*token_s - t->to_number<std::int64_t>());
  h.bounded = !initiating;
  return h;
}

}  // namespace pulseboard::changes
