#include "processing/claim.hpp"

#include <string>

#include "core/channel.hpp"
#include "backend/work_locks.hpp"
#include "core/work_queues.hpp"
#include "pg/datum_columns.hpp"
#include "pg/guard.hpp"
#include "pg/spi_statement.hpp"
#include "processing/claim_cursor.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
}

namespace mc::processing {
namespace {

using intake::Queue;

// The queue index (sql/tables/events.sql) is on ((id >> 7) & 7): the statement must say the
// same for the index to serve it.
static_assert(core::kWorkQueueMask == 7 && core::kWorkQueueShift == 7,
              "the claim statement and the queue index use (id >> 7) & 7");

// Due, unprocessed events of the given work queues, in the queue index's order (work queue,
// then oldest due first), from the due time the claim cursor gives.
std::string claim_sql(const char* table) {
  return std::string(
             "SELECT id, event_type, email, mobile_phone, external_id, origin, "
             "wished_channel::text AS wished_channel, language, country, ctx, expires_at, "
             "error_count, coalesce(process_requested_at, scheduled_at, created_at) AS due, ctid "
             "FROM mc.") +
         table +
         " WHERE ((id OPERATOR(pg_catalog.>>) 7) OPERATOR(pg_catalog.&) 7) "
         "OPERATOR(pg_catalog.=) ANY ($work_queues) "
         "AND processed_at IS NULL "
         "AND coalesce(process_requested_at, scheduled_at, created_at) OPERATOR(pg_catalog.<=) "
         "$now "
         "AND coalesce(process_requested_at, scheduled_at, created_at) OPERATOR(pg_catalog.>=) "
         "$start "
         "ORDER BY ((id OPERATOR(pg_catalog.>>) 7) OPERATOR(pg_catalog.&) 7), "
         "coalesce(process_requested_at, scheduled_at, created_at), id "
         "LIMIT $limit";
}

pg::Statement make_claim(Queue queue) {
  return pg::Statement(
      claim_sql(intake::table_of(queue)),
      {{"work_queues", INT8ARRAYOID},
       {"now", TIMESTAMPTZOID},
       {"limit", INT4OID},
       {"start", TIMESTAMPTZOID}},
      {"id", "event_type", "email", "mobile_phone", "external_id", "origin", "wished_channel",
       "language", "country", "ctx", "expires_at", "error_count", "due", "ctid"});
}

pg::Statement claim_statements[core::kQueueCount] = {make_claim(Queue::Rt),
                                                     make_claim(Queue::Batch)};

// Per queue, the work queue this backend tries first (-1: not chosen yet).
int next_work_queue[core::kQueueCount] = {-1, -1};

// A text column of a deformed row: where its bytes are (in the SPI result, or detoasted), or
// null. Plain data, taken inside pg::call; the strings are built outside it.
struct TextRef {
  const char* data = nullptr;
  int len = 0;
};

TextRef text_ref_unsafe(const Datum* values, const bool* isnull, int at) {
  if (isnull[at]) return {};
  struct varlena* v = pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(values[at]));
  return {VARDATA_ANY(v), static_cast<int>(VARSIZE_ANY_EXHDR(v))};
}

std::optional<std::string> text_of(TextRef t) {
  if (t.data == nullptr) return std::nullopt;
  return std::string(t.data, static_cast<size_t>(t.len));
}

// The claim of some work queues already locked by this transaction.
std::vector<ClaimedEvent> claim(Queue queue, TimestampTz now, const std::vector<int>& work_queues,
                                int limit) {
  pg::Statement& st = claim_statements[static_cast<int>(queue)];
  pg::DatumColumn queues(pg::DatumColumn::Kind::Int8);
  for (int k : work_queues) queues.add_int8(k);
  TimestampTz start = claim_start(queue, work_queues, now);
  pg::Statement::Args args(st);
  args.set_array("work_queues", queues)
      .set_timestamptz("now", now)
      .set_int4("limit", limit)
      .set_timestamptz("start", start);
  TimestampTz claim_began = pg::call([] { return GetCurrentTimestamp(); });
  // Not read-only: a snapshot taken now, after the work queues' locks were granted.
  uint64 rows = st.run(args, false, limit);
  const auto id = st.column("id"), type = st.column("event_type"), email = st.column("email"),
             mobile_phone = st.column("mobile_phone"), external_id = st.column("external_id"),
             origin = st.column("origin"), channel = st.column("wished_channel"),
             language = st.column("language"), country = st.column("country"),
             ctx = st.column("ctx"), expires_at = st.column("expires_at"),
             error_count = st.column("error_count"), due = st.column("due"),
             ctid = st.column("ctid");
  TimestampTz last_due = 0;
  if (rows > 0)
    last_due = pg::call([&] {
      bool isnull;
      return DatumGetTimestampTz(st.value_unsafe(rows - 1, due, &isnull));
    });
  std::vector<ClaimedEvent> events(rows);
  // One row's columns, deformed once (palloc'd: plain data inside pg::call).
  Datum* values = nullptr;
  bool* isnull = nullptr;
  pg::call([&] {
    values = static_cast<Datum*>(palloc(sizeof(Datum) * st.width_unsafe()));
    isnull = static_cast<bool*>(palloc(sizeof(bool) * st.width_unsafe()));
  });
  for (uint64 i = 0; i < rows; ++i) {
    ClaimedEvent& e = events[i];
    struct {
      TextRef type, email, mobile_phone, external_id, origin, channel, language, country;
    } text;
    pg::call([&] {
      st.deform_unsafe(i, values, isnull);
      e.id = DatumGetInt64(values[st.at(id)]);
      text.type = text_ref_unsafe(values, isnull, st.at(type));
      text.email = text_ref_unsafe(values, isnull, st.at(email));
      text.mobile_phone = text_ref_unsafe(values, isnull, st.at(mobile_phone));
      text.external_id = text_ref_unsafe(values, isnull, st.at(external_id));
      text.origin = text_ref_unsafe(values, isnull, st.at(origin));
      text.channel = text_ref_unsafe(values, isnull, st.at(channel));
      text.language = text_ref_unsafe(values, isnull, st.at(language));
      text.country = text_ref_unsafe(values, isnull, st.at(country));
      e.ctx = DatumGetJsonbP(values[st.at(ctx)]);
      e.has_expires_at = !isnull[st.at(expires_at)];
      if (e.has_expires_at) e.expires_at = DatumGetTimestampTz(values[st.at(expires_at)]);
      e.error_count = DatumGetInt32(values[st.at(error_count)]);
      e.tid = *reinterpret_cast<ItemPointer>(DatumGetPointer(values[st.at(ctid)]));
    });
    e.type = text_of(text.type).value_or(std::string());
    e.email = text_of(text.email);
    e.mobile_phone = text_of(text.mobile_phone);
    e.external_id = text_of(text.external_id);
    e.origin = text_of(text.origin);
    e.channel = static_cast<int>(
        core::parse_channel(std::string_view(text.channel.data ? text.channel.data : "",
                                             static_cast<size_t>(text.channel.len)))
            .value_or(core::Channel::Email));
    e.language = text_of(text.language);
    e.country = text_of(text.country);
  }
  pg::call([&] {
    pfree(values);
    pfree(isnull);
  });
  bool limited = static_cast<int>(rows) >= limit;
  int last_work_queue = rows > 0 ? core::work_queue_of(events.back().id) : -1;
  int64 elapsed = pg::call([] { return GetCurrentTimestamp(); }) - claim_began;
  claim_done(queue, work_queues, start, now, elapsed, limited, last_work_queue, last_due);
  return events;
}

bool try_lock_work_queue(Queue queue, int work_queue) {
  return backend::try_lock_work(core::work_queue_lock_key(static_cast<int>(queue), work_queue));
}

}  // namespace

