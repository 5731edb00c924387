#include "processing/published_templates.hpp"

#include <unordered_map>

#include "core/channel.hpp"
#include "pg/guard.hpp"
#include "processing/message_renderer.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
}

namespace mc::processing {
namespace {

struct Cache {
  bool valid = false;
  TemplateSet sets[2];
};
Cache cache;
Oid watched[2] = {InvalidOid, InvalidOid};  // mc.published_template, mc.partial

void on_relcache_invalidation(Datum, Oid relid) {
  if (relid == InvalidOid || relid == watched[0] || relid == watched[1]) cache.valid = false;
}

std::optional<std::string> opt(const char* s) {
  if (s == nullptr) return std::nullopt;
  return std::string(s);
}

}  // namespace

const TemplateSet& published_templates(intake::Queue queue) {
  if (cache.valid) return cache.sets[static_cast<int>(queue)];
  // Load both queues and every partial in two queries.
  uint64 template_rows = 0, partial_rows = 0;
  SPITupleTable* templates_table = nullptr;
  SPITupleTable* partials_table = nullptr;
  pg::call([&] {
    Oid nsp = get_namespace_oid("mc", false);
    watched[0] = get_relname_relid("published_template", nsp);
    watched[1] = get_relname_relid("partial", nsp);
    int rc = SPI_execute(
        "SELECT id, name, queue, event_type, channel::text, language, sender, subject, body_html, "
        "body_text, push_data, webhook_url, "
        "(extract(epoch FROM published_at) * 1000000)::int8, paused::text "
        "FROM mc.published_template ORDER BY id",
        false, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "reading mc.published_template failed");
    template_rows = SPI_processed;
    templates_table = SPI_tuptable;
    // A result table stays valid until SPI_finish: the next query does not free it.
    rc = SPI_execute("SELECT name, body FROM mc.partial", false, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "reading mc.partial failed");
    partial_rows = SPI_processed;
    partials_table = SPI_tuptable;
  });
  auto partials = std::make_shared<tmpl::MapPartialResolver>();
  for (uint64 r = 0; r < partial_rows; ++r) {
    const char* name = nullptr;
    const char* body = nullptr;
    pg::call([&] {
      name = SPI_getvalue(partials_table->vals[r], partials_table->tupdesc, 1);
      body = SPI_getvalue(partials_table->vals[r], partials_table->tupdesc, 2);
    });
    partials->add(name, body);
  }
  Cache fresh;
  for (uint64 r = 0; r < template_rows; ++r) {
    const char* v[14];
    pg::call([&] {
      for (int c = 0; c < 14; ++c)
        v[c] = SPI_getvalue(templates_table->vals[r], templates_table->tupdesc, c + 1);
    });
    PublishedTemplate t;
    t.id = std::stoll(v[0]);
    t.name = v[1];
    int queue_index = std::string(v[2]) == "rt" ? 0 : 1;
    t.event_type = v[3];
    t.channel = static_cast<int>(core::parse_channel(v[4]).value_or(core::Channel::Email));
    t.language = opt(v[5]);
    PartSources sources{opt(v[6]), opt(v[7]), opt(v[8]), opt(v[9]), opt(v[10]), opt(v[11])};
    t.published_at = std::stoll(v[12]);
    t.paused = std::string(v[13]) == "true";
    t.parts = compile_parts(sources, partials);
    fresh.sets[queue_index].templates.push_back(std::move(t));
  }
  for (TemplateSet& set : fresh.sets)
    for (const PublishedTemplate& t : set.templates) {
      std::optional<std::string_view> language;
      if (t.language) language = *t.language;
      set.candidates.push_back({t.id, t.event_type, t.channel, language, t.published_at, t.paused});
    }
  // Moving a vector keeps its elements in place: the candidates' views stay valid.
  cache.sets[0] = std::move(fresh.sets[0]);
  cache.sets[1] = std::move(fresh.sets[1]);
  cache.valid = true;
  return cache.sets[static_cast<int>(queue)];
}

void register_template_invalidation() {
  // Cannot error: appends to a fixed-size array PostgreSQL sized for loaded libraries.
  CacheRegisterRelcacheCallback(on_relcache_invalidation, 0);
}

}  // namespace mc::processing
