#include "pg/datum_columns.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace mc::pg {
namespace {

Oid element_type(DatumColumn::Kind kind) {
  switch (kind) {
    case DatumColumn::Kind::Int8:
      return INT8OID;
    case DatumColumn::Kind::Int4:
      return INT4OID;
    case DatumColumn::Kind::Bool:
      return BOOLOID;
    case DatumColumn::Kind::Text:
      return TEXTOID;
    case DatumColumn::Kind::TimestampTz:
      return TIMESTAMPTZOID;
    case DatumColumn::Kind::Jsonb:
      return JSONBOID;
  }
  return TEXTOID;
}

Datum build_array_unsafe(Oid element, Datum* values, bool* nulls, int n) {
  int16 typlen;
  bool typbyval;
  char typalign;
  get_typlenbyvalalign(element, &typlen, &typbyval, &typalign);
  int dims[1] = {n};
  int lbs[1] = {1};
  return PointerGetDatum(
      construct_md_array(values, nulls, 1, dims, lbs, element, typlen, typbyval, typalign));
}

}  // namespace

Oid DatumColumn::array_type() const {
  switch (kind_) {
    case Kind::Int8:
      return INT8ARRAYOID;
    case Kind::Int4:
      return INT4ARRAYOID;
    case Kind::Bool:
      return BOOLARRAYOID;
    case Kind::Text:
      return TEXTARRAYOID;
    case Kind::TimestampTz:
      return TIMESTAMPTZARRAYOID;
    case Kind::Jsonb:
      return JSONBARRAYOID;
  }
  return TEXTARRAYOID;
}

Datum DatumColumn::to_array() const {
  int n = static_cast<int>(values_.size());
  Oid element = element_type(kind_);
  const std::vector<Datum>& values = values_;
  const std::vector<std::string>& texts = texts_;
  const std::vector<bool>& is_null = nulls_;
  Kind kind = kind_;
  return call([&] {
    Datum* datums = static_cast<Datum*>(palloc(sizeof(Datum) * (n + 1)));
    bool* nulls = static_cast<bool*>(palloc(sizeof(bool) * (n + 1)));
    for (int i = 0; i < n; ++i) {
      nulls[i] = is_null[i];
      if (is_null[i])
        datums[i] = 0;
      else if (kind == Kind::Text)
        datums[i] = PointerGetDatum(
            cstring_to_text_with_len(texts[i].data(), static_cast<int>(texts[i].size())));
      else
        datums[i] = values[i];
    }
    return build_array_unsafe(element, datums, nulls, n);
  });
}

}  // namespace mc::pg
