// mc._launch_sender(slot): registers one sender worker as a dynamic background worker (no
// shared_preload_libraries needed; the model of worker_spi_launch). Type `mc sender` (what
// pg_stat_activity.backend_type shows), restarted 5 s after a FATAL exit (pg_terminate_backend);
// an exit 0 (stopped, or a duplicate) unregisters it for good. It connects to this database
// as the current user (mc._ensure_senders is SECURITY DEFINER: the extension's owner).
#include "pg/guard.hpp"
#include "pg/postgres.hpp"

#include <cstdio>
#include <cstring>

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
}

namespace {

struct LaunchResult {
  bool registered;
  pid_t pid;
};

LaunchResult launch_unsafe(int32 slot) {
  BackgroundWorker worker;
  std::memset(&worker, 0, sizeof worker);
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = 5;
  std::snprintf(worker.bgw_library_name, BGW_MAXLEN, "message_center");
  std::snprintf(worker.bgw_function_name, BGW_MAXLEN, "mc_sender_main");
  std::snprintf(worker.bgw_name, BGW_MAXLEN, "mc sender %d", static_cast<int>(slot));
  std::snprintf(worker.bgw_type, BGW_MAXLEN, "mc sender");
  worker.bgw_main_arg = Int32GetDatum(slot);
  Oid ids[2] = {MyDatabaseId, GetUserId()};
  std::memcpy(worker.bgw_extra, ids, sizeof ids);
  // The launching transaction (which may have just inserted the slot): the worker waits for
  // its end before attaching. Without it a worker that started faster than this transaction
  // committed did not see its slot and exited for good (seen on a loaded machine).
  TransactionId xid = GetTopTransactionIdIfAny();
  std::memcpy(worker.bgw_extra + sizeof ids, &xid, sizeof xid);
  worker.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle;
  if (!RegisterDynamicBackgroundWorker(&worker, &handle)) return {false, 0};
  pid_t pid = 0;
  BgwHandleStatus status = WaitForBackgroundWorkerStartup(handle, &pid);
  if (status != BGWH_STARTED) pid = 0;
  return {true, pid};
}

}  // namespace

MC_FUNCTION(mc_launch_sender) {
  int32 slot = PG_GETARG_INT32(0);
  if (slot < 1 || slot > 64)
    throw mc::pg::SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "slot must be between 1 and 64");
  LaunchResult r = mc::pg::call([&] { return launch_unsafe(slot); });
  if (!r.registered || r.pid == 0) {
    mc::pg::call([&] {
      ereport(WARNING,
              (errmsg("could not start sender worker %d: %s", slot,
                      r.registered ? "it exited at start" : "out of background worker slots"),
               errhint("Raise max_worker_processes.")));
    });
    PG_RETURN_NULL();
  }
  PG_RETURN_INT32(r.pid);
}
