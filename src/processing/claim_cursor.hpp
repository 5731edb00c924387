// Where a claim may start reading a work queue's part of the queue index.
//
// Why: a processed event leaves its entry in the queue index until vacuum removes it, and
// vacuum cannot while an older snapshot is open (a long transaction anywhere in the database).
// A claim that always starts at the beginning of its work queue then walks every event
// processed since that snapshot was taken: the scanned size grows with the transaction's age
// (bench/xmin_horizon). So each backend remembers, per work queue, the due time up to which it
// has taken everything, and once a full scan has become slow (2 ms), starts there, less a
// margin for events committed a little after their due time; while full scans are cheap,
// every claim stays one (the real-time path is unchanged). Events due earlier that become visible
// later (a long writing transaction, an event scheduled in the past, a batch that aborted, another
// worker's leftovers) are found by a full scan, every second (less often when full scans get slow),
// and by every claim in a transaction that already claimed (it may have pushed such events itself).
// Skipping only delays an event: it never takes one twice.
#pragma once

#include <vector>

#include "intake/queue.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace mc::processing {

// The lowest due time the claim of these work queues must read (DT_NOBEGIN: all of it).
TimestampTz claim_start(intake::Queue queue, const std::vector<int>& work_queues, TimestampTz now);

// Records a claim that read from `start` up to `now` in `elapsed_micros`: it took everything
// due in the work queues before `last_work_queue`, and up to `last_due` in that one; when not
// `limited` (fewer rows than asked), everything due up to now in all of them.
void claim_done(intake::Queue queue, const std::vector<int>& work_queues, TimestampTz start,
                TimestampTz now, int64 elapsed_micros, bool limited, int last_work_queue,
                TimestampTz last_due);

// Forgets every cursor: the next claims read their work queues whole. Called when a transaction
// aborts (src/backend/callbacks.cpp): a batch that aborted left its events where they were.
void forget_claim_cursors();

}  // namespace mc::processing
