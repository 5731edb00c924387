// Writing a batch's delivery-log rows the way COPY (and intake's direct path) writes rows:
// tuples built in place, table_multi_insert, then index insertion, with no statement, no arrays
// of text to unnest and no casts. The primary key's uniqueness is checked by the index
// insertion as an INSERT would check it (one row per event, ever).
//
// Only taken when mc.delivery_log is exactly the extension's (its columns and types, no row
// security, no trigger but its own statement trigger that wakes the sender workers, whose effect
// this path requests itself); otherwise the caller uses its INSERT statement.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/channel.hpp"
#include "core/processing_decision.hpp"
#include "intake/queue.hpp"
#include "pg/postgres.hpp"

namespace mc::processing {

// One delivery-log row; the views point into the batch's results and live until the call ends.
// An absent (nullopt) part is stored as NULL.
struct LogRow {
  int64 event_id;
  core::LogStatus status;
  core::Channel channel;
  int64 delivery_id;
  std::string_view address;
  std::optional<std::string_view> sender, subject, body_html, body_text, push_data, webhook_url,
      failure_reason, unsubscribe_url;
};

// Inserts rows directly and returns true, or returns false without writing anything when the
// table is not exactly the extension's (then the caller inserts them with SQL). Throws PgError
// (a duplicate event id, a missing privilege, ...).
bool insert_logs_direct(intake::Queue queue, TimestampTz now, const std::vector<LogRow>& rows);

}  // namespace mc::processing
