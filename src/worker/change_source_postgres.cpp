#include "worker/change_source.hpp"
namespace pulseboard::worker {
std::unique_ptr<ChangeSource> make_postgres_source(std::string, const SourceOptions&) {
  return nullptr;
}
}  // namespace pulseboard::worker
