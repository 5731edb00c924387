#include "processing/claim_cursor.hpp"

#include <algorithm>

#include "core/work_queues.hpp"

extern "C" {
#include "access/xact.h"
#include "storage/proc.h"
}

namespace mc::processing {
namespace {

// An event committed this long after its due time is still found by the next claim; later
// ones by the next full scan.
constexpr int64 kCommitMarginMicros = 250 * 1000;
// A full scan comes at least every second, and at most once per 100 times its own duration
// (up to 30 s): under a snapshot held for an hour, a full scan reads every event processed
// meanwhile, and would otherwise take a growing share of the time.
constexpr int64 kFullScanMinEveryMicros = 1000 * 1000;
constexpr int64 kFullScanMaxEveryMicros = 30 * 1000 * 1000;
constexpr int64 kFullScanCostFactor = 100;
// Below this, a full scan is cheap: keep reading whole work queues (no delay for anyone). Above
// it (dead entries a held snapshot keeps, or a large batch), start where the last claim ended.
constexpr int64 kCheapFullScanMicros = 2000;

// The local transaction id of this backend's current transaction: in PGPROC itself up to
// PostgreSQL 16, in its virtual transaction id from 17 on.
LocalTransactionId current_lxid() {
#if PG_VERSION_NUM >= 170000
  return MyProc->vxid.lxid;
#else
  return MyProc->lxid;
#endif
}

struct Cursor {
  bool known = false;
  TimestampTz taken_until = 0;  // everything due before this has been taken
  TimestampTz next_full_scan_at = 0;
  bool full_scan_cheap = true;
  LocalTransactionId recorded_in = InvalidLocalTransactionId;
};

Cursor cursors[core::kQueueCount][core::kWorkQueues];

}  // namespace

TimestampTz claim_start(intake::Queue queue, const std::vector<int>& work_queues, TimestampTz now) {
  TimestampTz start = DT_NOEND;
  for (int k : work_queues) {
    const Cursor& c = cursors[static_cast<int>(queue)][k];
    if (!c.known || c.full_scan_cheap || now >= c.next_full_scan_at) return DT_NOBEGIN;
    // Within one transaction, what it wrote itself since (any due time) is visible now.
    if (c.recorded_in == current_lxid()) return DT_NOBEGIN;
    start = std::min(start, c.taken_until - kCommitMarginMicros);
  }
  return start;
}

void claim_done(intake::Queue queue, const std::vector<int>& work_queues, TimestampTz start,
                TimestampTz now, int64 elapsed_micros, bool limited, int last_work_queue,
                TimestampTz last_due) {
  bool full_scan = start == DT_NOBEGIN;
  int64 full_scan_every = std::clamp(elapsed_micros * kFullScanCostFactor, kFullScanMinEveryMicros,
                                     kFullScanMaxEveryMicros);
  for (int k : work_queues) {
    Cursor& c = cursors[static_cast<int>(queue)][k];
    // Rows come in work-queue order: those before the last one were read to the end.
    if (limited && k > last_work_queue) continue;
    if (!full_scan && !c.known) continue;
    c.taken_until = (limited && k == last_work_queue) ? last_due : now;
    if (full_scan) {
      c.next_full_scan_at = now + full_scan_every;
      c.full_scan_cheap = elapsed_micros < kCheapFullScanMicros;
    }
    c.recorded_in = current_lxid();
    c.known = true;
  }
}

void forget_claim_cursors() {
  for (auto& queue : cursors)
    for (auto& c : queue) c.known = false;
}

}  // namespace mc::processing
