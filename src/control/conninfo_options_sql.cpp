// mc._conninfo_options(conninfo): the options of a connection string, each marked as a
// foreign-server or a user-mapping option; mc.register_execution_instance creates both from it.
#include <stdexcept>
#include <string>

#include "control/conninfo.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
}

namespace {

// The result columns, found by name in the declared result type (RETURNS TABLE (keyword,
// value, user_mapping)); an error names a missing one.
struct ResultColumns {
  int keyword, value, user_mapping;  // 0-based indexes into the result tuple
};

int result_column_unsafe(TupleDesc desc, const char* name) {
  int attnum = SPI_fnumber(desc, name);
  if (attnum <= 0)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                    errmsg("mc._conninfo_options must return a column \"%s\"", name)));
  return attnum - 1;
}

ResultColumns result_columns_unsafe(TupleDesc desc) {
  if (desc->natts != 3)
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("mc._conninfo_options must return (keyword, value, user_mapping)")));
  return {result_column_unsafe(desc, "keyword"), result_column_unsafe(desc, "value"),
          result_column_unsafe(desc, "user_mapping")};
}

void put_row_unsafe(ReturnSetInfo* rsinfo, const ResultColumns& columns, const char* keyword,
                    const char* value, bool user_mapping) {
  Datum values[3];
  bool nulls[3] = {false, false, false};
  values[columns.keyword] = CStringGetTextDatum(keyword);
  values[columns.value] = CStringGetTextDatum(value);
  values[columns.user_mapping] = BoolGetDatum(user_mapping);
  tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

}  // namespace

MC_FUNCTION(mc_conninfo_options) {
  std::string conninfo = mc::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
  mc::control::SplitConninfo split;
  try {
    split = mc::control::split_conninfo(conninfo);
  } catch (const std::invalid_argument& e) {
    throw mc::pg::SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                           std::string("conninfo is not a valid connection string: ") + e.what());
  }
  mc::pg::call([&] { InitMaterializedSRF(fcinfo, 0); });
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  ResultColumns columns = mc::pg::call([&] { return result_columns_unsafe(rsinfo->setDesc); });
  for (const auto& option : split.server)
    mc::pg::call([&] {
      put_row_unsafe(rsinfo, columns, option.first.c_str(), option.second.c_str(), false);
    });
  for (const auto& option : split.user_mapping)
    mc::pg::call([&] {
      put_row_unsafe(rsinfo, columns, option.first.c_str(), option.second.c_str(), true);
    });
  return (Datum)0;
}
