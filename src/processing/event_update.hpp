// Moving a batch's events on with direct heap updates: each event's row, found by the tuple id
// the claim read it at, is updated in place (table_tuple_update: HOT when the new version fits
// on the page and no indexed column changed), and its index entries are added as the executor's
// UPDATE adds them. No statement, no arrays to unnest, no join, no primary-key probe per event,
// no casts through text.
//
// Only taken when the queue table is exactly the extension's (its columns and types, no row
// security, no trigger, no constraint but its own, which hold for every row processing writes);
// events whose row moved since the claim (updated by another transaction) and every event of a
// table that is not the extension's are left to the caller's UPDATE statement, which finds their
// current version by id as before.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/processing_decision.hpp"
#include "intake/queue.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "storage/itemptr.h"
}

namespace mc::processing {

// The new processing state of one event (the columns the UPDATE statement sets).
struct EventChange {
  int64 id;
  ItemPointerData tid;  // where the claim read it
  core::EventStatus status;
  std::optional<int64> template_id, delivery_id;
  int error_count;
  std::optional<std::string_view> last_error;
  std::optional<int64> retry_at, processed_at;
};

// Updates what it can and returns the indexes (into changes) of the events left to the caller.
// Throws PgError.
std::vector<size_t> update_events_direct(intake::Queue queue, TimestampTz now,
                                         const std::vector<EventChange>& changes);

}  // namespace mc::processing