std::vector<ClaimedEvent> claim_events(Queue queue, TimestampTz now, int max_events) {
  // The first free work queue; if it cannot fill the batch, every other free one too, in one
  // more claim. A backlog is taken one work queue per worker (the others stay free for other
  // workers); a trickle of real-time events costs two queries, not eight.
  std::vector<ClaimedEvent> events;
  std::vector<int> rest;
  bool first_taken = false;
  int& start = next_work_queue[static_cast<int>(queue)];
  if (start < 0) start = MyProcPid % core::kWorkQueues;
  for (int i = 0; i < core::kWorkQueues; ++i) {
    int work_queue = (start + i) % core::kWorkQueues;
    if (first_taken) {
      if (try_lock_work_queue(queue, work_queue)) rest.push_back(work_queue);
      continue;
    }
    if (!try_lock_work_queue(queue, work_queue)) continue;
    first_taken = true;
    events = claim(queue, now, {work_queue}, max_events);
    if (static_cast<int>(events.size()) >= max_events) break;
  }
  if (!rest.empty()) {
    std::vector<ClaimedEvent> more =
        claim(queue, now, rest, max_events - static_cast<int>(events.size()));
    for (auto& e : more) events.push_back(std::move(e));
  }
  // Next time, start from the work queue this batch ended in: a worker stays on a backlog's
  // work queue until it runs dry instead of going back to a drained one, which would make
  // every batch take all free work queues and leave none to the other workers.
  if (!events.empty()) start = core::work_queue_of(events.back().id);
  return events;
}

}  // namespace mc::processing
