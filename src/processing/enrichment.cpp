#include "processing/enrichment.hpp"

#include <unordered_map>

#include "pg/datum_columns.hpp"
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace mc::processing {

void enrich(const std::optional<std::string>& function, std::vector<ClaimedEvent>& events) {
  if (!function || events.empty()) return;
  pg::DatumColumn ids(pg::DatumColumn::Kind::Int8);
  for (const auto& e : events) ids.add_int8(e.id);
  // The function is a setting (a regproc, quoted and qualified): not prepared, run once.
  pg::Statement st("SELECT event_id, data FROM " + *function + "($event_ids)",
                   {{"event_ids", INT8ARRAYOID}}, {"event_id", "data"}, 0, false);
  pg::Statement::Args args(st);
  args.set_array("event_ids", ids);
  st.prepare();
  args.check_complete();
  const char* name = function->c_str();
  uint64 rows = pg::call([&] {
    uint64 n = st.run_unsafe(args, false, 0);
    if (st.last_rc() != SPI_OK_SELECT)
      ereport(ERROR,
              (errcode(ERRCODE_DATATYPE_MISMATCH),
               errmsg("enrichment function %s must return (event_id bigint, data jsonb)", name)));
    return n;
  });
  const auto event_id = st.column("event_id"), data = st.column("data");
  std::unordered_map<int64, Jsonb*> found;
  for (uint64 r = 0; r < rows; ++r) {
    int64 id = 0;
    Jsonb* value = pg::call([&]() -> Jsonb* {
      bool id_null, data_null;
      id = DatumGetInt64(st.value_unsafe(r, event_id, &id_null));
      Datum d = st.value_unsafe(r, data, &data_null);
      return id_null || data_null ? nullptr : DatumGetJsonbP(d);
    });
    if (value) found[id] = value;
  }
  for (auto& e : events) {
    auto hit = found.find(e.id);
    if (hit != found.end()) e.enrichment = hit->second;
  }
}

}  // namespace mc::processing
