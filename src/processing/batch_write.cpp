#include "processing/batch_write.hpp"

#include <string>
#include <unordered_map>

#include "core/channel.hpp"
#include "pg/datum_columns.hpp"
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"
#include "pg/subtransaction.hpp"
#include "intake/own_row_update.hpp"
#include "core/processing_decision.hpp"
#include "processing/delivery_ids.hpp"
#include "processing/event_update.hpp"
#include "processing/log_insert.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/elog.h"
}

namespace mc::processing {
namespace {

using intake::Queue;
using Kind = pg::DatumColumn::Kind;

// The delivery-log rows of a batch when the direct path (log_insert.hpp) cannot take them: one
// array per column, bound by name. The second form
// also writes unsubscribe_url (0.5.0): used only when a message has one, so that this library
// also serves a 0.4.0 schema until its ALTER EXTENSION UPDATE.
std::string insert_logs_sql(bool unsubscribe) {
  std::string u = unsubscribe ? "true" : "false";
  return std::string(
             "INSERT INTO mc.delivery_log (event_id, status, channel, delivery_id, queue, address, "
             "sender, subject, body_html, body_text, push_data, webhook_url, failure_reason, "
             "created_at, last_modified_at") +
         (unsubscribe ? ", unsubscribe_url" : "") +
         ") "
         "SELECT u.event_id, u.status::mc.delivery_status, u.channel::mc.channel, u.delivery_id, "
         "$queue, u.address, u.sender, u.subject, u.body_html, u.body_text, u.push_data, "
         "u.webhook_url, u.failure_reason, $now, $now" +
         (unsubscribe ? ", u.unsubscribe_url" : "") +
         " FROM ROWS FROM (pg_catalog.unnest($event_ids::int8[]), "
         "pg_catalog.unnest($statuses::text[]), "
         "pg_catalog.unnest($channels::text[]), pg_catalog.unnest($delivery_ids::int8[]), "
         "pg_catalog.unnest($addresses::text[]), pg_catalog.unnest($senders::text[]), "
         "pg_catalog.unnest($subjects::text[]), pg_catalog.unnest($bodies_html::text[]), "
         "pg_catalog.unnest($bodies_text::text[]), pg_catalog.unnest($push_data::text[]), "
         "pg_catalog.unnest($webhook_urls::text[]), pg_catalog.unnest($failure_reasons::text[]), "
         "pg_catalog.unnest($unsubscribe_urls::text[])) "
         "AS u (event_id, status, channel, delivery_id, address, sender, subject, body_html, "
         "body_text, push_data, webhook_url, failure_reason, unsubscribe_url)";
}
const std::vector<pg::ParamSpec> kInsertLogParams = {{"event_ids", INT8ARRAYOID},
                                                     {"statuses", TEXTARRAYOID},
                                                     {"channels", TEXTARRAYOID},
                                                     {"delivery_ids", INT8ARRAYOID},
                                                     {"addresses", TEXTARRAYOID},
                                                     {"senders", TEXTARRAYOID},
                                                     {"subjects", TEXTARRAYOID},
                                                     {"bodies_html", TEXTARRAYOID},
                                                     {"bodies_text", TEXTARRAYOID},
                                                     {"push_data", TEXTARRAYOID},
                                                     {"webhook_urls", TEXTARRAYOID},
                                                     {"failure_reasons", TEXTARRAYOID},
                                                     {"unsubscribe_urls", TEXTARRAYOID},
                                                     {"queue", TEXTOID},
                                                     {"now", TIMESTAMPTZOID}};
pg::Statement insert_logs(insert_logs_sql(false), kInsertLogParams);
pg::Statement insert_logs_unsubscribe(insert_logs_sql(true), kInsertLogParams);

struct LogRows {
  pg::DatumColumn event_ids{Kind::Int8}, statuses{Kind::Text}, channels{Kind::Text},
      delivery_ids{Kind::Int8}, addresses{Kind::Text}, senders{Kind::Text}, subjects{Kind::Text},
      bodies_html{Kind::Text}, bodies_text{Kind::Text}, push_data{Kind::Text},
      webhook_urls{Kind::Text}, failure_reasons{Kind::Text}, unsubscribe_urls{Kind::Text};

  void add(const LogRow& log) {
    auto optional = [](pg::DatumColumn& column, const std::optional<std::string_view>& part) {
      if (part)
        column.add_text(*part);
      else
        column.add_null();
    };
    event_ids.add_int8(log.event_id);
    statuses.add_text(core::log_status_label(log.status));
    channels.add_text(core::channel_name(log.channel));
    delivery_ids.add_int8(log.delivery_id);
    addresses.add_text(log.address);
    optional(senders, log.sender);
    optional(subjects, log.subject);
    optional(bodies_html, log.body_html);
    optional(bodies_text, log.body_text);
    optional(push_data, log.push_data);
    optional(webhook_urls, log.webhook_url);
    optional(failure_reasons, log.failure_reason);
    optional(unsubscribe_urls, log.unsubscribe_url);
  }

