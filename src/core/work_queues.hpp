// Every lock key the workflows take, and the work queues they partition: one header, so a new
// lock cannot collide with an existing one unnoticed. PG-free (plain integers): the C++ that takes
// the locks (src/processing/claim.cpp, src/status/update_events_status.cpp) passes them to
// backend/work_locks.hpp, whose locks no other session can take (0.3.0 used advisory locks with
// these keys, which any login could take and stall the workflows with).
//
// No SQL under sql/ takes such a lock; sql/tables/events.sql builds the
// queue index on ((id >> 7) & 7), the work-queue expression the claim statement repeats
// (src/processing/claim.cpp): both must change with kWorkQueues or kWorkQueueShift, and so must
// the upgrade step that rebuilds the index.
#pragma once

#include <cstdint>

namespace mc::core {

// A queue is split into this many work queues by id, in blocks of 2^kWorkQueueShift consecutive
// ids: work queue = (id >> kWorkQueueShift) & (kWorkQueues - 1). Blocks, not single ids (0.4.0
// used id & 7): consecutive events lie on the same heap pages, so a batch of 1,000 events of one
// work queue reads ~1,000 events' worth of pages, not 8,000 (one page per event at fillfactor 45
// and ~1 kB rows, read from the OS cache once the queue outgrows shared_buffers). 128 ids: a
// block spans several heap pages even for short events, while a burst of real-time events
// still spreads over the work queues (and the workers) within a few hundred events.
constexpr int kWorkQueues = 8;
static_assert((kWorkQueues & (kWorkQueues - 1)) == 0, "work queues are taken by a bit mask");
constexpr std::int64_t kWorkQueueMask = kWorkQueues - 1;
constexpr int kWorkQueueShift = 7;

inline int work_queue_of(std::int64_t event_id) {
  return static_cast<int>((event_id >> kWorkQueueShift) & kWorkQueueMask);
}

// Second key, work queues: queue * kWorkQueues + work queue (rt: 0..7, batch: 8..15), taken with
// try_lock_work by rt/batch processing (a busy work queue is skipped).
constexpr std::int32_t work_queue_lock_key(int queue, int work_queue) {
  return static_cast<std::int32_t>(queue * kWorkQueues + work_queue);
}
constexpr int kQueueCount = 2;  // rt, batch (mc::intake::Queue)

// Second key, mc.update_events_status: runs take it in turn (lock_work).
constexpr std::int32_t kStatusCopyLockKey = 100;

static_assert(work_queue_lock_key(kQueueCount - 1, kWorkQueues - 1) < kStatusCopyLockKey,
              "work-queue lock keys must not reach the status copy's");

}  // namespace mc::core
