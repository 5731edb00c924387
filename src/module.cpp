// Library entry: the magic block and the one-time set-up of a backend that loads us.
#include "backend/callbacks.hpp"
#include "pg/postgres.hpp"

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_init(void);
}

void _PG_init(void) { mc::backend::register_callbacks(); }
