#include "sender/wakeup.hpp"

#include "pg/guard.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "commands/trigger.h"
#include "executor/spi.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/timestamp.h"
}

namespace mc::sender {
namespace {

constexpr int kMaxPids = 64;
// The workers' pids are remembered across transactions for this long. Reading them (an SPI
// query of mc.sender_worker through a SECURITY DEFINER function) was 15 % of the real-time
// loop's time at 10,000 events/s (bench/latency, perf), paid by every small batch. A worker
// started or restarted meanwhile is not woken by this backend until then; it claims when it
// starts and at least every second anyway (worker.cpp, kClaimEveryMs), so nothing waits longer
// than that. A remembered pid that has gone names no process, or (reused) one whose latch is
// set for nothing: a spurious wake-up, which every latch wait tolerates.
constexpr long kPidCacheMs = 500;
int wake_pids[kMaxPids];
int wake_count = 0;
TimestampTz loaded_at = 0;    // when wake_pids were read; 0: never
bool wake_requested = false;  // this transaction inserted messages: wake at commit

void load_pids_unsafe() {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  int rc = SPI_execute("SELECT mc._sender_pids()", true, 1);
  if (rc != SPI_OK_SELECT) elog(ERROR, "mc._sender_pids() failed: %s", SPI_result_code_string(rc));
  wake_count = 0;
  if (SPI_processed == 1) {
    bool isnull;
    Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (!isnull) {
      ArrayType* a = DatumGetArrayTypeP(d);
      int n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
      const int32* v = reinterpret_cast<const int32*>(ARR_DATA_PTR(a));
      for (int i = 0; i < n && wake_count < kMaxPids; ++i) wake_pids[wake_count++] = v[i];
    }
  }
  SPI_finish();
  loaded_at = GetCurrentTimestamp();
}

void request_wake() {
  if (wake_requested) return;
  if (loaded_at == 0 ||
      TimestampDifferenceExceeds(loaded_at, GetCurrentTimestamp(), static_cast<int>(kPidCacheMs)))
    pg::call([] { load_pids_unsafe(); });
  wake_requested = true;
}

}  // namespace

void on_xact_event(XactEvent event) {
  switch (event) {
    case XACT_EVENT_COMMIT:
      for (int i = 0; wake_requested && i < wake_count; ++i) {
        // BackendPidGetProc takes ProcArrayLock shared and SetLatch only writes: neither fails.
        PGPROC* proc = BackendPidGetProc(wake_pids[i]);
        if (proc) SetLatch(&proc->procLatch);
      }
      [[fallthrough]];
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PREPARE:
    case XACT_EVENT_PARALLEL_ABORT:
      wake_requested = false;
      break;
    default:
      break;
  }
}

}  // namespace mc::sender

// mc._wake_senders(): wake every sender worker when this transaction commits.
MC_FUNCTION(mc_wake_senders) {
  mc::sender::request_wake();
  PG_RETURN_VOID();
}

// Statement trigger AFTER INSERT ON mc.delivery_log: new messages wake the workers at commit.
MC_FUNCTION(mc_sender_wake_trigger) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw mc::pg::SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                           "mc._sender_wake_trigger() must be called as a trigger");
  mc::sender::request_wake();
  return PointerGetDatum(nullptr);
}
