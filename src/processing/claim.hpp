// Claiming: which due events of a queue this call processes.
//
// A queue is split into core::kWorkQueues work queues (blocks of 128
// consecutive ids: (id >> 7) & 7). A call takes work queues with
// transaction-level locks that only the extension's code can take (backend/work_locks.hpp;
// try-lock: a busy work queue is skipped, never waited on; keys in core/work_queues.hpp) and reads
// with a snapshot taken after the lock, so two workers never see the same event and never wait on
// each other's rows. The locks last until the batch's transaction ends, with everything the batch
// wrote.
#pragma once

#include <vector>

#include "intake/queue.hpp"
#include "processing/claimed_event.hpp"

namespace mc::processing {

// Up to max_events due events of `queue`, gathered from as many free work queues as it takes.
// Needs an open SPI connection; the events' jsonb live until SPI_finish. May throw PgError.
std::vector<ClaimedEvent> claim_events(intake::Queue queue, TimestampTz now, int max_events);

}  // namespace mc::processing
