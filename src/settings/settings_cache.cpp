#include "settings/settings_cache.hpp"

#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"

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
// Invalidations of mc.settings (or of everything) seen so far: a load during which one arrived
// (its query processes pending invalidations) may have read the row it replaced, so its result
// is used for this call and loaded again on the next.
uint64 invalidations = 0;

pg::Statement read_settings(
    "SELECT instance_id::int4 AS instance_id, max_ctx_bytes, max_processing_attempts, "
    "processing_batch_size, (pg_catalog.date_part('epoch', retry_backoff) OPERATOR(pg_catalog.*) "
    "1000000)::pg_catalog.int8 AS "
    "retry_backoff_micros, "
    // The enrichment function by its OID, written schema-qualified (never resolved on a search
    // path, where a function of the same name could be put in front of it).
    "(SELECT pg_catalog.format('%I.%I', n.nspname, p.proname) FROM pg_catalog.pg_proc p "
    "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace "
    "WHERE p.oid OPERATOR(pg_catalog.=) s.enrichment_function::pg_catalog.oid) "
    "AS enrichment_function "
    "FROM mc.settings s",
    {},
    {"instance_id", "max_ctx_bytes", "max_processing_attempts", "processing_batch_size",
     "retry_backoff_micros", "enrichment_function"});

// The one row of mc.settings; defaults while the extension is being created or dropped.
Settings load(Oid* relid) {
  Settings fresh;
  *relid = pg::call([] {
    Oid nsp = get_namespace_oid("mc", true);
    return OidIsValid(nsp) ? get_relname_relid("settings", nsp) : InvalidOid;
  });
  if (!OidIsValid(*relid)) return fresh;
  pg::call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  if (read_settings.run(pg::Statement::Args(read_settings), true, 1) == 1) {
    const auto instance_id = read_settings.column("instance_id"),
               max_ctx_bytes = read_settings.column("max_ctx_bytes"),
               max_attempts = read_settings.column("max_processing_attempts"),
               batch_size = read_settings.column("processing_batch_size"),
               backoff = read_settings.column("retry_backoff_micros"),
               enrichment = read_settings.column("enrichment_function");
    struct {
      int32 instance_id, max_ctx_bytes, max_attempts, batch_size;
      int64 backoff_micros;
      const char* enrichment_function;  // in the SPI context: copied before SPI_finish
    } raw;
    pg::call([&] {
      bool isnull;
      raw.instance_id = DatumGetInt32(read_settings.value_unsafe(0, instance_id, &isnull));
      raw.max_ctx_bytes = DatumGetInt32(read_settings.value_unsafe(0, max_ctx_bytes, &isnull));
      raw.max_attempts = DatumGetInt32(read_settings.value_unsafe(0, max_attempts, &isnull));
      raw.batch_size = DatumGetInt32(read_settings.value_unsafe(0, batch_size, &isnull));
      raw.backoff_micros = DatumGetInt64(read_settings.value_unsafe(0, backoff, &isnull));
      raw.enrichment_function = read_settings.text_unsafe(0, enrichment);
    });
    fresh.instance_id = raw.instance_id;
    fresh.max_ctx_bytes = static_cast<std::size_t>(raw.max_ctx_bytes);
    fresh.max_processing_attempts = raw.max_attempts;
    fresh.processing_batch_size = raw.batch_size;
    fresh.retry_backoff_micros = raw.backoff_micros;
    if (raw.enrichment_function) fresh.enrichment_function = std::string(raw.enrichment_function);
  }
  pg::call([] { SPI_finish(); });
  return fresh;
}

}  // namespace

const Settings& current() {
  if (!valid) {
    uint64 before = invalidations;
    Oid relid = InvalidOid;
    Settings fresh = load(&relid);
    cached = fresh;
    settings_relid = relid;
    valid = OidIsValid(relid) && invalidations == before;
  }
  return cached;
}

void on_relcache_invalidation(Oid relid) {
  if (relid == InvalidOid || relid == settings_relid || !OidIsValid(settings_relid)) {
    valid = false;
    ++invalidations;
  }
}

}  // namespace mc::settings