  void bind(pg::Statement::Args& args) const {
    args.set_array("event_ids", event_ids)
        .set_array("statuses", statuses)
        .set_array("channels", channels)
        .set_array("delivery_ids", delivery_ids)
        .set_array("addresses", addresses)
        .set_array("senders", senders)
        .set_array("subjects", subjects)
        .set_array("bodies_html", bodies_html)
        .set_array("bodies_text", bodies_text)
        .set_array("push_data", push_data)
        .set_array("webhook_urls", webhook_urls)
        .set_array("failure_reasons", failure_reasons)
        .set_array("unsubscribe_urls", unsubscribe_urls);
  }
};

// Every event of the batch moved on.
pg::Statement make_update(Queue queue) {
  return pg::Statement(
      std::string("UPDATE mc.") + intake::table_of(queue) +
          " e SET status = u.status::mc.event_status, template_id = u.template_id, "
          "delivery_id = u.delivery_id, error_count = u.error_count, last_error = u.last_error, "
          "process_requested_at = u.retry_at, processing_at = $now, "
          "processed_at = u.processed_at, last_modified_at = $now "
          "FROM ROWS FROM (pg_catalog.unnest($ids::int8[]), pg_catalog.unnest($statuses::text[]), "
          "pg_catalog.unnest($template_ids::int8[]), "
          "pg_catalog.unnest($delivery_ids::int8[]), pg_catalog.unnest($error_counts::int4[]), "
          "pg_catalog.unnest($last_errors::text[]), "
          "pg_catalog.unnest($retry_at::timestamptz[]), "
          "pg_catalog.unnest($processed_at::timestamptz[])) "
          "AS u (id, status, template_id, delivery_id, error_count, last_error, retry_at, "
          "processed_at) "
          "WHERE e.id OPERATOR(pg_catalog.=) u.id",
      {{"ids", INT8ARRAYOID},
       {"statuses", TEXTARRAYOID},
       {"template_ids", INT8ARRAYOID},
       {"delivery_ids", INT8ARRAYOID},
       {"error_counts", INT4ARRAYOID},
       {"last_errors", TEXTARRAYOID},
       {"retry_at", TIMESTAMPTZARRAYOID},
       {"processed_at", TIMESTAMPTZARRAYOID},
       {"now", TIMESTAMPTZOID}});
}
pg::Statement update_events[2] = {make_update(Queue::Rt), make_update(Queue::Batch)};

void add_optional_time(pg::DatumColumn& column, const std::optional<std::int64_t>& value) {
  if (value)
    column.add_timestamptz(*value);
  else
    column.add_null();
}

void add_optional_int8(pg::DatumColumn& column, const std::optional<std::int64_t>& value) {
  if (value)
    column.add_int8(*value);
  else
    column.add_null();
}

// The events of a batch the direct update (event_update.hpp) left: one array per column.
struct EventRows {
  pg::DatumColumn ids{Kind::Int8}, statuses{Kind::Text}, template_ids{Kind::Int8},
      delivery_ids{Kind::Int8}, error_counts{Kind::Int4}, last_errors{Kind::Text},
      retry_at{Kind::TimestampTz}, processed_at{Kind::TimestampTz};

  void add(const EventChange& ch) {
    ids.add_int8(ch.id);
    statuses.add_text(core::event_status_label(ch.status));
    error_counts.add_int4(ch.error_count);
    if (ch.last_error)
      last_errors.add_text(*ch.last_error);
    else
      last_errors.add_null();
    add_optional_int8(template_ids, ch.template_id);
    add_optional_int8(delivery_ids, ch.delivery_id);
    add_optional_time(retry_at, ch.retry_at);
    add_optional_time(processed_at, ch.processed_at);
  }

