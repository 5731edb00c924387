#include "settings/settings_cache.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "commands/trigger.h"
}

namespace mc::settings {
namespace {

Settings cached;
bool valid = false;
Oid settings_relid = InvalidOid;

void on_relcache_invalidation(Datum, Oid relid) {
  if (relid == InvalidOid || relid == settings_relid) valid = false;
}

// Reads the one row of mc.settings. No C++ objects: runs inside pg::call.
void load_unsafe(Settings* out, Oid* relid) {
  Oid nsp = get_namespace_oid("mc", true);
  *relid = OidIsValid(nsp) ? get_relname_relid("settings", nsp) : InvalidOid;
  if (!OidIsValid(*relid)) return;  // the extension is being created or dropped: defaults
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  int rc = SPI_execute("SELECT instance_id::int4, max_ctx_bytes FROM mc.settings", true, 1);
  if (rc != SPI_OK_SELECT)
    elog(ERROR, "reading mc.settings failed: %s", SPI_result_code_string(rc));
  if (SPI_processed == 1) {
    bool isnull;
    Datum id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (!isnull) out->instance_id = DatumGetInt32(id);
    Datum max_ctx = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
    if (!isnull) out->max_ctx_bytes = static_cast<std::size_t>(DatumGetInt32(max_ctx));
  }
  SPI_finish();
}

}  // namespace

const Settings& current() {
  if (!valid) {
    Settings fresh;
    Oid relid = InvalidOid;
    pg::call([&] { load_unsafe(&fresh, &relid); });
    cached = fresh;
    settings_relid = relid;
    valid = OidIsValid(relid);
  }
  return cached;
}

void register_invalidation() {
  // Cannot error: appends to a fixed-size array PostgreSQL checks at startup of the library.
  CacheRegisterRelcacheCallback(on_relcache_invalidation, 0);
}

}  // namespace mc::settings

// Statement trigger on mc.settings: every backend drops its cached copy at its next command.
MC_FUNCTION(mc_settings_changed) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw mc::pg::SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                           "mc._settings_changed() must be called as a trigger");
  auto* trigger_data = reinterpret_cast<TriggerData*>(fcinfo->context);
  Oid relid = RelationGetRelid(trigger_data->tg_relation);
  mc::pg::call([relid] { CacheInvalidateRelcacheByRelid(relid); });
  return PointerGetDatum(nullptr);
}
