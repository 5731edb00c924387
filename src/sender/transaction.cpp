#include "sender/transaction.hpp"

#include "pg/guard.hpp"

#include <cstring>
#include <stdexcept>

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
}

namespace mc::sender {

void begin_transaction(const char* activity) {
  pg::call([&] {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, activity);
  });
}

void commit_transaction() {
  pg::call([] {
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    // A background worker's table statistics reach autovacuum only when flushed (pg_net #254).
    pgstat_report_stat(false);
    pgstat_report_activity(STATE_IDLE, nullptr);
  });
}

void abort_transaction(const char* what) {
  pg::call([&] {
    ereport(WARNING, (errmsg("mc sender: %s", what)));
    AbortCurrentTransaction();  // nothing to do when no transaction is open
    pgstat_report_activity(STATE_IDLE, nullptr);
  });
}

namespace {

// The worker runs a handful of fixed statements thousands of times: each is prepared once and
// kept (SPI_keepplan; the plan cache revalidates it when what it uses changes), instead of
// parsed, analysed and planned on every call as SPI_execute_with_args does. Keyed by the text.
struct KeptPlan {
  const char* sql;
  int nargs;
  SPIPlanPtr plan;
};
KeptPlan kept[16];
int nkept = 0;

SPIPlanPtr kept_plan_unsafe(const char* sql, int n) {
  for (int i = 0; i < nkept; ++i)
    if (kept[i].nargs == n && std::strcmp(kept[i].sql, sql) == 0) return kept[i].plan;
  Oid types[8];
  for (int i = 0; i < n; ++i) types[i] = TEXTOID;
  SPIPlanPtr plan = SPI_prepare(sql, n, types);
  if (plan == nullptr)
    elog(ERROR, "mc sender: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
  if (nkept == static_cast<int>(sizeof kept / sizeof kept[0])) return plan;  // not kept
  if (SPI_keepplan(plan) != 0) elog(ERROR, "mc sender: SPI_keepplan failed");
  kept[nkept++] = KeptPlan{sql, n, plan};
  return plan;
}

int execute_unsafe(const char* sql, int n, const char* const* values, long limit) {
  Datum datums[8];
  char nulls[8];
  for (int i = 0; i < n; ++i) {
    datums[i] = values[i] ? CStringGetTextDatum(values[i]) : (Datum)0;
    nulls[i] = values[i] ? ' ' : 'n';
  }
  int rc = SPI_execute_plan(kept_plan_unsafe(sql, n), datums, nulls, false, limit);
  if (rc < 0) elog(ERROR, "mc sender: SPI_execute_plan failed: %s", SPI_result_code_string(rc));
  return rc;
}

struct QueryResult {
  char* text;  // palloc'd in the caller's context; nullptr: NULL or no row
};

QueryResult query_text_unsafe(const char* sql, int n, const char* const* values,
                              MemoryContext out) {
  execute_unsafe(sql, n, values, 1);
  QueryResult r{nullptr};
  if (SPI_processed > 0) {
    char* v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    if (v) r.text = MemoryContextStrdup(out, v);
  }
  SPI_freetuptable(SPI_tuptable);
  return r;
}

// query_rows in three calls, so that no C++ object lives inside pg::call (src/pg/guard.hpp):
// run the statement; point every cell at its (detoasted, palloc'd) bytes; free the result.
struct Cell {
  const char* data;  // nullptr: NULL
  std::size_t len;
};

void run_rows_unsafe(const char* sql, int n, const char* const* values, uint64* rows, int* cols) {
  execute_unsafe(sql, n, values, 0);
  *rows = SPI_processed;
  *cols = SPI_tuptable ? SPI_tuptable->tupdesc->natts : 0;
}

void cells_unsafe(uint64 rows, int cols, Cell* cells) {
  TupleDesc desc = SPI_tuptable->tupdesc;
  for (uint64 r = 0; r < rows; ++r) {
    HeapTuple tuple = SPI_tuptable->vals[r];
    for (int c = 0; c < cols; ++c) {
      Cell& cell = cells[r * cols + c];
      bool isnull;
      Datum d = SPI_getbinval(tuple, desc, c + 1, &isnull);
      if (isnull) {
        cell = {nullptr, 0};
      } else if (TupleDescAttr(desc, c)->atttypid == TEXTOID) {
        text* t = DatumGetTextPP(d);
        cell = {VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)};
      } else {
        char* v = SPI_getvalue(tuple, desc, c + 1);
        cell = {v, std::strlen(v)};
      }
    }
  }
}

}  // namespace

std::vector<Row> query_rows(const char* sql,
                            const std::vector<std::optional<std::string>>& params) {
  const char* values[8];
  int n = static_cast<int>(params.size());
  if (n > 8) throw std::logic_error("query_rows: at most 8 parameters");
  for (int i = 0; i < n; ++i) values[i] = params[i] ? params[i]->c_str() : nullptr;
  uint64 nrows = 0;
  int ncols = 0;
  pg::call([&] { run_rows_unsafe(sql, n, values, &nrows, &ncols); });
  std::vector<Cell> cells(nrows * static_cast<uint64>(ncols));
  Cell* out = cells.data();
  pg::call([&] { cells_unsafe(nrows, ncols, out); });
  std::vector<Row> rows(nrows, Row(ncols));
  for (uint64 r = 0; r < nrows; ++r)
    for (int c = 0; c < ncols; ++c) {
      const Cell& cell = cells[r * ncols + c];
      if (cell.data) rows[r][c].emplace(cell.data, cell.len);
    }
  // The cells point into the current (SPI) memory context, freed at SPI_finish.
  pg::call([] { SPI_freetuptable(SPI_tuptable); });
  return rows;
}

std::optional<std::string> query_text(const char* sql,
                                      const std::vector<std::optional<std::string>>& params) {
  const char* values[8];
  int n = static_cast<int>(params.size());
  if (n > 8) throw std::logic_error("query_text: at most 8 parameters");
  for (int i = 0; i < n; ++i) values[i] = params[i] ? params[i]->c_str() : nullptr;
  MemoryContext out = TopMemoryContext;
  QueryResult r = pg::call([&] { return query_text_unsafe(sql, n, values, out); });
  if (!r.text) return std::nullopt;
  std::string s(r.text);
  pfree(r.text);  // cannot fail: a chunk of TopMemoryContext
  return s;
}

}  // namespace mc::sender
