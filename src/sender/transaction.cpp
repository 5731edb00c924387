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

// rows_as_text in two calls, so that no C++ object lives inside pg::call (src/pg/guard.hpp):
// point every cell at its bytes (text detoasted, others through their output function, all
// palloc'd in the SPI context, freed at SPI_finish); then copy them out.
struct Cell {
  const char* data;  // nullptr: NULL
  std::size_t len;
};

void cells_unsafe(const pg::Statement& st, const pg::Statement::Column* columns, int cols,
                  uint64 rows, Cell* cells) {
  for (int c = 0; c < cols; ++c) {
    bool is_text = st.type_unsafe(columns[c]) == TEXTOID;
    for (uint64 r = 0; r < rows; ++r) {
      Cell& cell = cells[r * cols + c];
      if (is_text) {
        bool isnull;
        Datum d = st.value_unsafe(r, columns[c], &isnull);
        if (isnull) {
          cell = {nullptr, 0};
        } else {
          text* t = DatumGetTextPP(d);
          cell = {VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)};
        }
      } else {
        char* v = st.text_unsafe(r, columns[c]);
        cell = {v, v ? std::strlen(v) : 0};
      }
    }
  }
}

}  // namespace

std::vector<Row> rows_as_text(const pg::Statement& statement,
                              const std::vector<pg::Statement::Column>& columns) {
  uint64 nrows = statement.rows();
  int ncols = static_cast<int>(columns.size());
  std::vector<Cell> cells(nrows * static_cast<uint64>(ncols));
  if (nrows > 0) {
    Cell* out = cells.data();
    const pg::Statement::Column* cols = columns.data();
    pg::call([&] { cells_unsafe(statement, cols, ncols, nrows, out); });
  }
  std::vector<Row> rows(nrows, Row(ncols));
  for (uint64 r = 0; r < nrows; ++r)
    for (int c = 0; c < ncols; ++c) {
      const Cell& cell = cells[r * ncols + c];
      if (cell.data) rows[r][c].emplace(cell.data, cell.len);
    }
  return rows;
}

std::optional<std::string> first_text(const pg::Statement& statement,
                                      pg::Statement::Column column) {
  if (statement.rows() == 0) return std::nullopt;
  std::vector<Row> rows = rows_as_text(statement, {column});
  return rows[0][0];
}

}  // namespace mc::sender
