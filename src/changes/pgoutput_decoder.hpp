#pragma once
// Pure parsers for PostgreSQL streaming logical replication: the CopyData framing of the
// replication protocol (XLogData 'w', primary keepalive 'k', standby status update 'r') and
// the pgoutput plugin's protocol version 1 messages. libpq hands us the CopyData bytes but does
// not parse them, and there is no Debian library for pgoutput, so these few hundred lines are
// ours; every read is bounds-checked and a malformed message is a DecodeError value.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pulseboard::changes::pgoutput {

using Lsn = std::uint64_t;

struct DecodeError {
  std::string message;
};

// ---- replication protocol framing (inside CopyData) ----
struct XLogData {
  Lsn wal_start = 0;
  Lsn wal_end = 0;
  std::int64_t send_time_us = 0;  // microseconds since 2000-01-01 (PostgreSQL epoch)
  std::string_view payload;       // one pgoutput message; points into the input
};
struct Keepalive {
  Lsn wal_end = 0;
  std::int64_t send_time_us = 0;
  bool reply_requested = false;
};
std::variant<XLogData, Keepalive, DecodeError> decode_copy_data(std::string_view bytes);
// 'r' message: written/flushed/applied positions and the client's clock.
std::string encode_standby_status(Lsn write, Lsn flush, Lsn apply, std::int64_t now_us,
                                  bool reply_requested = false);

// ---- pgoutput messages ----
struct Begin {
  Lsn final_lsn = 0;  // the transaction's commit LSN
  std::int64_t commit_time_us = 0;
  std::uint32_t xid = 0;
};
struct Commit {
  std::uint8_t flags = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;
  std::int64_t commit_time_us = 0;
};
struct RelationColumn {
  bool part_of_key = false;
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
};
struct Relation {
  std::uint32_t id = 0;
  std::string schema;
  std::string name;
  char replica_identity = 'd';
  std::vector<RelationColumn> columns;
};
struct Value {
  enum class Kind : char { null = 'n', unchanged_toast = 'u', text = 't', binary = 'b' };
  Kind kind = Kind::null;
  std::string data;
};
using Tuple = std::vector<Value>;
struct Insert {
  std::uint32_t relation_id = 0;
  Tuple new_tuple;
};
struct Update {
  std::uint32_t relation_id = 0;
  char old_kind = 0;  // 'K' key columns, 'O' whole old row (REPLICA IDENTITY FULL), 0 none
  std::optional<Tuple> old_tuple;
  Tuple new_tuple;
};
struct Delete {
  std::uint32_t relation_id = 0;
  char old_kind = 0;
  Tuple old_tuple;
};
// 'M': what pg_logical_emit_message wrote (sent with the `messages 'true'` option). A
// transactional one arrives between its transaction's Begin and Commit. The content is checked
// to be within the message and then left out: the prefix says what it is.
struct LogicalMessage {
  bool transactional = false;
  Lsn lsn = 0;
  std::string prefix;
  std::uint32_t content_size = 0;
};
struct Ignored {  // Origin 'O', Type 'Y', Truncate 'T', ...
  char type = 0;
};
using Message =
    std::variant<Begin, Commit, Relation, Insert, Update, Delete, LogicalMessage, Ignored>;

std::variant<Message, DecodeError> decode_message(std::string_view bytes);

// "16/B374D848" <-> LSN, as pg_lsn prints it.
std::string format_lsn(Lsn lsn);
std::optional<Lsn> parse_lsn(std::string_view text);
// PostgreSQL timestamps count microseconds from 2000-01-01T00:00:00Z.
std::int64_t unix_ms_from_pg_time(std::int64_t pg_time_us);
std::int64_t pg_time_from_unix_us(std::int64_t unix_us);

}  // namespace pulseboard::changes::pgoutput
