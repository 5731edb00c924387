#include "processing/quarantine.hpp"

#include <string>
#include <unordered_set>

#include "pg/datum_columns.hpp"
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace mc::processing {
namespace {

pg::Statement lookup(
    "SELECT q.channel::text AS channel, q.address FROM mc.quarantine q "
    "JOIN ROWS FROM (pg_catalog.unnest($channels::text[]), pg_catalog.unnest($addresses::text[])) "
    "AS a (channel, address) "
    "ON q.channel OPERATOR(pg_catalog.=) a.channel::mc.channel "
    "AND q.address OPERATOR(pg_catalog.=) a.address",
    {{"channels", TEXTARRAYOID}, {"addresses", TEXTARRAYOID}}, {"channel", "address"});

std::string key(std::string_view channel, std::string_view address) {
  std::string k(channel);
  k += '\n';
  k += address;
  return k;
}

}  // namespace

std::vector<bool> quarantined(
    const std::vector<std::pair<core::Channel, std::string_view>>& addresses) {
  std::vector<bool> result(addresses.size(), false);
  if (addresses.empty()) return result;
  pg::DatumColumn channels(pg::DatumColumn::Kind::Text), values(pg::DatumColumn::Kind::Text);
  for (const auto& [channel, address] : addresses) {
    channels.add_text(core::channel_name(channel));
    values.add_text(address);
  }
  pg::Statement::Args args(lookup);
  args.set_array("channels", channels).set_array("addresses", values);
  uint64 rows = lookup.run(args);
  if (rows == 0) return result;
  const auto channel_column = lookup.column("channel"), address_column = lookup.column("address");
  std::unordered_set<std::string> hits;
  for (uint64 r = 0; r < rows; ++r) {
    const char* channel = nullptr;
    const char* address = nullptr;
    pg::call([&] {
      channel = lookup.text_unsafe(r, channel_column);
      address = lookup.text_unsafe(r, address_column);
    });
    hits.insert(key(channel, address));
  }
  for (size_t i = 0; i < addresses.size(); ++i)
    result[i] = hits.count(key(core::channel_name(addresses[i].first), addresses[i].second)) > 0;
  return result;
}

}  // namespace mc::processing
