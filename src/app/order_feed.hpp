#pragma once
// The demo's synthetic order feed: writes orders through the store at a steady rate, most of them
// completed at once, some pending and completed a little later (so updates flow too).
#include <memory>
#include <stop_token>

#include "store/order_store.hpp"

namespace pulseboard::app {

void run_order_feed(std::shared_ptr<store::OrderStore> store, double orders_per_second,
                    std::stop_token stop);

}  // namespace pulseboard::app
