// mc.update_events_status (updateEventsStatus): copies final delivery outcomes onto events,
// in bulk, from a watermark on the delivery log's last modification.
//
// Exactly once, also when run concurrently or interrupted: runs hold one lock in turn
// (backend/work_locks.hpp: one no other session can take),
// and the copy and the new watermark commit together. The watermark never passes the start of
// the oldest transaction still running (mc.archive_horizon, which archiving reads too; any
// transaction, not only those with an xid: one that has not written yet may still stamp a row
// with a time before the horizon query's): a report it has not committed yet carries a
// modification time at or after that start, so the next run still sees it. Rows at or above the
// watermark may be read again; the copy only touches events whose status differs, so a second
// look changes nothing.
#include <algorithm>
#include <string>
#include <vector>

#include "backend/work_locks.hpp"
#include "status/direct_copy.hpp"
#include "intake/own_row_update.hpp"

#include "core/work_queues.hpp"
#include "intake/queue.hpp"
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
}

namespace mc::status {
namespace {

using intake::Queue;

pg::Statement read_state(
    "SELECT watermark, (SELECT horizon FROM mc.archive_horizon) AS horizon "
    "FROM mc.workflow_state WHERE workflow OPERATOR(pg_catalog.=) 'updateEventsStatus' FOR UPDATE",
    {}, {"watermark", "horizon"});

// Per queue: its changed delivery-log rows, mapped to event statuses, copied onto its events.
// No CTE shared by both queues: a CTE's row count is a guess to the planner, which then probes
// the primary key once per row even for a copy of the whole table. Planned for the watermark
// at hand (a custom plan): a large copy hashes the changed rows and updates the events in one
// pass over the table, page by page; a small one reads the delivery log's last-modification
// index and probes the primary key. The queue is written into the text (not a parameter) so
// that every plan is the queue's own.
pg::Statement make_copy(Queue queue) {
  std::string sql =
      std::string("UPDATE mc.") + intake::table_of(queue) +
      " e SET status = c.status, last_modified_at = $now "
      "FROM (SELECT d.event_id, "
      "             CASE d.status WHEN 'sent' THEN 'sent'::mc.event_status "
      "                           WHEN 'ignored' THEN 'ignored'::mc.event_status "
      "                           ELSE 'delivery_failed'::mc.event_status END AS status "
      "      FROM mc.delivery_log d "
      "      WHERE d.last_modified_at OPERATOR(pg_catalog.>=) $watermark "
      "        AND d.status OPERATOR(pg_catalog.<>) 'pending' AND d.queue OPERATOR(pg_catalog.=) "
      "'" +
      (queue == Queue::Rt ? "rt" : "batch") +
      "') c "
      "WHERE e.id OPERATOR(pg_catalog.=) c.event_id AND e.status IS DISTINCT FROM c.status "
      "AND e.processed_at IS NOT NULL";
  return pg::Statement(std::move(sql), {{"watermark", TIMESTAMPTZOID}, {"now", TIMESTAMPTZOID}}, {},
                       CURSOR_OPT_CUSTOM_PLAN);
}
pg::Statement copy_statuses[core::kQueueCount] = {make_copy(Queue::Rt), make_copy(Queue::Batch)};

// The changed rows of both queues in one read, for the direct path: each event id, its queue
// and its new status (the enum value itself, compared and written as is: no cast through text).
pg::Statement read_changes(
    "SELECT d.event_id, d.queue OPERATOR(pg_catalog.=) 'rt' AS rt, "
    "       CASE d.status WHEN 'sent' THEN 'sent'::mc.event_status "
    "                     WHEN 'ignored' THEN 'ignored'::mc.event_status "
    "                     ELSE 'delivery_failed'::mc.event_status END AS status "
    "FROM mc.delivery_log d "
    "WHERE d.last_modified_at OPERATOR(pg_catalog.>=) $watermark "
    "  AND d.status OPERATOR(pg_catalog.<>) 'pending'",
    {{"watermark", TIMESTAMPTZOID}}, {"event_id", "rt", "status"}, CURSOR_OPT_CUSTOM_PLAN);

// A copy touching at least one row per this many pages of the table takes the direct path (one
// pass over the heap); a smaller one, the statement above (index probes, in its custom plan).
constexpr int64 kPagesPerRowForDirect = 2;
// A copy of fewer changed rows than this is read through read_changes whatever the tables' size.
constexpr int64 kMinStatementRead = 64;

// Both queues' copies. Returns the events updated.
int64 copy_queues(TimestampTz watermark, TimestampTz now) {
  bool direct[core::kQueueCount];
  int64 pages[core::kQueueCount] = {0, 0};
  for (Queue queue : {Queue::Rt, Queue::Batch}) {
    const int q = static_cast<int>(queue);
    direct[q] = direct_copy_applies(queue, &pages[q]);
  }
  // Read at most `limit` changed rows through the statement (for a recent watermark its custom
  // plan reads the log's last-modified index). Fewer: that is all of them. As many: the copy is
  // a large one (a backlog's outcomes), and one pass over the log's heap reads them all for less.
  const int64 limit = std::max(kMinStatementRead, (pages[0] + pages[1]) / kPagesPerRowForDirect);
  pg::Statement::Args read_args(read_changes);
  read_args.set_timestamptz("watermark", watermark);
  uint64 changed = read_changes.run(read_args, true, limit);
  std::vector<Outcome> outcomes[core::kQueueCount];
  const bool read_directly = static_cast<int64>(changed) >= limit && (direct[0] || direct[1]) &&
                             read_outcomes_direct(watermark, outcomes);
  if (!read_directly) {
    if (static_cast<int64>(changed) >= limit) changed = read_changes.run(read_args, true, 0);
    const auto id_column = read_changes.column("event_id"), rt_column = read_changes.column("rt"),
               status_column = read_changes.column("status");
    // Reserved first: nothing allocates inside the loop.
    outcomes[0].reserve(changed);
    outcomes[1].reserve(changed);
    pg::call([&] {
      for (uint64 row = 0; row < changed; ++row) {
        bool isnull;
        const bool rt = DatumGetBool(read_changes.value_unsafe(row, rt_column, &isnull));
        Datum id = read_changes.value_unsafe(row, id_column, &isnull);
        Datum status = read_changes.value_unsafe(row, status_column, &isnull);
        outcomes[rt ? 0 : 1].push_back(Outcome{DatumGetInt64(id), DatumGetObjectId(status)});
      }
    });
  }
  int64 copied = 0;
  for (Queue queue : {Queue::Rt, Queue::Batch}) {
    const int q = static_cast<int>(queue);
    const int64 n = static_cast<int64>(outcomes[q].size());
    if (n == 0) continue;
    if (direct[q] && n * kPagesPerRowForDirect >= pages[q]) {
      OutcomeHash hash(outcomes[q].size());
      for (const Outcome& o : outcomes[q]) hash.put(o.event_id, o.status);
      copied += direct_copy(queue, hash, now);
    } else {
      intake::OwnRowUpdate own_update;  // the queues' CHECK need not validate rows again
      pg::Statement::Args args(copy_statuses[q]);
      args.set_timestamptz("watermark", watermark).set_timestamptz("now", now);
      copied += static_cast<int64>(copy_statuses[q].run(args));
    }
  }
  return copied;
}

pg::Statement save_state(
    "UPDATE mc.workflow_state SET watermark = $watermark, last_run_at = $now, "
    "last_handled = $handled WHERE workflow OPERATOR(pg_catalog.=) 'updateEventsStatus'",
    {{"watermark", TIMESTAMPTZOID}, {"now", TIMESTAMPTZOID}, {"handled", INT8OID}});

int64 copy() {
  backend::lock_work(core::kStatusCopyLockKey);
  pg::call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  if (read_state.run(pg::Statement::Args(read_state), false, 1) != 1)
    throw pg::SqlError(ERRCODE_INTERNAL_ERROR, "mc.workflow_state has no updateEventsStatus row");
  const auto watermark_column = read_state.column("watermark"),
             horizon_column = read_state.column("horizon");
  TimestampTz watermark = 0, horizon = 0;
  pg::call([&] {
    bool isnull;
    watermark = DatumGetTimestampTz(read_state.value_unsafe(0, watermark_column, &isnull));
    horizon = DatumGetTimestampTz(read_state.value_unsafe(0, horizon_column, &isnull));
  });
  TimestampTz now = pg::call([] { return GetCurrentTimestamp(); });
  const int64 copied = copy_queues(watermark, now);
  // The watermark only moves forward.
  if (horizon < watermark) horizon = watermark;
  pg::Statement::Args args(save_state);
  args.set_timestamptz("watermark", horizon)
      .set_timestamptz("now", now)
      .set_int8("handled", copied);
  save_state.run(args);
  pg::call([] { SPI_finish(); });
  return copied;
}

}  // namespace
}  // namespace mc::status

MC_FUNCTION(mc_update_events_status) { return Int64GetDatum(mc::status::copy()); }
