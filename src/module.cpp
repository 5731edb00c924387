// Library entry: the magic block and the one-time set-up of a backend that loads us.
#include "pg/postgres.hpp"
#include "intake/event_writer.hpp"
#include "processing/delivery_ids.hpp"
#include "processing/published_templates.hpp"
#include "settings/settings_cache.hpp"

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_init(void);
}

void _PG_init(void) {
  mc::settings::register_invalidation();
  mc::intake::register_table_invalidation();
  mc::processing::register_template_invalidation();
  mc::processing::register_delivery_cache_reset();
}
