// mc.settings, cached per backend. A statement trigger on the table sends a relcache
// invalidation for it (a transactional wake-up every backend receives, as pg_cron does
// for its job table), and the callback registered in _PG_init drops the cached copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace mc::settings {

struct Settings {
  int instance_id = 0;
  std::size_t max_ctx_bytes = 65536;
  int max_processing_attempts = 5;
  std::int64_t retry_backoff_micros = 10 * 1000000LL;
  int processing_batch_size = 1000;
  std::optional<std::string> enrichment_function;  // a quoted, qualified name (regproc::text)
};

// The current settings; loads them (through SPI) when the cache is empty. May throw PgError.
const Settings& current();

// Drops the cached copy when mc.settings changes (InvalidOid: every relation). Called by the
// backend's one relcache callback (src/backend/callbacks.cpp); cannot fail.
void on_relcache_invalidation(unsigned int relid);

}  // namespace mc::settings
