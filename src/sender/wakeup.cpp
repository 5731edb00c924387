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
}

namespace mc::sender {
namespace {

constexpr int kMaxPids = 64;
int wake_pids[kMaxPids];
int wake_count = 0;
bool wake_loaded = false;  // this transaction read the pids already

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
  wake_loaded = true;
}

void request_wake() {
  if (!wake_loaded) pg::call([] { load_pids_unsafe(); });
}

}  // namespace

void on_xact_event(XactEvent event) {
  switch (event) {
    case XACT_EVENT_COMMIT:
      for (int i = 0; i < wake_count; ++i) {
        // BackendPidGetProc takes ProcArrayLock shared and SetLatch only writes: neither fails.
        PGPROC* proc = BackendPidGetProc(wake_pids[i]);
        if (proc) SetLatch(&proc->procLatch);
      }
      [[fallthrough]];
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PREPARE:
    case XACT_EVENT_PARALLEL_ABORT:
      wake_count = 0;
      wake_loaded = false;
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
