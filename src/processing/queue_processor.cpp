// mc.rt_events_processing / mc.batch_events_processing: take due events of a queue, route,
// render, write one delivery-log row each, and move the events on, a batch at a time.
//
// Concurrency: a queue is split into eight work queues (id & 7). A call takes work queues with
// transaction-level advisory locks (try-lock: a busy work queue is skipped, never waited on)
// and reads with a snapshot taken after the lock, so two workers never see the same event and
// never wait on each other's rows. Everything a batch writes commits or aborts together: after
// a crash, an event is either still pending or processed with exactly one delivery-log row.
#include <string>
#include <unordered_map>
#include <vector>

#include "core/channel.hpp"
#include "core/template_routing.hpp"
#include "intake/queue.hpp"
#include "pg/datum_columns.hpp"
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"
#include "processing/claim_cursor.hpp"
#include "processing/claimed_event.hpp"
#include "processing/delivery_ids.hpp"
#include "processing/message_renderer.hpp"
#include "processing/outcome.hpp"
#include "processing/published_templates.hpp"
#include "processing/retry_policy.hpp"
#include "settings/settings_cache.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
}

namespace mc::processing {
namespace {

using intake::Queue;
using pg::DatumColumn;
using pg::SpiStatement;

constexpr int kWorkQueues = 8;
constexpr int32 kLockClass = 0x6d63;  // "mc": advisory lock space of the work queues
constexpr int64 kPausedRecheckMicros = 30LL * 1000000;

// Per queue, the work queue this backend tries first (-1: not chosen yet).
int next_work_queue[2] = {-1, -1};

// Claim: due, unprocessed events of the given work queues, in the queue index's order (work
// queue, then oldest due first), from the due time the claim cursor gives ($4).
#define MC_CLAIM_SQL(table)                                                                 \
  "SELECT id, event_type, email, mobile_phone, external_id, origin, wished_channel::text, " \
  "language, country, ctx, expires_at, error_count, "                                       \
  "coalesce(process_requested_at, scheduled_at, created_at) FROM mc." table                 \
  " "                                                                                       \
  "WHERE (id & 7) = ANY ($1) AND processed_at IS NULL "                                     \
  "AND coalesce(process_requested_at, scheduled_at, created_at) <= $2 "                     \
  "AND coalesce(process_requested_at, scheduled_at, created_at) >= $4 "                     \
  "ORDER BY (id & 7), coalesce(process_requested_at, scheduled_at, created_at), id LIMIT $3"

#define MC_UPDATE_SQL(table)                                                                      \
  "UPDATE mc." table                                                                              \
  " e SET status = u.status::mc.event_status, template_id = u.template_id, "                      \
  "delivery_id = u.delivery_id, error_count = u.error_count, last_error = u.last_error, "         \
  "process_requested_at = u.retry_at, processing_at = $9, processed_at = u.processed_at, "        \
  "last_modified_at = $9 "                                                                        \
  "FROM unnest($1::int8[], $2::text[], $3::int8[], $4::int8[], $5::int4[], $6::text[], "          \
  "$7::timestamptz[], $8::timestamptz[]) "                                                        \
  "AS u (id, status, template_id, delivery_id, error_count, last_error, retry_at, processed_at) " \
  "WHERE e.id = u.id"

SpiStatement claim_statements[2] = {
    {MC_CLAIM_SQL("rt_event"),
     4,
     {INT8ARRAYOID, TIMESTAMPTZOID, INT4OID, TIMESTAMPTZOID},
     nullptr,
     InvalidOid},
    {MC_CLAIM_SQL("batch_event"),
     4,
     {INT8ARRAYOID, TIMESTAMPTZOID, INT4OID, TIMESTAMPTZOID},
     nullptr,
     InvalidOid},
};
SpiStatement update_statements[2] = {
    {MC_UPDATE_SQL("rt_event"),
     9,
     {INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
      TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZOID},
     nullptr,
     InvalidOid},
    {MC_UPDATE_SQL("batch_event"),
     9,
     {INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
      TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZOID},
     nullptr,
     InvalidOid},
};
SpiStatement insert_logs = {
    "INSERT INTO mc.delivery_log (event_id, status, channel, delivery_id, queue, address, sender, "
    "subject, body_html, body_text, push_data, webhook_url, failure_reason, created_at, "
    "last_modified_at) "
    "SELECT u.event_id, u.status::mc.delivery_status, u.channel::mc.channel, u.delivery_id, $13, "
    "u.address, u.sender, u.subject, u.body_html, u.body_text, u.push_data, u.webhook_url, "
    "u.failure_reason, $14, $14 "
    "FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[], $5::text[], $6::text[], "
    "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) "
    "AS u (event_id, status, channel, delivery_id, address, sender, subject, body_html, "
    "body_text, push_data, webhook_url, failure_reason)",
    14,
    {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
     TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTOID,
     TIMESTAMPTZOID},
    nullptr,
    InvalidOid};
SpiStatement quarantined = {
    "SELECT q.channel::text, q.address FROM mc.quarantine q "
    "JOIN unnest($1::text[], $2::text[]) AS a (channel, address) "
    "ON q.channel = a.channel::mc.channel AND q.address = a.address",
    2,
    {TEXTARRAYOID, TEXTARRAYOID},
    nullptr,
    InvalidOid};

struct ProcessingContext {
  Queue queue;
  const TemplateSet* templates;
  TimestampTz now;
  int max_attempts;
  int64 backoff_micros;
  std::optional<std::string> enrichment_function;
};

std::optional<std::string> text_of(const char* value) {
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::vector<ClaimedEvent> claim(const ProcessingContext& ctx, const std::vector<int>& work_queues,
                                int limit) {
  DatumColumn queues(DatumColumn::Kind::Int8);
  for (int k : work_queues) queues.add_int8(k);
  Datum queue_array = queues.to_array();
  pg::call([] { register_claim_cursor_reset_unsafe(); });
  TimestampTz start = claim_start(ctx.queue, work_queues, ctx.now);
  uint64 rows = 0;
  TimestampTz last_due = 0;
  TimestampTz claim_began = pg::call([] { return GetCurrentTimestamp(); });
  pg::call([&] {
    Datum values[4] = {queue_array, TimestampTzGetDatum(ctx.now), Int32GetDatum(limit),
                       TimestampTzGetDatum(start)};
    // Not read-only: a snapshot taken now, after the work queue's lock was granted.
    pg::execute_unsafe(&claim_statements[static_cast<int>(ctx.queue)], values, nullptr, false,
                       limit);
    rows = SPI_processed;
    bool isnull;
    if (rows > 0)
      last_due = DatumGetTimestampTz(
          SPI_getbinval(SPI_tuptable->vals[rows - 1], SPI_tuptable->tupdesc, 13, &isnull));
  });
  std::vector<ClaimedEvent> events(rows);
  constexpr int kTextColumns = 8;  // columns 2..9: type, email, ..., country
  for (uint64 i = 0; i < rows; ++i) {
    ClaimedEvent& e = events[i];
    const char* text[kTextColumns];
    pg::call([&] {
      HeapTuple row = SPI_tuptable->vals[i];
      TupleDesc desc = SPI_tuptable->tupdesc;
      bool isnull;
      e.id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
      for (int c = 0; c < kTextColumns; ++c) text[c] = SPI_getvalue(row, desc, c + 2);
      e.ctx = DatumGetJsonbP(SPI_getbinval(row, desc, 10, &isnull));
      Datum expires = SPI_getbinval(row, desc, 11, &isnull);
      e.has_expires_at = !isnull;
      if (!isnull) e.expires_at = DatumGetTimestampTz(expires);
      e.error_count = DatumGetInt32(SPI_getbinval(row, desc, 12, &isnull));
    });
    e.type = text[0];
    e.email = text_of(text[1]);
    e.mobile_phone = text_of(text[2]);
    e.external_id = text_of(text[3]);
    e.origin = text_of(text[4]);
    e.channel = static_cast<int>(core::parse_channel(text[5]).value_or(core::Channel::Email));
    e.language = text_of(text[6]);
    e.country = text_of(text[7]);
  }
  bool limited = static_cast<int>(rows) >= limit;
  int last_work_queue = rows > 0 ? static_cast<int>(events.back().id & (kWorkQueues - 1)) : -1;
  int64 elapsed = pg::call([] { return GetCurrentTimestamp(); }) - claim_began;
  claim_done(ctx.queue, work_queues, start, ctx.now, elapsed, limited, last_work_queue, last_due);
  return events;
}

// The address a channel sends to; nullopt when the event has none.
std::optional<std::string> address_for(const ClaimedEvent& e, core::Channel channel) {
  switch (channel) {
    case core::Channel::Email:
      return e.email;
    case core::Channel::Sms:
      return e.mobile_phone;
    case core::Channel::PushIos:
    case core::Channel::PushAndroid:
      return e.external_id;
    case core::Channel::Webhook:
      return std::string();  // the rendered webhook_url
  }
  return std::nullopt;
}

const char* address_field(core::Channel channel) {
  switch (channel) {
    case core::Channel::Email:
      return "email";
    case core::Channel::Sms:
      return "mobilePhone";
    default:
      return "externalId";
  }
}

void fail(EventOutcome& out, const ClaimedEvent& e, const ProcessingContext& ctx,
          const std::string& reason) {
  out.reason = reason;
  out.attempt_failed = true;
  out.outcome = e.error_count + 1 >= ctx.max_attempts ? Outcome::Expired : Outcome::Retry;
  if (out.outcome == Outcome::Expired)
    out.reason = "gave up after " + std::to_string(e.error_count + 1) + " attempts: " + reason;
}

EventOutcome decide(const ClaimedEvent& e, const ProcessingContext& ctx) {
  EventOutcome out;
  if (e.has_expires_at && e.expires_at <= ctx.now) {
    out.outcome = Outcome::Expired;
    out.reason = "expired before it could be processed";
    return out;
  }
  std::optional<std::string_view> language;
  if (e.language) language = *e.language;
  core::Route route = core::route_event(ctx.templates->candidates, e.type, e.channel, language);
  if (route.outcome == core::RouteOutcome::NoTemplate) {
    out.outcome = Outcome::NotTaken;
    out.reason = "no published template for event type \"" + e.type + "\" and channel " +
                 std::string(core::channel_name(static_cast<core::Channel>(e.channel))) +
                 (e.language ? " (language " + *e.language + ")" : std::string());
    return out;
  }
  out.template_index = static_cast<int>(route.candidate - ctx.templates->candidates.data());
  if (route.outcome == core::RouteOutcome::Paused) {
    out.outcome = Outcome::Wait;
    return out;
  }
  auto channel = static_cast<core::Channel>(e.channel);
  auto address = address_for(e, channel);
  if (!address) {
    out.outcome = Outcome::NotTaken;
    out.reason = std::string("no ") + address_field(channel) + " for channel " +
                 std::string(core::channel_name(channel));
    return out;
  }
  const PublishedTemplate& t = ctx.templates->templates[out.template_index];
  try {
    render_message(t, e, &out.message);
  } catch (const pg::PgError&) {
    throw;  // a PostgreSQL error is never swallowed: the batch aborts and is retried whole
  } catch (const std::exception& error) {
    fail(out, e, ctx, std::string("template \"") + t.name + "\": " + error.what());
    return out;
  }
  out.message.address = channel == core::Channel::Webhook ? out.message.webhook_url : *address;
  out.outcome = Outcome::Routed;
  return out;
}

void mark_quarantined(const std::vector<ClaimedEvent>& events,
                      std::vector<EventOutcome>& outcomes) {
  DatumColumn channels(DatumColumn::Kind::Text), addresses(DatumColumn::Kind::Text);
  for (size_t i = 0; i < events.size(); ++i)
    if (outcomes[i].outcome == Outcome::Routed) {
      channels.add_text(core::channel_name(static_cast<core::Channel>(events[i].channel)));
      addresses.add_text(outcomes[i].message.address);
    }
  if (channels.size() == 0) return;
  Datum values[2] = {channels.to_array(), addresses.to_array()};
  uint64 rows = 0;
  pg::call([&] {
    pg::execute_unsafe(&quarantined, values, nullptr, false, 0);
    rows = SPI_processed;
  });
  if (rows == 0) return;
  std::unordered_map<std::string, bool> hits;
  for (uint64 r = 0; r < rows; ++r) {
    const char* channel = nullptr;
    const char* address = nullptr;
    pg::call([&] {
      channel = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
      address = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
    });
    hits[std::string(channel) + '\n' + address] = true;
  }
  for (size_t i = 0; i < events.size(); ++i)
    if (outcomes[i].outcome == Outcome::Routed &&
        hits.count(std::string(core::channel_name(static_cast<core::Channel>(events[i].channel))) +
                   '\n' + outcomes[i].message.address))
      outcomes[i].outcome = Outcome::Quarantined;
}

void write_batch(const ProcessingContext& ctx, const std::vector<ClaimedEvent>& events,
                 const std::vector<EventOutcome>& outcomes) {
  std::vector<int64> routed_templates;
  for (const EventOutcome& o : outcomes)
    if (o.outcome == Outcome::Routed || o.outcome == Outcome::Quarantined)
      routed_templates.push_back(ctx.templates->templates[o.template_index].id);
  std::unordered_map<int64, int64> deliveries = deliveries_for(routed_templates, ctx.now);
  DatumColumn log_event(DatumColumn::Kind::Int8), log_status(DatumColumn::Kind::Text),
      log_channel(DatumColumn::Kind::Text), log_delivery(DatumColumn::Kind::Int8),
      log_address(DatumColumn::Kind::Text), log_sender(DatumColumn::Kind::Text),
      log_subject(DatumColumn::Kind::Text), log_html(DatumColumn::Kind::Text),
      log_text(DatumColumn::Kind::Text), log_push(DatumColumn::Kind::Text),
      log_webhook(DatumColumn::Kind::Text), log_reason(DatumColumn::Kind::Text);
  DatumColumn ev_id(DatumColumn::Kind::Int8), ev_status(DatumColumn::Kind::Text),
      ev_template(DatumColumn::Kind::Int8), ev_delivery(DatumColumn::Kind::Int8),
      ev_errors(DatumColumn::Kind::Int4), ev_error(DatumColumn::Kind::Text),
      ev_retry(DatumColumn::Kind::TimestampTz), ev_processed(DatumColumn::Kind::TimestampTz);
  auto optional_text = [](DatumColumn& column, const std::string& value) {
    if (value.empty())
      column.add_null();
    else
      column.add_text(value);
  };

  for (size_t i = 0; i < events.size(); ++i) {
    const ClaimedEvent& e = events[i];
    const EventOutcome& o = outcomes[i];
    ev_id.add_int8(e.id);
    bool delivered = o.outcome == Outcome::Routed || o.outcome == Outcome::Quarantined;
    if (delivered) {
      const PublishedTemplate& t = ctx.templates->templates[o.template_index];
      int64 delivery = deliveries.at(t.id);
      log_event.add_int8(e.id);
      log_status.add_text(o.outcome == Outcome::Routed ? "pending" : "ignored");
      log_channel.add_text(core::channel_name(static_cast<core::Channel>(e.channel)));
      log_delivery.add_int8(delivery);
      log_address.add_text(o.message.address);
      optional_text(log_sender, o.message.sender);
      optional_text(log_subject, o.message.subject);
      optional_text(log_html, o.message.body_html);
      optional_text(log_text, o.message.body_text);
      optional_text(log_push, o.message.push_data);
      optional_text(log_webhook, o.message.webhook_url);
      if (o.outcome == Outcome::Quarantined)
        log_reason.add_text("quarantined");
      else
        log_reason.add_null();
      ev_status.add_text("pending_delivery");
      ev_template.add_int8(t.id);
      ev_delivery.add_int8(delivery);
      ev_errors.add_int4(e.error_count);
      ev_error.add_null();
      ev_retry.add_null();
      ev_processed.add_timestamptz(ctx.now);
      continue;
    }
    ev_delivery.add_null();
    switch (o.outcome) {
      case Outcome::NotTaken:
      case Outcome::Expired:
        ev_status.add_text(o.outcome == Outcome::NotTaken ? "not_taken_into_account" : "expired");
        ev_template.add_null();
        ev_errors.add_int4(o.attempt_failed ? e.error_count + 1 : e.error_count);
        ev_error.add_text(o.reason);
        ev_retry.add_null();
        ev_processed.add_timestamptz(ctx.now);
        break;
      case Outcome::Retry:
        ev_status.add_text("pending");
        ev_template.add_null();
        ev_errors.add_int4(e.error_count + 1);
        ev_error.add_text(o.reason);
        ev_retry.add_timestamptz(ctx.now +
                                 retry_delay_micros(ctx.backoff_micros, e.error_count + 1));
        ev_processed.add_null();
        break;
      default:  // Wait: its template is paused
        ev_status.add_text("pending");
        ev_template.add_null();
        ev_errors.add_int4(e.error_count);
        ev_error.add_null();
        ev_retry.add_timestamptz(ctx.now + kPausedRecheckMicros);
        ev_processed.add_null();
        break;
    }
  }

  if (log_event.size() > 0) {
    Datum values[14] = {log_event.to_array(),
                        log_status.to_array(),
                        log_channel.to_array(),
                        log_delivery.to_array(),
                        log_address.to_array(),
                        log_sender.to_array(),
                        log_subject.to_array(),
                        log_html.to_array(),
                        log_text.to_array(),
                        log_push.to_array(),
                        log_webhook.to_array(),
                        log_reason.to_array(),
                        0,
                        TimestampTzGetDatum(ctx.now)};
    const char* queue_name = ctx.queue == Queue::Rt ? "rt" : "batch";
    pg::call([&] {
      values[12] = CStringGetTextDatum(queue_name);
      pg::execute_unsafe(&insert_logs, values, nullptr, false, 0);
    });
  }
  Datum values[9] = {ev_id.to_array(),       ev_status.to_array(),    ev_template.to_array(),
                     ev_delivery.to_array(), ev_errors.to_array(),    ev_error.to_array(),
                     ev_retry.to_array(),    ev_processed.to_array(), TimestampTzGetDatum(ctx.now)};
  pg::call([&] {
    pg::execute_unsafe(&update_statements[static_cast<int>(ctx.queue)], values, nullptr, false, 0);
  });
}

void enrich(const ProcessingContext& ctx, std::vector<ClaimedEvent>& events) {
  if (!ctx.enrichment_function || events.empty()) return;
  DatumColumn ids(DatumColumn::Kind::Int8);
  for (const auto& e : events) ids.add_int8(e.id);
  Datum id_array = ids.to_array();
  std::unordered_map<int64, Jsonb*> data;
  const std::string& function = *ctx.enrichment_function;
  std::string sql = "SELECT event_id, data FROM " + function + "($1)";
  uint64 rows = 0;
  pg::call([&] {
    Oid types[1] = {INT8ARRAYOID};
    int rc = SPI_execute_with_args(sql.c_str(), 1, types, &id_array, nullptr, false, 0);
    if (rc != SPI_OK_SELECT)
      ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                      errmsg("enrichment function %s must return (event_id bigint, data jsonb)",
                             function.c_str())));
    rows = SPI_processed;
  });
  for (uint64 r = 0; r < rows; ++r)
    pg::call([&] {
      bool id_null, data_null;
      int64 id =
          DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &id_null));
      Datum d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &data_null);
      if (!id_null && !data_null) data[id] = DatumGetJsonbP(d);
    });
  for (auto& e : events) {
    auto found = data.find(e.id);
    if (found != data.end()) e.enrichment = found->second;
  }
}

