#include "streams/stream_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pulseboard::streams {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A small valid file; each refusal test breaks one thing in it.
constexpr std::string_view kValid = R"(version = 1
[[stream]]
name = "sales"
source = "shop.sales"
rooms = ["r1"]
event = "sale"
pipeline = '[{"$project": {"id": "$fullDocument.id", "amount": "$fullDocument.amount", "shop": "$fullDocument.shop", "at": "$fullDocument.at"}}]'
[stream.aggregate]
time = "at"
[[stream.aggregate.measure]]
name = "amount"
op = "sum"
field = "amount"
[stream.aggregate.group]
field = "shop"
)";

std::vector<std::string> errors_of(std::string_view text) {
  auto result = parse_config(text, "test.toml");
  std::vector<std::string> out;
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&result))
    for (auto& e : *errors) out.push_back(e.to_string());
  return out;
}

std::string replaced(std::string_view from, std::string_view to) {
  std::string text(kValid);
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(StreamConfig, AValidFileLoadsWithItsDefaults) {
  auto result = parse_config(kValid, "test.toml");
  ASSERT_TRUE(std::holds_alternative<StreamsConfig>(result)) << errors_of(kValid).front();
  auto& s = std::get<StreamsConfig>(result).streams.at(0);
  EXPECT_EQ(s.source, "shop.sales");
  EXPECT_EQ(s.key, "id");
  EXPECT_EQ(s.snapshot_event, "sale-snapshot");
  ASSERT_TRUE(s.aggregate && s.aggregate->group);
  EXPECT_EQ(s.aggregate->interval.count(), 5000);
  EXPECT_EQ(s.aggregate->window.count(), 300000);
  EXPECT_EQ(s.aggregate->group->label, "shop");
  EXPECT_EQ(s.aggregate->group->rank_by, "amount");
  EXPECT_EQ(s.aggregate->group->top, 10u);
}

TEST(StreamConfig, ATomlSyntaxErrorNamesFileLineAndColumn) {
  auto e = errors_of("version = 1\n[[stream]\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], HasSubstr("test.toml:2:"));
}

TEST(StreamConfig, UnknownKeysAreRefusedAnywhere) {
  auto e = errors_of(replaced("[stream.aggregate]\n", "[stream.aggregate]\nwindw = \"1m\"\n"));
  EXPECT_THAT(e, ElementsAre(HasSubstr("test.toml:9:1: stream[0].aggregate.windw: unknown key")));
  e = errors_of(std::string("colour = 1\n") + std::string(kValid));
  EXPECT_THAT(e, ElementsAre(HasSubstr("test.toml:1:1: colour: unknown key")));
}

TEST(StreamConfig, MissingRequiredKeysAreNamed) {
  auto e = errors_of(replaced("event = \"sale\"\n", ""));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].event: missing (a string is required)")));
  e = errors_of(replaced("time = \"at\"\n", ""));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].aggregate.time: missing")));
  EXPECT_THAT(errors_of("version = 1\n"), ElementsAre(HasSubstr("test.toml:1:1: stream: missing")));
}

TEST(StreamConfig, WrongTypesAreNamedWithTheirPosition) {
  auto e = errors_of(replaced("rooms = [\"r1\"]", "rooms = \"r1\""));
  EXPECT_THAT(e, ElementsAre(HasSubstr("test.toml:5:9: stream[0].rooms: must be an array")));
  e = errors_of(replaced("name = \"sales\"", "name = 3"));
  EXPECT_THAT(
      e, ElementsAre(HasSubstr("test.toml:3:8: stream[0].name: must be a string, not an integer")));
}

TEST(StreamConfig, FieldsMustBeProjectedByThePipeline) {
  auto e = errors_of(replaced("field = \"amount\"", "field = \"price\""));
  EXPECT_THAT(e, ElementsAre(HasSubstr(
                     "test.toml:13:9: stream[0].aggregate.measure[0].field: field 'price' is not "
                     "projected by the pipeline (projected: amount, at, committedAt")));
  e = errors_of(replaced("field = \"shop\"", "field = \"region\""));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].aggregate.group.field: field 'region'")));
  e = errors_of(replaced("time = \"at\"", "time = \"created\""));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].aggregate.time: field 'created'")));
}

TEST(StreamConfig, NamesUsedInSqlFollowTheIdentifierGrammar) {
  auto e = errors_of(replaced("source = \"shop.sales\"", "source = \"sales; drop table x\""));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].source: 'sales; drop table x' is not a table")));
  e = errors_of(replaced("$fullDocument.amount", "$fullDocument.amount\\\"x"));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].pipeline: $project field 'amount' must name")));
  e = errors_of(
      replaced("pipeline = '[", "pipeline = '[{\"$match\": {\"$or\": [{\"a b\": 1}]}}, "));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].pipeline: $match must name fields")));
  EXPECT_TRUE(is_source_name("public.orders"));
  EXPECT_FALSE(is_source_name("a.b.c"));
  EXPECT_FALSE(is_identifier(std::string(64, 'a')));
  EXPECT_TRUE(is_identifier(std::string(63, 'a')));
}

