// mc.update_events_status (updateEventsStatus): copies final delivery outcomes onto events,
// in bulk, from a watermark on the delivery log's last modification.
//
// Exactly once, also when run concurrently or interrupted: runs hold one advisory lock in turn,
// and the copy and the new watermark commit together. The watermark never passes the start of
// the oldest transaction still running (mc.archive_horizon, which archiving reads too; any
// transaction, not only those with an xid: one that has not written yet may still stamp a row
// with a time before the horizon query's): a report it has not committed yet carries a
// modification time at or after that start, so the next run still sees it. Rows at or above the
// watermark may be read again; the copy only touches events whose status differs, so a second
// look changes nothing.
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
}

namespace {

constexpr int32 kLockClass = 0x6d63;  // "mc"
constexpr int32 kStatusCopyLock = 100;

mc::pg::SpiStatement read_state = {
    "SELECT watermark, (SELECT horizon FROM mc.archive_horizon) "
    "FROM mc.workflow_state WHERE workflow = 'updateEventsStatus' FOR UPDATE",
    0,
    {},
    nullptr,
    InvalidOid};

// Per queue: its changed delivery-log rows, mapped to event statuses, copied onto its events.
// No CTE shared by both queues: a CTE's row count is a guess to the planner, which then probes
// the primary key once per row even for a copy of the whole table. Planned for the watermark
// at hand (a custom plan): a large copy hashes the changed rows and updates the events in one
// pass over the table, page by page; a small one reads the delivery log's last-modification
// index and probes the primary key.
#define MC_COPY_SQL(table, queue)                                                        \
  "UPDATE mc." table                                                                     \
  " e SET status = c.status, last_modified_at = $2 "                                     \
  "FROM (SELECT d.event_id, "                                                            \
  "             CASE d.status WHEN 'sent' THEN 'sent'::mc.event_status "                 \
  "                           WHEN 'ignored' THEN 'ignored'::mc.event_status "           \
  "                           ELSE 'delivery_failed'::mc.event_status END AS status "    \
  "      FROM mc.delivery_log d "                                                        \
  "      WHERE d.last_modified_at >= $1 AND d.status <> 'pending' AND d.queue = '" queue \
  "') c "                                                                                \
  "WHERE e.id = c.event_id AND e.status IS DISTINCT FROM c.status AND e.processed_at IS NOT NULL"

mc::pg::SpiStatement copy_statuses[2] = {
    {MC_COPY_SQL("rt_event", "rt"),
     2,
     {TIMESTAMPTZOID, TIMESTAMPTZOID},
     nullptr,
     InvalidOid,
     CURSOR_OPT_CUSTOM_PLAN},
    {MC_COPY_SQL("batch_event", "batch"),
     2,
     {TIMESTAMPTZOID, TIMESTAMPTZOID},
     nullptr,
     InvalidOid,
     CURSOR_OPT_CUSTOM_PLAN},
};

mc::pg::SpiStatement save_state = {
    "UPDATE mc.workflow_state SET watermark = $1, last_run_at = $2, last_handled = $3 "
    "WHERE workflow = 'updateEventsStatus'",
    3,
    {TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID},
    nullptr,
    InvalidOid};

int64 copy_unsafe() {
  DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(kLockClass),
                      Int32GetDatum(kStatusCopyLock));
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  mc::pg::execute_unsafe(&read_state, nullptr, nullptr, false, 1);
  if (SPI_processed != 1) elog(ERROR, "mc.workflow_state has no updateEventsStatus row");
  bool isnull;
  TimestampTz watermark =
      DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  TimestampTz horizon =
      DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
  TimestampTz now = GetCurrentTimestamp();
  Datum copy_args[2] = {TimestampTzGetDatum(watermark), TimestampTzGetDatum(now)};
  int64 copied = 0;
  for (mc::pg::SpiStatement& copy : copy_statuses) {
    mc::pg::execute_unsafe(&copy, copy_args, nullptr, false, 0);
    copied += static_cast<int64>(SPI_processed);
  }
  // The watermark only moves forward.
  if (horizon < watermark) horizon = watermark;
  Datum save_args[3] = {TimestampTzGetDatum(horizon), TimestampTzGetDatum(now),
                        Int64GetDatum(copied)};
  mc::pg::execute_unsafe(&save_state, save_args, nullptr, false, 0);
  SPI_finish();
  return copied;
}

}  // namespace

MC_FUNCTION(mc_update_events_status) {
  return Int64GetDatum(mc::pg::call([] { return copy_unsafe(); }));
}
