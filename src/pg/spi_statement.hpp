// A prepared SPI statement that owns everything about itself: its SQL text, its parameters
// (name and type; values bound by name for each run) and the result columns it reads (by name,
// their attribute numbers looked up once per prepared plan). Nothing outside the statement
// counts parameter positions or result columns, so a reordered SELECT list or a new parameter
// cannot silently shift another one.
//
// The SQL names its parameters `$name` (a `$` then a letter); the statement numbers them in
// the order they are declared when it first runs. Plans are kept for the life of the backend and
// prepared again when the extension is re-created (schema mc gets a new oid). Call between
// SPI_connect and SPI_finish.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pg/postgres.hpp"

extern "C" {
#include "access/htup_details.h"
#include "executor/spi.h"
}

namespace mc::pg {

class DatumColumn;

struct ParamSpec {
  const char* name;
  Oid type;
};

class Statement {
 public:
  // A declared parameter or result column, found by name (cheap: look it up once per run, not
  // once per row).
  struct Param {
    int index;
  };
  struct Column {
    int index;
  };

  // keep_plan = false: executed without preparing (SQL built at run time, used once).
  Statement(std::string sql, std::vector<ParamSpec> params, std::vector<const char*> columns = {},
            int cursor_options = 0, bool keep_plan = true);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // The values of one run. Every parameter must be bound (a NULL too) before the run.
  class Args {
   public:
    explicit Args(const Statement& statement);
    Args& set_int8(const char* name, int64 value);
    Args& set_int4(const char* name, int32 value);
    Args& set_timestamptz(const char* name, TimestampTz value);
    Args& set_text(const char* name, std::string_view value);      // may throw PgError
    Args& set_array(const char* name, const DatumColumn& column);  // may throw PgError
    Args& set_null(const char* name);
    // By position found with Statement::param, for the *_unsafe code that fills rows in a loop
    // (plain writes: safe inside pg::call).
    void set_unsafe(Param p, Datum value) {
      values_[p.index] = value;
      nulls_[p.index] = ' ';
      bound_[p.index] = true;
    }
    void set_null_unsafe(Param p) {
      values_[p.index] = 0;
      nulls_[p.index] = 'n';
      bound_[p.index] = true;
    }
    // Throws std::logic_error naming the first parameter left unbound.
    void check_complete() const;
    const Statement& statement() const { return *statement_; }
    const Datum* values() const { return values_.data(); }
    const char* nulls() const { return nulls_.data(); }

   private:
    Param checked(const char* name, Oid type) const;
    const Statement* statement_;
    std::vector<Datum> values_;
    std::vector<char> nulls_;
    std::vector<bool> bound_;
  };

  // Throw std::logic_error for a name the statement does not declare.
  Param param(const char* name) const;
  Column column(const char* name) const;

  // Runs the statement; returns the number of rows processed (SPI_processed). The result stays
  // readable through this statement until SPI_finish. May throw PgError.
  uint64 run(const Args& args, bool read_only = false, long count = 0);
  // The same, for code already inside pg::call; run() did the checks (or the caller did:
  // prepare() then Args::check_complete()).
  uint64 run_unsafe(const Args& args, bool read_only, long count);
  // Turns $name into $n; the C++ half of preparation, done before the first run_unsafe.
  void prepare();

  // The result of the last run, read inside pg::call.
  uint64 rows() const { return rows_; }
  int last_rc() const { return rc_; }  // the SPI result code of the last run
  Datum value_unsafe(uint64 row, Column c, bool* isnull) const {
    return SPI_getbinval(table_->vals[row], table_->tupdesc, attnums_[c.index], isnull);
  }
  Oid type_unsafe(Column c) const { return SPI_gettypeid(table_->tupdesc, attnums_[c.index]); }
  // The column's text output (palloc'd in the SPI context), or nullptr for NULL.
  char* text_unsafe(uint64 row, Column c) const {
    return SPI_getvalue(table_->vals[row], table_->tupdesc, attnums_[c.index]);
  }
  // Every column of a row in one pass (SPI_getbinval per column walks the tuple from its start
  // each time once a varlena precedes it), into arrays of the result's width; `at` then reads
  // one of them.
  int width_unsafe() const { return table_->tupdesc->natts; }
  void deform_unsafe(uint64 row, Datum* values, bool* isnull) const {
    heap_deform_tuple(table_->vals[row], table_->tupdesc, values, isnull);
  }
  int at(Column c) const { return attnums_[c.index] - 1; }

  const std::string& sql() const { return sql_; }

 private:
  void resolve_columns_unsafe();

  std::string source_;  // as written, with $name
  std::string sql_;     // with $1..$n, once prepared
  std::vector<ParamSpec> params_;
  std::vector<Oid> types_;
  std::vector<const char*> columns_;
  std::vector<int> attnums_;  // of columns_ in the result, for the plan `attnums_for_`
  int cursor_options_;
  bool keep_plan_;
  bool translated_ = false;
  SPIPlanPtr plan_ = nullptr;
  Oid schema_ = InvalidOid;            // oid of schema mc when prepared
  const void* attnums_for_ = nullptr;  // the plan attnums_ were looked up for
  SPITupleTable* table_ = nullptr;
  uint64 rows_ = 0;
  int rc_ = 0;
};

}  // namespace mc::pg
