// mc.update_events_status (updateEventsStatus): copies final delivery outcomes onto events,
// in bulk, from a watermark on the delivery log's last modification.
//
// Exactly once, also when run concurrently or interrupted: runs hold one advisory lock in turn,
// and the copy and the new watermark commit together. The watermark never passes the start of
// the oldest transaction that is still writing: a report it has not committed yet carries a
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
    "SELECT watermark, "
    "least(clock_timestamp(), (SELECT min(xact_start) FROM pg_catalog.pg_stat_activity "
    "                          WHERE backend_xid IS NOT NULL AND pid <> "
    "pg_catalog.pg_backend_pid())) "
    "FROM mc.workflow_state WHERE workflow = 'updateEventsStatus' FOR UPDATE",
    0,
    {},
    nullptr,
    InvalidOid};

// One statement for both queues: the changed delivery-log rows, mapped to event statuses.
mc::pg::SpiStatement copy_statuses = {
    "WITH changed AS ("
    "  SELECT d.event_id, d.queue, d.last_modified_at, "
    "         CASE d.status WHEN 'sent' THEN 'sent' WHEN 'ignored' THEN 'ignored' "
    "                       ELSE 'delivery_failed' END::mc.event_status AS status "
    "  FROM mc.delivery_log d WHERE d.last_modified_at >= $1 AND d.status <> 'pending'), "
    "rt AS (UPDATE mc.rt_event e SET status = c.status, last_modified_at = $2 "
    "       FROM changed c WHERE c.queue = 'rt' AND e.id = c.event_id "
    "         AND e.status IS DISTINCT FROM c.status AND e.processed_at IS NOT NULL "
    "       RETURNING 1), "
    "batch AS (UPDATE mc.batch_event e SET status = c.status, last_modified_at = $2 "
    "          FROM changed c WHERE c.queue = 'batch' AND e.id = c.event_id "
    "            AND e.status IS DISTINCT FROM c.status AND e.processed_at IS NOT NULL "
    "          RETURNING 1) "
    "SELECT (SELECT count(*) FROM rt) + (SELECT count(*) FROM batch)",
    2,
    {TIMESTAMPTZOID, TIMESTAMPTZOID},
    nullptr,
    InvalidOid};

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
  mc::pg::execute_unsafe(&copy_statuses, copy_args, nullptr, false, 0);
  int64 copied =
      DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
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
