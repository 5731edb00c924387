// mc._invalidate_cache(): a statement trigger on the tables whose content backends cache
// (settings, published templates, partials). It sends a relcache invalidation for its table:
// transactional (sent at commit), received by every backend before its next command, and
// caught by the one relcache callback registered in _PG_init (backend/callbacks.cpp).
#include "pg/guard.hpp"

extern "C" {
#include "commands/trigger.h"
#include "utils/inval.h"
#include "utils/rel.h"
}

MC_FUNCTION(mc_invalidate_cache) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw mc::pg::SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                           "mc._invalidate_cache() must be called as a trigger");
  auto* trigger_data = reinterpret_cast<TriggerData*>(fcinfo->context);
  Oid relid = RelationGetRelid(trigger_data->tg_relation);
  mc::pg::call([relid] { CacheInvalidateRelcacheByRelid(relid); });
  return PointerGetDatum(nullptr);
}
