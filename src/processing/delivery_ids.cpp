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

// Inserts the missing deliveries, then reads all of them. A concurrent worker creating the
// same delivery makes ON CONFLICT wait for it; its row is then read by the second statement.
pg::Statement ensure(
    "INSERT INTO mc.delivery (published_template_id, template_name, month, channel) "
    "SELECT p.id, p.name, pg_catalog.date_trunc('month', $now)::pg_catalog.date, p.channel "
    "FROM mc.published_template p WHERE p.id OPERATOR(pg_catalog.=) ANY ($published_ids) "
    "ON CONFLICT (template_name, month) DO NOTHING",
    {{"published_ids", INT8ARRAYOID}, {"now", TIMESTAMPTZOID}});
pg::Statement read(
    "SELECT p.id AS published_id, d.id AS delivery_id FROM mc.published_template p "
    "JOIN mc.delivery d ON d.template_name OPERATOR(pg_catalog.=) p.name "
    "AND d.month OPERATOR(pg_catalog.=) pg_catalog.date_trunc('month', $now)::pg_catalog.date "
    "WHERE p.id OPERATOR(pg_catalog.=) ANY ($published_ids)",
    {{"published_ids", INT8ARRAYOID}, {"now", TIMESTAMPTZOID}}, {"published_id", "delivery_id"});

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
  pg::Statement::Args read_args(read);
  read_args.set_array("published_ids", missing).set_timestamptz("now", now);
  // Read first: publication creates this month's and next month's deliveries, so the insert
  // (which would wait for a concurrent creator) is only needed past that.
  uint64 rows = read.run(read_args);
  if (rows < static_cast<uint64>(missing.size())) {
    pg::Statement::Args ensure_args(ensure);
    ensure_args.set_array("published_ids", missing).set_timestamptz("now", now);
    ensure.run(ensure_args);
    rows = read.run(read_args);
  }
  const auto published_column = read.column("published_id"),
             delivery_column = read.column("delivery_id");
  for (uint64 r = 0; r < rows; ++r) {
    int64 published = 0, delivery = 0;
    pg::call([&] {
      bool isnull;
      published = DatumGetInt64(read.value_unsafe(r, published_column, &isnull));
      delivery = DatumGetInt64(read.value_unsafe(r, delivery_column, &isnull));
    });
    result[published] = delivery;
    cache[{published, month}] = delivery;
  }
  return result;
}

void forget_deliveries() { cache.clear(); }

}  // namespace mc::processing
