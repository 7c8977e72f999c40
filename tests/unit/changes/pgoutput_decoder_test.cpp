#include "changes/pgoutput_decoder.hpp"

#include <gtest/gtest.h>

#include "changes/postgres_row.hpp"

namespace pulseboard::changes::pgoutput {
namespace {
namespace json = boost::json;

// Builds protocol bytes the way the server writes them (network byte order).
struct Bytes {
  std::string s;
  Bytes& c(char v) {
    s.push_back(v);
    return *this;
  }
  Bytes& u(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  Bytes& str(std::string_view v) {
    s.append(v);
    s.push_back('\0');
    return *this;
  }
  Bytes& text(std::string_view v) {
    c('t').u(v.size(), 4);
    s.append(v);
    return *this;
  }
};

const std::uint64_t kCommitLsn = 0x16B374D848ull;

std::string orders_relation() {
  Bytes b;
  b.c('R').u(16384, 4).str("public").str("orders").c('f').u(6, 2);
  b.c(1).str("id").u(25, 4).u(0xffffffff, 4);
  b.c(0).str("amount").u(701, 4).u(0xffffffff, 4);
  b.c(0).str("status").u(25, 4).u(0xffffffff, 4);
  b.c(0).str("category").u(25, 4).u(0xffffffff, 4);
  b.c(0).str("created_at").u(1184, 4).u(0xffffffff, 4);
  b.c(0).str("updated_at").u(1184, 4).u(0xffffffff, 4);
  return b.s;
}

Bytes& order_tuple(Bytes& b, std::string_view status) {
  b.u(6, 2).text("abc").text("129.5").text(status).text("books");
  b.text("2026-11-28 04:00:00.12+00").text("2026-11-28 05:00:01.5+01");
  return b;
}

TEST(Pgoutput, BeginAndCommit) {
  Bytes begin;
  begin.c('B').u(kCommitLsn, 8).u(848'000'000'000'000ull, 8).u(777, 4);
  auto m = std::get<Message>(decode_message(begin.s));
  auto& b = std::get<Begin>(m);
  EXPECT_EQ(b.final_lsn, kCommitLsn);
  EXPECT_EQ(b.xid, 777u);
  EXPECT_EQ(unix_ms_from_pg_time(b.commit_time_us), 946'684'800'000 + 848'000'000'000);

  Bytes commit;
  commit.c('C').c(0).u(kCommitLsn, 8).u(kCommitLsn + 48, 8).u(5, 8);
  auto c = std::get<Commit>(std::get<Message>(decode_message(commit.s)));
  EXPECT_EQ(c.commit_lsn, kCommitLsn);
  EXPECT_EQ(c.end_lsn, kCommitLsn + 48);
}

TEST(Pgoutput, RelationInsertBuildTheOrderDocument) {
  auto rel = std::get<Relation>(std::get<Message>(decode_message(orders_relation())));
  EXPECT_EQ(rel.id, 16384u);
  EXPECT_EQ(rel.schema, "public");
  EXPECT_EQ(rel.name, "orders");
  ASSERT_EQ(rel.columns.size(), 6u);
  EXPECT_TRUE(rel.columns[0].part_of_key);
  EXPECT_EQ(rel.columns[4].type_oid, 1184u);

  Bytes insert;
  insert.c('I').u(16384, 4).c('N');
  order_tuple(insert, "completed");
  auto ins = std::get<Insert>(std::get<Message>(decode_message(insert.s)));
  EXPECT_EQ(ins.relation_id, 16384u);
  EXPECT_EQ(document_from_row(rel, ins.new_tuple),
            json::parse(R"({"_id":"abc","amount":129.5,"status":"completed","category":"books",
              "createdAt":"2026-11-28T04:00:00.120Z","updatedAt":"2026-11-28T04:00:01.500Z"})"));
}

TEST(Pgoutput, UpdateWithOldRowAndUnchangedToast) {
  auto rel = std::get<Relation>(std::get<Message>(decode_message(orders_relation())));
  Bytes update;
  update.c('U').u(16384, 4).c('O');
  order_tuple(update, "pending");
  update.c('N').u(6, 2).text("abc").text("129.5").text("completed").c('u').c('n');
  update.text("2026-11-28T05:00:00Z");
  auto up = std::get<Update>(std::get<Message>(decode_message(update.s)));
  EXPECT_EQ(up.old_kind, 'O');
  ASSERT_TRUE(up.old_tuple);
  EXPECT_EQ((*up.old_tuple)[2].data, "pending");
  EXPECT_EQ(up.new_tuple[3].kind, Value::Kind::unchanged_toast);
  auto doc = document_from_row(rel, up.new_tuple, &*up.old_tuple);
  EXPECT_EQ(doc.at("status"), "completed");
  EXPECT_EQ(doc.at("category"), "books");  // from the old row
  EXPECT_TRUE(doc.at("createdAt").is_null());
  // Without an old row the unchanged value is left out, not invented.
  EXPECT_FALSE(document_from_row(rel, up.new_tuple).contains("category"));

  Bytes key_only;
  key_only.c('U').u(16384, 4).c('N');
  order_tuple(key_only, "completed");
  auto plain = std::get<Update>(std::get<Message>(decode_message(key_only.s)));
  EXPECT_FALSE(plain.old_tuple);
  EXPECT_EQ(plain.old_kind, 0);
}

TEST(Pgoutput, OtherMessagesAreIgnoredAndTruncationIsAnError) {
  EXPECT_EQ(std::get<Ignored>(std::get<Message>(decode_message("Y\0\0\0\1"))).type, 'Y');
  EXPECT_EQ(std::get<Ignored>(std::get<Message>(decode_message("T"))).type, 'T');
  Bytes insert;
  insert.c('I').u(16384, 4).c('N');
  order_tuple(insert, "completed");
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{7}, insert.s.size() - 1})
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_message(insert.s.substr(0, cut))))
        << cut;
  auto rel = orders_relation();
  EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_message(rel.substr(0, rel.size() - 2))));
  Bytes bad_kind;
  bad_kind.c('I').u(1, 4).c('N').u(1, 2).c('x');
  EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_message(bad_kind.s)));
}

