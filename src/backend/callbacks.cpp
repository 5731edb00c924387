#include "backend/callbacks.hpp"

#include "intake/event_writer.hpp"
#include "intake/own_row_update.hpp"
#include "pg/postgres.hpp"
#include "processing/claim_cursor.hpp"
#include "processing/delivery_ids.hpp"
#include "processing/published_templates.hpp"
#include "sender/wakeup.hpp"
#include "settings/settings_cache.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/inval.h"
}

namespace mc::backend {
namespace {

// A relation's cached description changed (or every one: InvalidOid). Every handler only clears
// flags: none can fail, as a callback must not.
void on_relcache_invalidation(Datum, Oid relid) {
  settings::on_relcache_invalidation(relid);
  intake::on_relcache_invalidation(relid);
  processing::on_template_invalidation(relid);
}

// What a transaction that aborted must not leave behind: deliveries it may have created (rolled
// back, or purged meanwhile) and claim cursors past events it left where they were. A commit
// wakes the sender workers when it wrote messages for them.
void on_xact_event(XactEvent event, void*) {
  sender::on_xact_event(event);
  if (event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT) return;
  processing::forget_deliveries();
  processing::forget_claim_cursors();
  intake::forget_own_row_update();
}

// The same for a subtransaction rolled back (processing retries a failed batch in parts, and a
// deliveries row created in a rolled-back part is gone).
void on_subxact_event(SubXactEvent event, SubTransactionId, SubTransactionId, void*) {
  if (event != SUBXACT_EVENT_ABORT_SUB) return;
  processing::forget_deliveries();
  processing::forget_claim_cursors();
  intake::forget_own_row_update();
}

}  // namespace

void register_callbacks() {
  CacheRegisterRelcacheCallback(on_relcache_invalidation, 0);
  RegisterXactCallback(on_xact_event, nullptr);
  RegisterSubXactCallback(on_subxact_event, nullptr);
}

}  // namespace mc::backend
