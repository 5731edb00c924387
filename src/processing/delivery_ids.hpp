// The month's delivery of each published template, found or created with one set-oriented
// statement per batch and remembered by the backend (a delivery lives for months). The memory
// is dropped when a transaction aborts, so a delivery created by a rolled-back batch, or purged
// meanwhile, is never used.
#pragma once

#include <unordered_map>
#include <vector>

#include "pg/postgres.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace mc::processing {

// delivery id by published template id, for the month of `now`. Needs an open SPI connection.
std::unordered_map<int64, int64> deliveries_for(const std::vector<int64>& published_ids,
                                                TimestampTz now);

// Forgets every remembered delivery; called when a transaction aborts (src/backend/callbacks.cpp).
void forget_deliveries();

}  // namespace mc::processing
