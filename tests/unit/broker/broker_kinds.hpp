#pragma once
// The brokers every parametrised broker test runs against, and their names in test ids.
#include <gtest/gtest.h>

#include <string>

namespace pulseboard::testing {

enum class Kind { memory, redis_pubsub, redis_sharded };

inline std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
  switch (info.param) {
    case Kind::memory:
      return "Memory";
    case Kind::redis_pubsub:
      return "RedisPubSub";
    case Kind::redis_sharded:
      return "RedisSharded";
  }
  return "Unknown";
}

}  // namespace pulseboard::testing
