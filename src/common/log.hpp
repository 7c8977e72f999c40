#pragma once
// Logging goes through spdlog; one place to configure level and format for every role.
#include <spdlog/spdlog.h>

#include <string_view>

namespace pulseboard {

// Sets the global level from a name ("trace".."off"); unknown names keep "info".
void configure_logging(std::string_view level);

}  // namespace pulseboard
