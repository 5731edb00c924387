#include "processing/delivery_ids.hpp"

#include <map>
#include <utility>

#include "pg/datum_columns.hpp"
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
}

namespace mc::processing {
namespace {

// (published template id, year * 12 + month) -> delivery id.
std::map<std::pair<int64, int>, int64> cache;

void on_xact_event(XactEvent event, void*) {
  if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) cache.clear();
}

// Inserts the missing deliveries, then reads all of them. A concurrent worker creating the
// same delivery makes ON CONFLICT wait for it; its row is then read by the second statement.
pg::SpiStatement ensure = {
    "INSERT INTO mc.delivery (published_template_id, template_name, month, channel) "
    "SELECT p.id, p.name, date_trunc('month', $2)::date, p.channel "
    "FROM mc.published_template p WHERE p.id = ANY ($1) "
    "ON CONFLICT (template_name, month) DO NOTHING",
    2,
    {INT8ARRAYOID, TIMESTAMPTZOID},
    nullptr,
    InvalidOid};
pg::SpiStatement read = {
    "SELECT p.id, d.id FROM mc.published_template p "
    "JOIN mc.delivery d ON d.template_name = p.name AND d.month = date_trunc('month', $2)::date "
    "WHERE p.id = ANY ($1)",
    2,
    {INT8ARRAYOID, TIMESTAMPTZOID},
    nullptr,
    InvalidOid};

int month_key_unsafe(TimestampTz now) {
  struct pg_tm tm;
  fsec_t fsec;
  int tz;
  if (timestamp2tm(now, &tz, &tm, &fsec, nullptr, nullptr) != 0)
    ereport(ERROR,
            (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
  return tm.tm_year * 12 + tm.tm_mon;
}

}  // namespace

std::unordered_map<int64, int64> deliveries_for(const std::vector<int64>& published_ids,
                                                TimestampTz now) {
  int month = pg::call([&] { return month_key_unsafe(now); });
  std::unordered_map<int64, int64> result;
  pg::DatumColumn missing(pg::DatumColumn::Kind::Int8);
  for (int64 id : published_ids) {
    auto found = cache.find({id, month});
    if (found != cache.end())
      result[id] = found->second;
    else
      missing.add_int8(id);
  }
  if (missing.size() == 0) return result;
  Datum args[2] = {missing.to_array(), TimestampTzGetDatum(now)};
  uint64 rows = 0;
  // Read first: publication creates this month's and next month's deliveries, so the insert
  // (which would wait for a concurrent creator) is only needed past that.
  pg::call([&] {
    pg::execute_unsafe(&read, args, nullptr, false, 0);
    rows = SPI_processed;
    if (rows < static_cast<uint64>(missing.size())) {
      pg::execute_unsafe(&ensure, args, nullptr, false, 0);
      pg::execute_unsafe(&read, args, nullptr, false, 0);
      rows = SPI_processed;
    }
  });
  for (uint64 r = 0; r < rows; ++r) {
    int64 published = 0, delivery = 0;
    pg::call([&] {
      bool isnull;
      published =
          DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
      delivery =
          DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
    });
    result[published] = delivery;
    cache[{published, month}] = delivery;
  }
  return result;
}

void register_delivery_cache_reset() {
  // Cannot error: appends to a list PostgreSQL allocates in TopMemoryContext.
  RegisterXactCallback(on_xact_event, nullptr);
}

}  // namespace mc::processing
