#include "pg/spi_statement.hpp"

extern "C" {
#include "catalog/namespace.h"
}

namespace mc::pg {

int execute_unsafe(SpiStatement* st, Datum* values, const char* nulls, bool read_only, long count) {
  Oid schema = get_namespace_oid("mc", false);
  if (st->plan == nullptr || st->schema != schema) {
    if (st->plan) SPI_freeplan(st->plan);
    st->plan = nullptr;
    SPIPlanPtr plan = SPI_prepare_cursor(st->sql, st->nargs, st->argtypes, st->cursor_options);
    if (plan == nullptr)
      elog(ERROR, "preparing \"%s\" failed: %s", st->sql, SPI_result_code_string(SPI_result));
    SPI_keepplan(plan);
    st->plan = plan;
    st->schema = schema;
  }
  int rc = SPI_execute_plan(st->plan, values, nulls, read_only, count);
  if (rc < 0) elog(ERROR, "\"%s\" failed: %s", st->sql, SPI_result_code_string(rc));
  return rc;
}

}  // namespace mc::pg
