// Writes validated events into a queue table.
//
// Events without an idempotency key take the path COPY takes: tuples built in place,
// table_multi_insert, index insertion, the table's constraints checked as INSERT would. That
// path is only taken when the table is exactly as the extension made it (no triggers, no row
// security, no added columns); otherwise, and for keyed events (which need ON CONFLICT),
// events go through a prepared INSERT over SPI.
#pragma once

#include "intake/event_record.hpp"
#include "intake/queue.hpp"

namespace mc::intake {

// ids[i] receives the id of records[i]: a new id, or the first event's id when the record's
// idempotency key was used before. Throws PgError/SqlError; writes nothing on error (the
// caller's transaction aborts).
void write_events(Queue queue, const EventRecord* records, int count, int64* ids);

// Drops the cached table information (and column numbers) of a queue table that changed
// (InvalidOid: every relation). Called by the backend's one relcache callback; cannot fail.
void on_relcache_invalidation(Oid relid);

}  // namespace mc::intake
