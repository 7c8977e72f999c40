#include "app/stream_sources.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "changes/table_reader.hpp"
#include "worker/stream_checks.hpp"

namespace pulseboard::app {
namespace {

// The tables and columns the file names, against the database (SQLite, PostgreSQL). A server
// that does not answer within kCheckWait is not checked (the source retries it); its streams
// are then rebuilt once it does. MongoDB has no start-up checks (collections declare no
// columns): its reader only rebuilds.
std::shared_ptr<changes::TableReader> check_tables(const streams::StreamsConfig& config,
                                                   const StreamSources& where) {
  constexpr auto kCheckWait = std::chrono::seconds(30);
  std::string error;
  std::shared_ptr<changes::TableReader> reader =
      changes::open_table_reader(where.database_url, &error);
  if (!reader || where.database_url.starts_with("mongodb")) return reader;
  const auto until = std::chrono::steady_clock::now() + kCheckWait;
  auto down = reader->reachable();
  while (down && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    down = reader->reachable();
  }
  if (down) {
    spdlog::warn("worker: the tables of {} are not checked: the database does not answer ({})",
                 where.config_path, *down);
  } else if (auto errors = worker::check_stream_tables(config, *reader); !errors.empty()) {
    for (const auto& e : errors) std::cerr << e.to_string() << "\n";
    throw std::runtime_error("stream file " + where.config_path + ": " +
                             std::to_string(errors.size()) +
                             " error(s) against the database, nothing started");
  }
  return reader;
}

// SQLite: the tables besides orders get outbox triggers (the API's store writes the orders').
void add_sqlite_tables(const streams::StreamsConfig& config, std::vector<std::string>& tables) {
  for (const auto& stream : config.streams) {
    std::string_view table = stream.source;
    if (table.starts_with("main.")) table.remove_prefix(5);
    if (table != "orders" && std::find(tables.begin(), tables.end(), table) == tables.end())
      tables.emplace_back(table);
  }
}

// PostgreSQL: every table of the file in the one publication, each with the OR of its
// streams' row filters; MongoDB: the collections followed.
void add_source_tables(const streams::StreamsConfig& config, changes::SourceOptions& source) {
  for (const auto& stream : config.streams) {
    auto& tables = source.tables;
    auto it = std::find_if(tables.begin(), tables.end(),
                           [&](const auto& t) { return t.name == stream.source; });
    if (it == tables.end()) it = tables.insert(tables.end(), {stream.source, {}});
    it->pipelines.push_back(stream.pipeline);
  }
}

}  // namespace

void apply_stream_file(const streams::StreamsConfig& config, const StreamSources& where,
                       worker::Worker::Options& worker, changes::SourceOptions& source,
                       std::vector<std::string>& sqlite_tables) {
  auto reader = check_tables(config, where);
  if (where.rebuild) worker.tables = std::move(reader);
  worker.streams = worker::streams_of(config);
  add_sqlite_tables(config, sqlite_tables);
  add_source_tables(config, source);
  // One stream's pipeline may be pushed down to the database; several streams' pipelines are
  // run by the worker (PostgreSQL still filters rows per table).
  if (worker.streams.size() == 1) {
    source.pipeline = worker.streams.front().pipeline;
  } else if (!where.database_url.starts_with("postgres")) {
    source.push_down = false;  // MongoDB runs one pipeline server-side: the worker does
  }
  spdlog::info("worker: {} stream(s) from {}", worker.streams.size(), where.config_path);
}

}  // namespace pulseboard::app
