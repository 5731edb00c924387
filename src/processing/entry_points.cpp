// mc.rt_events_processing / mc.batch_events_processing: take due events of a queue, route,
// render, write one delivery-log row each, and move the events on, a batch at a time.
//
// The phases, one file each: claim.cpp (work-queue locks, the claim), enrichment.cpp,
// event_outcomes.cpp (routing, rendering, quarantine, then core/processing_decision.cpp, which is
// PostgreSQL-free), batch_write.cpp (log_insert.cpp and event_update.cpp: the direct writes, in
// the batch's transaction like the statements they replace). Everything a batch writes commits
// or aborts together with its work-queue locks: after a crash, an event is either still pending
// or processed with exactly one delivery-log row.
//
// Memory: claimed events, rendered messages and the template cache live on the C++ heap for the
// length of the call (the cache: until invalidated); the jsonb they point to is palloc'd in the
// SPI procedure context, freed by SPI_finish at the end of the call.
#include "backend/batch_memory.hpp"
#include "core/processing_decision.hpp"
#include "pg/guard.hpp"
#include "processing/batch_write.hpp"
#include "processing/claim.hpp"
#include "processing/enrichment.hpp"
#include "processing/event_outcomes.hpp"
#include "processing/published_templates.hpp"
#include "settings/settings_cache.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/spi.h"
#include "utils/timestamp.h"
}

namespace mc::processing {
namespace {

int64 process_queue(intake::Queue queue, FunctionCallInfo fcinfo) {
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
  backend::keep_batch_memory();
  TimestampTz now = pg::call([] { return GetCurrentTimestamp(); });
  core::ProcessingSettings settings{s.max_processing_attempts, s.retry_backoff_micros};
  std::optional<std::string> enrichment_function = s.enrichment_function;
  pg::call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  const TemplateSet& templates = published_templates(queue);
  int64 handled = 0;
  // One batch: events gathered from as many free work queues as it takes to fill it (a busy
  // backlog fills it from one; a trickle of real-time events from all eight), then routed,
  // rendered and written with one set of statements, whatever the number of work queues.
  std::vector<ClaimedEvent> events = claim_events(queue, now, max_events);
  if (!events.empty()) {
    enrich(enrichment_function, events);
    std::vector<EventResult> results = decide_events(events, templates, now, settings);
    write_batch(queue, now, templates, events, results, settings);
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
