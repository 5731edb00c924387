// Columns of values gathered in C++ and passed to one set-oriented statement as arrays
// (unnest($1::int8[], $2::text[], ...)): a batch is written with one statement, not one per row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pg/postgres.hpp"

namespace mc::pg {

// One array parameter. Text values are kept as std::string until to_array runs.
class DatumColumn {
 public:
  enum class Kind { Int8, Int4, Bool, Text, TimestampTz, Jsonb };
  explicit DatumColumn(Kind kind) : kind_(kind) {}

  void add_int8(int64 value) { push(Int64GetDatum(value)); }
  void add_int4(int32 value) { push(Int32GetDatum(value)); }
  void add_bool(bool value) { push(BoolGetDatum(value)); }
  void add_timestamptz(int64 value) { push(Int64GetDatum(value)); }
  // A by-reference datum (e.g. a jsonb) that stays valid until to_array.
  void add_datum(Datum value) { push(value); }
  void add_text(std::string_view value) {
    texts_.emplace_back(value);
    push(0);
  }
  void add_null() {
    values_.push_back(0);
    nulls_.push_back(true);
    texts_.emplace_back();
  }
  size_t size() const { return values_.size(); }
  void clear() {
    values_.clear();
    nulls_.clear();
    texts_.clear();
  }
  // The PostgreSQL array (palloc'd in the current memory context). May throw PgError.
  Datum to_array() const;
  Oid array_type() const;

 private:
  void push(Datum d) {
    values_.push_back(d);
    nulls_.push_back(false);
    if (kind_ != Kind::Text) texts_.emplace_back();
  }
  Kind kind_;
  std::vector<Datum> values_;
  std::vector<bool> nulls_;
  std::vector<std::string> texts_;
};

}  // namespace mc::pg
