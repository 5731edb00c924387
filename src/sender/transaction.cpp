#include "sender/transaction.hpp"

#include "pg/guard.hpp"

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

struct QueryResult {
  char* text;  // palloc'd in the caller's context; nullptr: NULL or no row
};

QueryResult query_text_unsafe(const char* sql, int n, const char* const* values,
                              MemoryContext out) {
  Oid types[8];
  Datum datums[8];
  char nulls[8];
  for (int i = 0; i < n; ++i) {
    types[i] = TEXTOID;
    datums[i] = values[i] ? CStringGetTextDatum(values[i]) : (Datum)0;
    nulls[i] = values[i] ? ' ' : 'n';
  }
  int rc = SPI_execute_with_args(sql, n, types, datums, nulls, false, 1);
  if (rc < 0)
    elog(ERROR, "mc sender: SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
  QueryResult r{nullptr};
  if (SPI_processed > 0) {
    char* v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    if (v) r.text = MemoryContextStrdup(out, v);
  }
  SPI_freetuptable(SPI_tuptable);
  return r;
}

}  // namespace

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
