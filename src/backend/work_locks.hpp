// The locks the workflows take on their work: a work queue of rt/batch processing (try: a busy
// one is skipped, never waited on) and the status copy's turn (waited on). Transaction-scoped.
//
// Not advisory locks: any login may take pg_advisory_lock(k) with the same keys and stall the
// workflows (processing then finds every work queue busy, forever). These are object locks on
// schema mc with a sub-id (LOCKTAG_OBJECT: database, pg_namespace, mc's oid, key + 1): no SQL
// function takes such a lock, and PostgreSQL itself locks a schema only with sub-id 0, so only
// this code can hold them. They cost what an advisory lock costs (no xid, no WAL, no row), and
// show in pg_locks as locktype "object".
#pragma once

#include <cstdint>

namespace mc::backend {

// Tries to lock the work queue `key` (core::work_queue_lock_key); false if another transaction
// holds it.
bool try_lock_work(std::int32_t key);
// Locks `key`, waiting for the transaction that holds it.
void lock_work(std::int32_t key);

}  // namespace mc::backend