bool try_lock_work_queue(Queue queue, int work_queue) {
  int32 key = static_cast<int32>(queue) * kWorkQueues + work_queue;
  return pg::call([&] {
    return DatumGetBool(DirectFunctionCall2(pg_try_advisory_xact_lock_int4,
                                            Int32GetDatum(kLockClass), Int32GetDatum(key)));
  });
}

int64 process_queue(Queue queue, FunctionCallInfo fcinfo) {
  const settings::Settings& s = settings::current();
  int max_events = PG_ARGISNULL(0) ? s.processing_batch_size : PG_GETARG_INT32(0);
  if (max_events < 1)
    throw pg::SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                       "max_events must be at least 1, got " + std::to_string(max_events));
  if (IsolationUsesXactSnapshot())
    throw pg::SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                       "events processing must run at READ COMMITTED isolation",
                       "Work queues are claimed with locks; a snapshot older than the lock could "
                       "see events another worker already processed.");
  ProcessingContext ctx{queue,
                        nullptr,
                        pg::call([] { return GetCurrentTimestamp(); }),
                        s.max_processing_attempts,
                        s.retry_backoff_micros,
                        s.enrichment_function};
  pg::call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  ctx.templates = &published_templates(queue);
  int64 handled = 0;
  // One batch: events gathered from as many free work queues as it takes to fill it (a busy
  // backlog fills it from one; a trickle of real-time events from all eight), then routed,
  // rendered and written with one set of statements, whatever the number of work queues.
  // The first free work queue; if it cannot fill the batch, every other free one too, in one
  // more claim. A backlog is taken one work queue per worker (the others stay free for other
  // workers); a trickle of real-time events costs two queries, not eight.
  std::vector<ClaimedEvent> events;
  std::vector<int> rest;
  bool first_taken = false;
  int& start = next_work_queue[static_cast<int>(queue)];
  if (start < 0) start = MyProcPid % kWorkQueues;
  for (int i = 0; i < kWorkQueues; ++i) {
    int work_queue = (start + i) % kWorkQueues;
    if (first_taken) {
      if (try_lock_work_queue(queue, work_queue)) rest.push_back(work_queue);
      continue;
    }
    if (!try_lock_work_queue(queue, work_queue)) continue;
    first_taken = true;
    events = claim(ctx, {work_queue}, max_events);
    if (static_cast<int>(events.size()) >= max_events) break;
  }
  if (!rest.empty()) {
    std::vector<ClaimedEvent> more = claim(ctx, rest, max_events - static_cast<int>(events.size()));
    for (auto& e : more) events.push_back(std::move(e));
  }
  // Next time, start from the work queue this batch ended in: a worker stays on a backlog's
  // work queue until it runs dry instead of going back to a drained one, which would make
  // every batch take all free work queues and leave none to the other workers.
  if (!events.empty()) start = static_cast<int>(events.back().id & (kWorkQueues - 1));
  if (!events.empty()) {
    enrich(ctx, events);
    std::vector<EventOutcome> outcomes;
    outcomes.reserve(events.size());
    for (const auto& e : events) outcomes.push_back(decide(e, ctx));
    mark_quarantined(events, outcomes);
    write_batch(ctx, events, outcomes);
    handled = static_cast<int64>(events.size());
  }
  pg::call([] { SPI_finish(); });
  return handled;
}

}  // namespace
}  // namespace mc::processing

MC_FUNCTION(mc_rt_events_processing) {
  return Int64GetDatum(mc::processing::process_queue(mc::intake::Queue::Rt, fcinfo));
}

MC_FUNCTION(mc_batch_events_processing) {
  return Int64GetDatum(mc::processing::process_queue(mc::intake::Queue::Batch, fcinfo));
}
