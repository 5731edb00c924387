// Every advisory lock the extension takes, and the work queues they partition: one header, so a
// new lock cannot collide with an existing one unnoticed. PG-free (plain integers): the C++ that
// takes the locks (src/processing/claim.cpp, src/status/update_events_status.cpp) passes them to
// pg_try_advisory_xact_lock(int4, int4) / pg_advisory_xact_lock(int4, int4).
//
// No SQL under sql/ takes an advisory lock (as of 0.3.0); sql/install/03_events.sql builds the
// queue index on (id & 7), the work-queue expression the claim statement repeats: both must change
// with kWorkQueues.
#pragma once

#include <cstdint>

namespace mc::core {

// A queue is split into this many work queues by id: work queue = id & (kWorkQueues - 1).
constexpr int kWorkQueues = 8;
static_assert((kWorkQueues & (kWorkQueues - 1)) == 0, "work queues are taken by a bit mask");
constexpr std::int64_t kWorkQueueMask = kWorkQueues - 1;

inline int work_queue_of(std::int64_t event_id) {
  return static_cast<int>(event_id & kWorkQueueMask);
}

// The class (first int4 key) of every advisory lock the extension takes: "mc".
constexpr std::int32_t kAdvisoryLockClass = 0x6d63;

// Second key, work queues: queue * kWorkQueues + work queue (rt: 0..7, batch: 8..15), taken with
// pg_try_advisory_xact_lock by rt/batch processing (a busy work queue is skipped).
constexpr std::int32_t work_queue_lock_key(int queue, int work_queue) {
  return static_cast<std::int32_t>(queue * kWorkQueues + work_queue);
}
constexpr int kQueueCount = 2;  // rt, batch (mc::intake::Queue)

// Second key, mc.update_events_status: runs take it in turn (pg_advisory_xact_lock).
constexpr std::int32_t kStatusCopyLockKey = 100;

static_assert(work_queue_lock_key(kQueueCount - 1, kWorkQueues - 1) < kStatusCopyLockKey,
              "work-queue lock keys must not reach the status copy's");

}  // namespace mc::core
