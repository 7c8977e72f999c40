// The gateway's cluster settings as an operator writes them: the streams adapter's variables
// read from the environment, and the combinations that cannot work refused with a message that
// names what to change.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "app/cluster_options.hpp"

namespace pulseboard::app {
namespace {

// Sets environment variables for one test and removes them after.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (auto [name, value] : vars) {
      setenv(name, value, 1);
      names_.push_back(name);
    }
  }
  ~ScopedEnv() {
    for (auto* name : names_) unsetenv(name);
  }

 private:
  std::vector<const char*> names_;
};

std::string refusal_from_env() {
  try {
    cluster_settings_from_env();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(ClusterSettings, StreamsAdapterReadsTheNodeAdaptersOptions) {
  ScopedEnv env{{"SOCKETIO_ADAPTER", "streams"},
                {"SOCKETIO_ADAPTER_STREAM", "pulse"},
                {"SOCKETIO_ADAPTER_STREAM_COUNT", "3"},
                {"SOCKETIO_ADAPTER_STREAM_MAXLEN", "500"},
                {"SOCKETIO_ADAPTER_SESSION_PREFIX", "s:"}};
  auto s = cluster_settings_from_env();
  EXPECT_EQ(s.adapter, AdapterKind::streams);
  EXPECT_EQ(s.stream, "pulse");
  EXPECT_EQ(s.stream_count, 3u);
  EXPECT_EQ(s.stream_max_len, 500u);
  EXPECT_EQ(s.session_prefix, "s:");
  EXPECT_FALSE(cluster_settings_error(s));
}

TEST(ClusterSettings, StreamsDefaultsAreTheNodeAdapters) {
  ClusterSettings s;
  EXPECT_EQ(s.stream, "socket.io");
  EXPECT_EQ(s.stream_count, 1u);
  EXPECT_EQ(s.stream_max_len, 10000u);
  EXPECT_EQ(s.session_prefix, "sio:session:");
}

TEST(ClusterSettings, BadStreamNumbersAreRefusedNamingTheVariable) {
  for (const char* bad : {"0", "1025", "-1", "two", "3x"}) {
    ScopedEnv env{{"SOCKETIO_ADAPTER_STREAM_COUNT", bad}};
    EXPECT_NE(refusal_from_env().find("SOCKETIO_ADAPTER_STREAM_COUNT"), std::string::npos) << bad;
  }
  ScopedEnv env{{"SOCKETIO_ADAPTER_STREAM_MAXLEN", "0"}};
  EXPECT_NE(refusal_from_env().find("SOCKETIO_ADAPTER_STREAM_MAXLEN"), std::string::npos);
}

TEST(ClusterSettings, StreamsAdapterNeedsOneRedis) {
  ClusterSettings s;
  s.adapter = AdapterKind::streams;
  s.mode = broker::RedisBroker::Mode::sharded;
  auto error = cluster_settings_error(s);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("REDIS_MODE=pubsub"), std::string::npos) << *error;
}

TEST(ClusterSettings, BridgeMessageBoundDefaultsToThePublishBodyLimit) {
  EXPECT_EQ(ClusterSettings{}.max_bridge_message, 1024u * 1024u);
  ScopedEnv env{{"MAX_BRIDGE_MESSAGE", "65536"}};
  EXPECT_EQ(cluster_settings_from_env().max_bridge_message, 65536u);
}

TEST(ClusterSettings, BadBridgeMessageBoundsAreRefusedNamingTheVariable) {
  for (const char* bad : {"0", "1023", "67108865", "-1", "1MB"}) {
    ScopedEnv env{{"MAX_BRIDGE_MESSAGE", bad}};
    EXPECT_NE(refusal_from_env().find("MAX_BRIDGE_MESSAGE"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace pulseboard::app
