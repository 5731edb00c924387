#include "processing/published_templates.hpp"

#include <unordered_map>

#include "core/channel.hpp"
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"
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
  uint64 invalidations = 0;
  TemplateSet sets[2];
};
Cache cache;
Oid watched[2] = {InvalidOid, InvalidOid};  // mc.published_template, mc.partial

// Every published template of both queues (published_at is only compared: any clock will do).
pg::Statement read_templates(
    "SELECT id, name, queue, event_type, channel::text AS channel, language, sender, subject, "
    "body_html, body_text, push_data, webhook_url, published_at, paused, "
    // (0.5.0's column, read so that this library also serves a 0.4.0 schema until its
    // ALTER EXTENSION UPDATE.)
    "pg_catalog.to_jsonb(p.*) OPERATOR(pg_catalog.->>) 'unsubscribe_url' AS unsubscribe_url "
    "FROM mc.published_template p ORDER BY id",
    {},
    {"id", "name", "queue", "event_type", "channel", "language", "sender", "subject", "body_html",
     "body_text", "push_data", "webhook_url", "published_at", "paused", "unsubscribe_url"});
// The one-click unsubscribe key (owner only: processing runs as the workflows' owner).
pg::Statement read_unsubscribe_key(
    "SELECT pg_catalog.encode(key, 'hex') AS key FROM mc.unsubscribe_key", {}, {"key"});

std::string from_hex(const char* hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; };
  for (; hex[0] && hex[1]; hex += 2) out += static_cast<char>(nibble(hex[0]) << 4 | nibble(hex[1]));
  return out;
}
pg::Statement read_partials("SELECT name, body FROM mc.partial", {}, {"name", "body"});

std::optional<std::string> opt(const char* s) {
  if (s == nullptr) return std::nullopt;
  return std::string(s);
}

}  // namespace

const TemplateSet& published_templates(intake::Queue queue) {
  if (cache.valid) return cache.sets[static_cast<int>(queue)];
  // An invalidation that arrives while the templates load (each query processes pending ones)
  // may concern rows read before it: the result serves this call, the next one loads again.
  uint64 before = cache.invalidations;
  // Load both queues and every partial in two queries. Each statement keeps its own result
  // table (valid until SPI_finish), so the second query does not free the first one's rows.
  pg::call([&] {
    Oid nsp = get_namespace_oid("mc", false);
    watched[0] = get_relname_relid("published_template", nsp);
    watched[1] = get_relname_relid("partial", nsp);
  });
  uint64 template_rows = read_templates.run(pg::Statement::Args(read_templates));
  uint64 partial_rows = read_partials.run(pg::Statement::Args(read_partials));
  auto partials = std::make_shared<tmpl::MapPartialResolver>();
  const auto partial_name = read_partials.column("name"),
             partial_body = read_partials.column("body");
  for (uint64 r = 0; r < partial_rows; ++r) {
    const char* name = nullptr;
    const char* body = nullptr;
    pg::call([&] {
      name = read_partials.text_unsafe(r, partial_name);
      body = read_partials.text_unsafe(r, partial_body);
    });
    partials->add(name, body);
  }
  const auto id = read_templates.column("id"), name = read_templates.column("name"),
             queue_column = read_templates.column("queue"),
             event_type = read_templates.column("event_type"),
             channel = read_templates.column("channel"),
             language = read_templates.column("language"), sender = read_templates.column("sender"),
             subject = read_templates.column("subject"),
             body_html = read_templates.column("body_html"),
             body_text = read_templates.column("body_text"),
             push_data = read_templates.column("push_data"),
             webhook_url = read_templates.column("webhook_url"),
             published_at = read_templates.column("published_at"),
             paused = read_templates.column("paused"),
             unsubscribe_url = read_templates.column("unsubscribe_url");
  bool needs_unsubscribe_key = false;
  Cache fresh;
  for (uint64 r = 0; r < template_rows; ++r) {
    struct {
      int64 id;
      TimestampTz published_at;
      bool paused;
      const char *name, *queue, *event_type, *channel, *language, *sender, *subject, *body_html,
          *body_text, *push_data, *webhook_url, *unsubscribe_url;
    } row;
    pg::call([&] {
      bool isnull;
      row.id = DatumGetInt64(read_templates.value_unsafe(r, id, &isnull));
      row.published_at = DatumGetTimestampTz(read_templates.value_unsafe(r, published_at, &isnull));
      row.paused = DatumGetBool(read_templates.value_unsafe(r, paused, &isnull));
      row.name = read_templates.text_unsafe(r, name);
      row.queue = read_templates.text_unsafe(r, queue_column);
      row.event_type = read_templates.text_unsafe(r, event_type);
      row.channel = read_templates.text_unsafe(r, channel);
      row.language = read_templates.text_unsafe(r, language);
      row.sender = read_templates.text_unsafe(r, sender);
      row.subject = read_templates.text_unsafe(r, subject);
      row.body_html = read_templates.text_unsafe(r, body_html);
      row.body_text = read_templates.text_unsafe(r, body_text);
      row.push_data = read_templates.text_unsafe(r, push_data);
      row.webhook_url = read_templates.text_unsafe(r, webhook_url);
      row.unsubscribe_url = read_templates.text_unsafe(r, unsubscribe_url);
    });
    if (row.unsubscribe_url) needs_unsubscribe_key = true;
    PublishedTemplate t;
    t.id = row.id;
    t.name = row.name;
    int queue_index =
        static_cast<int>(intake::parse_queue(row.queue).value_or(intake::Queue::Batch));
    t.event_type = row.event_type;
    t.channel = static_cast<int>(core::parse_channel(row.channel).value_or(core::Channel::Email));
    t.language = opt(row.language);
    PartSources sources{opt(row.sender),         opt(row.subject),   opt(row.body_html),
                        opt(row.body_text),      opt(row.push_data), opt(row.webhook_url),
                        opt(row.unsubscribe_url)};
    t.published_at = row.published_at;
    t.paused = row.paused;
    t.parts = compile_parts(sources, partials);
    fresh.sets[queue_index].templates.push_back(std::move(t));
  }
  for (TemplateSet& set : fresh.sets)
    for (const PublishedTemplate& t : set.templates) {
      std::optional<std::string_view> language;
      if (t.language) language = *t.language;
      set.candidates.push_back({t.id, t.event_type, t.channel, language, t.published_at, t.paused});
    }
  if (needs_unsubscribe_key &&
      read_unsubscribe_key.run(pg::Statement::Args(read_unsubscribe_key)) > 0) {
    const char* hex = nullptr;
    const auto key_column = read_unsubscribe_key.column("key");
    pg::call([&] { hex = read_unsubscribe_key.text_unsafe(0, key_column); });
    if (hex) fresh.sets[0].unsubscribe_key = fresh.sets[1].unsubscribe_key = from_hex(hex);
  }
  // Moving a vector keeps its elements in place: the candidates' views stay valid.
  cache.sets[0] = std::move(fresh.sets[0]);
  cache.sets[1] = std::move(fresh.sets[1]);
  cache.valid = cache.invalidations == before;
  return cache.sets[static_cast<int>(queue)];
}

void on_template_invalidation(Oid relid) {
  if (relid == InvalidOid || relid == watched[0] || relid == watched[1] ||
      !OidIsValid(watched[0])) {  // (first load: which tables is not known yet)
    cache.valid = false;
    ++cache.invalidations;
  }
}

}  // namespace mc::processing
