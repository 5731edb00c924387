// A prepared SPI statement kept for the life of the backend, prepared again when the
// extension is re-created (its schema's oid changes). Call between SPI_connect/SPI_finish.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace mc::pg {

struct SpiStatement {
  const char* sql;
  int nargs;
  Oid argtypes[16];
  SPIPlanPtr plan;
  Oid schema;  // oid of schema mc when prepared
  // CURSOR_OPT_* flags for SPI_prepare_cursor; 0 lets the plan cache choose.
  int cursor_options;
};

// Executes st with values/nulls (' ' or 'n'); returns the SPI result code. Runs inside call().
int execute_unsafe(SpiStatement* st, Datum* values, const char* nulls, bool read_only, long count);

}  // namespace mc::pg
