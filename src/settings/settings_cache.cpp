#include "settings/settings_cache.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
}

namespace mc::settings {
namespace {

Settings cached;
bool valid = false;
Oid settings_relid = InvalidOid;

void on_relcache_invalidation(Datum, Oid relid) {
  if (relid == InvalidOid || relid == settings_relid) valid = false;
}

// Reads the one row of mc.settings into PODs. No C++ objects: runs inside pg::call.
struct RawSettings {
  int instance_id, max_ctx_bytes, max_attempts, batch_size;
  int64 backoff_micros;
  char* enrichment_function;  // palloc'd or null
  bool found;
};

void load_unsafe(RawSettings* out, Oid* relid) {
  Oid nsp = get_namespace_oid("mc", true);
  *relid = OidIsValid(nsp) ? get_relname_relid("settings", nsp) : InvalidOid;
  if (!OidIsValid(*relid)) return;  // the extension is being created or dropped: defaults
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  int rc = SPI_execute(
      "SELECT instance_id::int4, max_ctx_bytes, max_processing_attempts, processing_batch_size, "
      "(extract(epoch FROM retry_backoff) * 1000000)::int8, enrichment_function::text "
      "FROM mc.settings",
      true, 1);
  if (rc != SPI_OK_SELECT)
    elog(ERROR, "reading mc.settings failed: %s", SPI_result_code_string(rc));
  if (SPI_processed == 1) {
    HeapTuple row = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    bool isnull;
    out->found = true;
    out->instance_id = DatumGetInt32(SPI_getbinval(row, desc, 1, &isnull));
    out->max_ctx_bytes = DatumGetInt32(SPI_getbinval(row, desc, 2, &isnull));
    out->max_attempts = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
    out->batch_size = DatumGetInt32(SPI_getbinval(row, desc, 4, &isnull));
    out->backoff_micros = DatumGetInt64(SPI_getbinval(row, desc, 5, &isnull));
    char* function = SPI_getvalue(row, desc, 6);
    // Copied out of the SPI context, which SPI_finish frees.
    out->enrichment_function = function ? MemoryContextStrdup(TopMemoryContext, function) : nullptr;
  }
  SPI_finish();
}

}  // namespace

const Settings& current() {
  if (!valid) {
    RawSettings raw{};
    Oid relid = InvalidOid;
    pg::call([&] { load_unsafe(&raw, &relid); });
    Settings fresh;
    if (raw.found) {
      fresh.instance_id = raw.instance_id;
      fresh.max_ctx_bytes = static_cast<std::size_t>(raw.max_ctx_bytes);
      fresh.max_processing_attempts = raw.max_attempts;
      fresh.processing_batch_size = raw.batch_size;
      fresh.retry_backoff_micros = raw.backoff_micros;
      if (raw.enrichment_function) {
        fresh.enrichment_function = std::string(raw.enrichment_function);
        pfree(raw.enrichment_function);  // cannot fail: a chunk of TopMemoryContext
      }
    }
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