TEST(Pgoutput, CopyDataFramingAndStandbyStatus) {
  Bytes w;
  w.c('w').u(10, 8).u(20, 8).u(30, 8).s.append("B...");
  auto x = std::get<XLogData>(decode_copy_data(w.s));
  EXPECT_EQ(x.wal_start, 10u);
  EXPECT_EQ(x.wal_end, 20u);
  EXPECT_EQ(x.payload, "B...");

  Bytes k;
  k.c('k').u(kCommitLsn, 8).u(99, 8).c(1);
  auto ka = std::get<Keepalive>(decode_copy_data(k.s));
  EXPECT_EQ(ka.wal_end, kCommitLsn);
  EXPECT_TRUE(ka.reply_requested);
  EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_copy_data(k.s.substr(0, 10))));
  EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_copy_data("z")));

  Bytes expected;
  expected.c('r').u(kCommitLsn, 8).u(kCommitLsn, 8).u(kCommitLsn, 8).u(1234, 8).c(0);
  EXPECT_EQ(encode_standby_status(kCommitLsn, kCommitLsn, kCommitLsn, 1234), expected.s);
}

TEST(Pgoutput, LsnText) {
  EXPECT_EQ(format_lsn(kCommitLsn), "16/B374D848");
  EXPECT_EQ(parse_lsn("16/B374D848"), kCommitLsn);
  EXPECT_EQ(parse_lsn("0/0"), 0u);
  EXPECT_EQ(parse_lsn("16B374D848"), std::nullopt);
  EXPECT_EQ(parse_lsn("1/G"), std::nullopt);
  EXPECT_EQ(parse_lsn("/1"), std::nullopt);
}

}  // namespace
}  // namespace pulseboard::changes::pgoutput

namespace pulseboard::changes::pgoutput {
namespace {

// pg_logical_emit_message(true, 'pulseboard-canary', '{}') as pgoutput sends it.
TEST(Pgoutput, LogicalMessageIsReadAndItsContentBounded) {
  Bytes m;
  m.c('M').c('\x01').u(0x16B374D848ull, 8);
  m.s += std::string("pulseboard-canary") + '\0';
  m.u(2, 4);
  m.s += "{}";
  auto decoded = std::get<LogicalMessage>(std::get<Message>(decode_message(m.s)));
  EXPECT_TRUE(decoded.transactional);
  EXPECT_EQ(decoded.lsn, 0x16B374D848ull);
  EXPECT_EQ(decoded.prefix, "pulseboard-canary");
  EXPECT_EQ(decoded.content_size, 2u);
  // A content length past the message, a missing prefix terminator, a cut LSN: errors.
  for (std::size_t cut : {std::size_t{1}, std::size_t{6}, std::size_t{15}, m.s.size() - 1})
    EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_message(m.s.substr(0, cut)))) << cut;
  Bytes lying;
  lying.c('M').c('\x00').u(1, 8);
  lying.s += std::string("p") + '\0';
  lying.u(0xffffffffu, 4);
  EXPECT_TRUE(std::holds_alternative<DecodeError>(decode_message(lying.s)));
}

}  // namespace
}  // namespace pulseboard::changes::pgoutput
