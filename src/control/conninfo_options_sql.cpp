// mc._conninfo_options(conninfo): the options of a connection string, each marked as a
// foreign-server or a user-mapping option; mc.register_execution_instance creates both from it.
#include <stdexcept>
#include <string>

#include "control/conninfo.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/builtins.h"
}

namespace {

void put_row_unsafe(ReturnSetInfo* rsinfo, const char* keyword, const char* value,
                    bool user_mapping) {
  Datum values[3] = {CStringGetTextDatum(keyword), CStringGetTextDatum(value),
                     BoolGetDatum(user_mapping)};
  bool nulls[3] = {false, false, false};
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
  for (const auto& option : split.server)
    mc::pg::call(
        [&] { put_row_unsafe(rsinfo, option.first.c_str(), option.second.c_str(), false); });
  for (const auto& option : split.user_mapping)
    mc::pg::call(
        [&] { put_row_unsafe(rsinfo, option.first.c_str(), option.second.c_str(), true); });
  return (Datum)0;
}