TEST(StreamConfig, DuplicateStreamNamesAndRoomEventPairsAreRefused) {
  std::string text(kValid);
  std::string second(kValid.substr(kValid.find("[[stream]]")));
  auto e = errors_of(text + second);
  EXPECT_THAT(e, ElementsAre(HasSubstr("test.toml:17:8: stream[1].name: duplicate stream name "
                                       "'sales' (also stream[0])"),
                             HasSubstr("stream[1].rooms: room 'r1' already receives event 'sale' "
                                       "from stream[0]"),
                             HasSubstr("stream[1].rooms: room 'r1' already receives event "
                                       "'sale-snapshot' from stream[0]")));
}

TEST(StreamConfig, LimitsAreEnforced) {
  auto e =
      errors_of(replaced("time = \"at\"\n", "time = \"at\"\ninterval = \"1s\"\nwindow = \"1d\"\n"));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].aggregate.window: must be a duration")));
  e = errors_of(replaced("time = \"at\"\n", "time = \"at\"\ninterval = \"1s\"\nwindow = \"2h\"\n"));
  EXPECT_THAT(e, ElementsAre(HasSubstr("window: holds 7200 intervals (at most 1440)")));
  e = errors_of(replaced("time = \"at\"\n", "time = \"at\"\nrecent = 201\n"));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].aggregate.recent: must be between 0 and 200")));
  e = errors_of(replaced("field = \"shop\"\n", "field = \"shop\"\ntop = 500\n"));
  EXPECT_THAT(e,
              ElementsAre(HasSubstr("stream[0].aggregate.group.top: must be between 1 and 200")));
  std::string measures;
  for (int i = 0; i < 17; ++i) measures += "[[stream.aggregate.measure]]\nname = \"m\"\n";
  e = errors_of(replaced("[stream.aggregate.group]\nfield = \"shop\"\n", measures));
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream[0].aggregate.measure: at most 16 are allowed")));
  std::string many = "version = 1\n";
  for (int i = 0; i < 33; ++i) many += "[[stream]]\n";
  e = errors_of(many);
  EXPECT_THAT(e, ElementsAre(HasSubstr("stream: at most 32 are allowed")));
}

TEST(StreamConfig, EveryErrorIsReportedNotOnlyTheFirst) {
  std::string text = replaced("event = \"sale\"\n", "event = 7\n");
  text += "bogus = true\n[[stream.aggregate.measure]]\nname = \"n\"\nop = \"median\"\n";
  auto e = errors_of(text);
  EXPECT_THAT(
      e, ElementsAre(HasSubstr("test.toml:6:9: stream[0].event: must be a string"),
                     HasSubstr("test.toml:19:6: stream[0].aggregate.measure[1].op: "
                               "'median' is not count, sum, avg, min or max"),
                     HasSubstr("test.toml:16:1: stream[0].aggregate.group.bogus: unknown key")));
}

TEST(StreamConfig, MeasuresAndPanelsAreChecked) {
  auto e =
      errors_of(replaced("op = \"sum\"\nfield = \"amount\"", "op = \"count\"\nfield = \"amount\""));
  EXPECT_THAT(e, ElementsAre(HasSubstr("measure[0].field: count counts rows and takes no field")));
  std::string text(kValid);
  text +=
      "[stream.dashboard]\ntitle = \"T\"\n[[stream.dashboard.panel]]\nkind = \"kpi\"\n"
      "measure = \"total\"\n[[stream.dashboard.panel]]\nkind = \"table\"\ncolumns = [\"x\"]\n";
  e = errors_of(text);
  EXPECT_THAT(e,
              ElementsAre(HasSubstr("panel[0].measure: 'total' is not a measure shown in totals"),
                          HasSubstr("panel[1].columns: field 'x' is not projected")));
}

TEST(StreamConfig, TheGroupListMustNotCollideWithTheSnapshotOrTheMeasures) {
  auto e = errors_of(replaced("field = \"shop\"\n",
                              "field = \"shop\"\nlist = \"totals\"\n"
                              "label = \"amount\"\nrank_by = \"n\"\n"));
  EXPECT_THAT(e, ElementsAre(HasSubstr("group.list: 'totals' must be an identifier other than"),
                             HasSubstr("group.label: 'amount' is also a measure name"),
                             HasSubstr("group.rank_by: 'n' is not a measure shown in groups")));
}

TEST(StreamConfig, BothExamplesLoad) {
  for (const char* file : {"examples/orders.toml", "examples/signups.toml"}) {
    auto result = load_config(file);
    if (auto* errors = std::get_if<std::vector<ConfigError>>(&result))
      FAIL() << errors->front().to_string();
    EXPECT_EQ(std::get<StreamsConfig>(result).streams.size(), 1u) << file;
  }
  auto orders = std::get<StreamsConfig>(load_config("examples/orders.toml")).streams.at(0);
  EXPECT_TRUE(orders.pipeline.is_article_default());
  EXPECT_EQ(orders.rooms, std::vector<std::string>{"live-metrics"});
  EXPECT_EQ(orders.event, "metrics-update");
  EXPECT_EQ(orders.snapshot_event, "metrics-snapshot");
  EXPECT_EQ(orders.dashboard->panels.size(), 6u);
}

TEST(StreamConfig, AMissingFileIsAnError) {
  EXPECT_THAT(errors_of(""), ElementsAre(HasSubstr("stream: missing")));
  auto result = load_config("examples/no-such-file.toml");
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigError>>(result));
  EXPECT_EQ(std::get<std::vector<ConfigError>>(result).front().reason, "cannot read the file");
}

}  // namespace
}  // namespace pulseboard::streams
