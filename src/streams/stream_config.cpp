#include "streams/stream_config.hpp"

#include <fstream>
#include <map>

#include "streams/config_parts.hpp"

namespace pulseboard::streams {

using detail::ConfigReader;

std::string ConfigError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + path + ": " +
         reason;
}

namespace {

// Room and event names travel in Socket.IO packets and Redis channel names: printable ASCII.
bool is_channel_name(std::string_view name) {
  if (name.empty() || name.size() > limits::max_name_bytes) return false;
  for (char c : name)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

void check_channel_name(ConfigReader& r, const toml::node* at, const std::string& path,
                        const std::string& name) {
  if (!is_channel_name(name))
    r.error(at, path,
            "'" + name + "' must be 1 to " + std::to_string(limits::max_name_bytes) +
                " printable ASCII characters without spaces");
}

// The field paths of a $match filter ($and/$or/$nor entries included); false at the first one
// that is not a dotted identifier.
bool match_paths_are_safe(const boost::json::object& filter) {
  for (auto& kv : filter) {
    if (!kv.key().starts_with("$")) {
      if (!detail::is_field_path(kv.key())) return false;
      continue;
    }
    if (!kv.value().is_array()) continue;  // operators were checked by Pipeline::parse
    for (auto& sub : kv.value().as_array())
      if (sub.is_object() && !match_paths_are_safe(sub.as_object())) return false;
  }
  return true;
}

// The pipeline names the source's columns (in $match paths and $project references such as
// "$fullDocument.amount"), which a push-down writes into SQL: each segment must be a plain
// identifier.
void check_column_references(ConfigReader& r, const toml::node* at, const std::string& path,
                             const pipeline::Pipeline& p) {
  for (auto& stage : p.stages()) {
    if (stage.kind == pipeline::Pipeline::Stage::Kind::match) {
      if (!match_paths_are_safe(stage.spec))
        r.error(at, path, "$match must name fields as [A-Za-z_][A-Za-z0-9_]{0,62} (dotted)");
      continue;
    }
    for (auto& kv : stage.spec) {
      const auto& v = kv.value();
      std::string_view ref = v.is_string() ? std::string_view(v.as_string()) : "";
      const bool bad_ref = ref.starts_with("$") && !detail::is_field_path(ref.substr(1));
      if (bad_ref || (kv.key() != "_id" && !detail::is_field_path(kv.key())))
        r.error(at, path,
                "$project field '" + std::string(kv.key()) +
                    "' must name fields and columns as [A-Za-z_][A-Za-z0-9_]{0,62} (dotted)");
    }
  }
}

std::optional<pipeline::Pipeline> read_pipeline(ConfigReader& r, const toml::table& t,
                                                const std::string& path) {
  auto text = r.string(t, path, "pipeline", true);
  if (!text) return std::nullopt;
  const std::string where = ConfigReader::join(path, "pipeline");
  if (text->size() > limits::max_pipeline_bytes) {
    r.error(t.get("pipeline"), where, "longer than 64 KiB");
    return std::nullopt;
  }
  auto parsed = pipeline::Pipeline::parse(*text);
  if (auto* err = std::get_if<pipeline::PipelineError>(&parsed)) {
    r.error(t.get("pipeline"), where, err->message);
    return std::nullopt;
  }
  auto p = std::get<pipeline::Pipeline>(std::move(parsed));
  check_column_references(r, t.get("pipeline"), where, p);
  return p;
}

void read_channels(ConfigReader& r, const toml::table& t, const std::string& path,
                   StreamConfig& s) {
  auto rooms = r.strings(t, path, "rooms", limits::max_rooms);
  if (!t.contains("rooms"))
    r.error(&t, ConfigReader::join(path, "rooms"), "missing (1 to 8 rooms)");
  if (rooms && rooms->empty()) r.error(t.get("rooms"), path + ".rooms", "needs at least one room");
  for (std::size_t i = 0; rooms && i < rooms->size(); ++i)
    check_channel_name(r, t.get("rooms"), ConfigReader::index(path + ".rooms", i), (*rooms)[i]);
  if (rooms) s.rooms = *rooms;
  if (auto e = r.string(t, path, "event", true)) {
    check_channel_name(r, t.get("event"), path + ".event", *e);
    s.event = *e;
    s.snapshot_event = *e + "-snapshot";
  }
  if (auto e = r.string(t, path, "snapshot_event", false)) {
    check_channel_name(r, t.get("snapshot_event"), path + ".snapshot_event", *e);
    s.snapshot_event = *e;
  }
  if (!s.event.empty() && s.event == s.snapshot_event)
    r.error(t.get("snapshot_event"), path + ".snapshot_event", "must differ from event");
}

Where where(const toml::node* at) {
  if (!at || !at->source().begin.line) return {};
  return {at->source().begin.line, at->source().begin.column};
}

StreamConfig read_stream(ConfigReader& r, const toml::table& t, const std::string& path) {
  r.only_keys(t, path,
              {"name", "source", "key", "pipeline", "rooms", "event", "snapshot_event", "aggregate",
               "dashboard"});
  StreamConfig s;
  if (auto name = r.string(t, path, "name", true)) {
    if (!is_identifier(*name))
      r.error(t.get("name"), path + ".name", "'" + *name + "' is not [A-Za-z_][A-Za-z0-9_]{0,62}");
    s.name = *name;
  }
  if (auto source = r.string(t, path, "source", true)) {
    if (!is_source_name(*source))
      r.error(
          t.get("source"), path + ".source",
          "'" + *source + "' is not a table or collection name (identifier or schema.identifier)");
    s.source = *source;
    s.source_at = where(t.get("source"));
  }
  read_channels(r, t, path, s);
  auto p = read_pipeline(r, t, path);
  if (!p) return s;  // the fields below are checked against what the pipeline projects
  s.pipeline = std::move(*p);
  s.pipeline_at = where(t.get("pipeline"));
  const detail::Fields fields(s.pipeline);
  if (auto key = r.string(t, path, "key", false)) s.key = *key;
  if (!t.contains("key") && !fields.has(s.key))
    r.error(&t, path + ".key", "missing, and the pipeline projects no 'id' field");
  else if (t.contains("key"))
    fields.check(r, t, path, "key", s.key);
  if (auto* a = r.table(t, path, "aggregate", false))
    s.aggregate = detail::read_aggregate(r, *a, path + ".aggregate", fields);
  if (auto* d = r.table(t, path, "dashboard", false))
    s.dashboard = detail::read_dashboard(r, *d, path + ".dashboard", fields,
                                         s.aggregate ? &*s.aggregate : nullptr);
  return s;
}

// Names and (room, event) pairs must be unique across the file: two streams publishing the same
// event to one room would interleave on every dashboard there.
void check_unique(ConfigReader& r, const toml::array& tables, const std::vector<StreamConfig>& s) {
  std::map<std::string, std::size_t> names;
  std::map<std::pair<std::string, std::string>, std::size_t> channels;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const toml::table& t = *tables.get(i)->as_table();
    const std::string path = ConfigReader::index("stream", i);
    if (!s[i].name.empty() && !names.emplace(s[i].name, i).second)
      r.error(t.get("name"), path + ".name",
              "duplicate stream name '" + s[i].name + "' (also stream[" +
                  std::to_string(names[s[i].name]) + "])");
    for (auto& room : s[i].rooms)
      for (auto* ev : {&s[i].event, &s[i].snapshot_event})
        if (!ev->empty() && !channels.emplace(std::pair(room, *ev), i).second)
          r.error(t.get("rooms"), path + ".rooms",
                  "room '" + room + "' already receives event '" + *ev + "' from stream[" +
                      std::to_string(channels[{room, *ev}]) + "]");
  }
}

}  // namespace

ConfigResult parse_config(std::string_view text, std::string_view file_name) {
  std::vector<ConfigError> errors;
  ConfigReader r(std::string(file_name), errors);
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    r.error(e.source(), "", std::string(e.description()));
    return errors;
  }
  r.only_keys(root, "", {"version", "stream"});
  if (auto v = r.integer(root, "", "version", 1, 1); !v && root.contains("version")) return errors;
  StreamsConfig config{std::string(file_name), {}};
  const toml::array* tables = r.tables(root, "", "stream", limits::max_streams, true);
  if (tables && tables->empty()) r.error(&root, "stream", "at least one stream is required");
  for (std::size_t i = 0; tables && i < tables->size(); ++i)
    config.streams.push_back(
        read_stream(r, *tables->get(i)->as_table(), ConfigReader::index("stream", i)));
  if (tables) check_unique(r, *tables, config.streams);
  if (!errors.empty()) return errors;
  return config;
}

ConfigResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::vector<ConfigError>{{path, 0, 0, "", "cannot read the file"}};
  std::string text(limits::max_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > limits::max_file_bytes)
    return std::vector<ConfigError>{{path, 1, 1, "", "larger than 1 MiB"}};
  return parse_config(text, path);
}

}  // namespace pulseboard::streams