  void bind(pg::Statement::Args& args) const {
    args.set_array("ids", ids)
        .set_array("statuses", statuses)
        .set_array("template_ids", template_ids)
        .set_array("delivery_ids", delivery_ids)
        .set_array("error_counts", error_counts)
        .set_array("last_errors", last_errors)
        .set_array("retry_at", retry_at)
        .set_array("processed_at", processed_at);
  }
};

bool goes_to_delivery(const core::Decision& d) {
  return d.status == core::EventStatus::PendingDelivery;
}

// Writes the events `which` (indexes into events/results): their delivery-log rows, then the
// events' new state. May throw PgError or SqlError.
void write_rows(Queue queue, TimestampTz now, const TemplateSet& templates,
                const std::vector<ClaimedEvent>& events, const std::vector<EventResult>& results,
                const std::vector<size_t>& which) {
  std::vector<int64> routed_templates;
  for (size_t i : which)
    if (goes_to_delivery(results[i].decision))
      routed_templates.push_back(templates.templates[results[i].template_index].id);
  std::unordered_map<int64, int64> deliveries = deliveries_for(routed_templates, now);

  std::vector<LogRow> logs;
  bool any_unsubscribe = false;
  std::vector<EventChange> changes;
  changes.reserve(which.size());
  auto optional_part = [](const std::string& part) -> std::optional<std::string_view> {
    if (part.empty()) return std::nullopt;  // an empty part is stored as NULL
    return std::string_view(part);
  };
  for (size_t i : which) {
    const ClaimedEvent& e = events[i];
    const core::Decision& d = results[i].decision;
    EventChange ch;
    ch.id = e.id;
    ch.tid = e.tid;
    ch.status = d.status;
    ch.error_count = d.error_count;
    if (d.last_error) ch.last_error = std::string_view(*d.last_error);
    ch.retry_at = d.retry_at;
    ch.processed_at = d.processed_at;
    if (!goes_to_delivery(d)) {
      changes.push_back(ch);
      continue;
    }
    const PublishedTemplate& t = templates.templates[results[i].template_index];
    auto found = deliveries.find(t.id);
    if (found == deliveries.end())  // unpublished since the batch routed it
      throw pg::SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                         "template \"" + t.name + "\" has no delivery: unpublished meanwhile?");
    int64 delivery = found->second;
    ch.template_id = t.id;
    ch.delivery_id = delivery;
    changes.push_back(ch);
    const RenderedMessage& m = results[i].message;
    LogRow log;
    log.event_id = e.id;
    log.status = d.log_status;
    log.channel = static_cast<core::Channel>(e.channel);
    log.delivery_id = delivery;
    log.address = d.address;
    log.sender = optional_part(m.sender);
    log.subject = optional_part(m.subject);
    log.body_html = optional_part(m.body_html);
    log.body_text = optional_part(m.body_text);
    log.push_data = optional_part(m.push_data);
    log.webhook_url = optional_part(m.webhook_url);
    if (d.failure_reason) log.failure_reason = std::string_view(*d.failure_reason);
    log.unsubscribe_url = optional_part(m.unsubscribe_url);
    if (log.unsubscribe_url) any_unsubscribe = true;
    logs.push_back(log);
  }

  // The direct paths (log_insert.hpp, event_update.hpp); the statements for what they leave.
  if (!logs.empty() && !insert_logs_direct(queue, now, logs)) {
    LogRows columns;
    for (const LogRow& log : logs) columns.add(log);
    pg::Statement& insert = any_unsubscribe ? insert_logs_unsubscribe : insert_logs;
    pg::Statement::Args args(insert);
    columns.bind(args);
    args.set_text("queue", queue == Queue::Rt ? "rt" : "batch").set_timestamptz("now", now);
    insert.run(args);
  }
  std::vector<size_t> left = update_events_direct(queue, now, changes);
  if (left.empty()) return;
  EventRows rows;
  for (size_t k : left) rows.add(changes[k]);
  pg::Statement& update = update_events[static_cast<int>(queue)];
  pg::Statement::Args args(update);
  rows.bind(args);
  args.set_timestamptz("now", now);
  intake::OwnRowUpdate own_update;  // the queues' CHECK need not validate rows again
  update.run(args);
}

// Writes `which`; if that fails, each half on its own, down to single events: the events that
// cannot be written are found in about k log2(n) attempts for k of them, and only they fail.
void write_or_split(Queue queue, TimestampTz now, const TemplateSet& templates,
                    const std::vector<ClaimedEvent>& events,
                    const std::vector<EventResult>& results, const std::vector<size_t>& which,
                    const core::ProcessingSettings& settings) {
  auto error =
      pg::try_in_subtransaction([&] { write_rows(queue, now, templates, events, results, which); });
  if (!error) return;
  if (which.size() > 1) {
    size_t half = which.size() / 2;
    std::vector<size_t> first(which.begin(), which.begin() + half),
        second(which.begin() + half, which.end());
    write_or_split(queue, now, templates, events, results, first, settings);
    write_or_split(queue, now, templates, events, results, second, settings);
    return;
  }
  // This event's rows cannot be written: a failed attempt, recorded on the event alone (no
  // delivery-log row), so that it is retried after a back-off and expires in the end.
  size_t i = which[0];
  std::vector<EventResult> failed(results.size());
  failed[i].decision = core::failed_attempt(
      events[i].error_count,
      "could not write the event: " + error->sqlstate + ": " + error->message, now, settings);
  auto again =
      pg::try_in_subtransaction([&] { write_rows(queue, now, templates, events, failed, which); });
  if (again)  // left pending: claimed again, and failing again, next time
    pg::call([&] {
      ereport(WARNING, (errmsg("message_center: event %lld could not be written: %s: %s",
                               static_cast<long long>(events[i].id), again->sqlstate.c_str(),
                               again->message.c_str())));
    });
}

}  // namespace

void write_batch(Queue queue, TimestampTz now, const TemplateSet& templates,
                 const std::vector<ClaimedEvent>& events, const std::vector<EventResult>& results,
                 const core::ProcessingSettings& settings) {
  std::vector<size_t> all(events.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  write_or_split(queue, now, templates, events, results, all, settings);
}

}  // namespace mc::processing
