// GET /metrics: request counters and latency (Metrics), pool usage, and the queue depths of
// mc.queue_health read as the gateway's login (it needs mc_status_reader for them; without,
// mc_queue_health_up is 0 and the scrape still succeeds).
#include <sstream>

#include "gateway/context.hpp"
#include "gateway/db_error.hpp"

namespace mcgw {
namespace {

void metrics(Context& ctx, httplib::Response& res) {
  std::ostringstream out;
  out << ctx.metrics->render();
  out << "# HELP mc_gateway_pool_connections Database connections of the pool.\n"
      << "# TYPE mc_gateway_pool_connections gauge\n"
      << "mc_gateway_pool_connections{state=\"in_use\"} " << ctx.pool->in_use() << "\n"
      << "mc_gateway_pool_connections{state=\"open\"} " << ctx.pool->open() << "\n"
      << "mc_gateway_pool_connections{state=\"max\"} " << ctx.pool->size() << "\n";
  PushLanes::Stats batches = ctx.lanes ? ctx.lanes->stats() : PushLanes::Stats{};
  out << "# HELP mc_gateway_push_batches_total Single-event pushes sent together (group commit).\n"
      << "# TYPE mc_gateway_push_batches_total counter\n"
      << "mc_gateway_push_batches_total " << batches.batches << "\n"
      << "# HELP mc_gateway_push_batched_events_total Events in those batches.\n"
      << "# TYPE mc_gateway_push_batched_events_total counter\n"
      << "mc_gateway_push_batched_events_total " << batches.batched_events << "\n"
      << "# HELP mc_gateway_push_batches_retried_total Batches refused and pushed one by one.\n"
      << "# TYPE mc_gateway_push_batches_retried_total counter\n"
      << "mc_gateway_push_batches_retried_total " << batches.retried_batches << "\n"
      << "# HELP mc_gateway_push_queued Single-event pushes waiting for a batch.\n"
      << "# TYPE mc_gateway_push_queued gauge\n"
      << "mc_gateway_push_queued " << batches.queued << "\n";
  std::ostringstream queues;
  bool up = true;
  try {
    run_as_gateway(*ctx.pool, ctx.limits(), [&](Tx& tx) {
      Result r = tx.exec("SELECT queue, pending::text, threshold::text FROM mc.queue_health");
      for (int i = 0; i < PQntuples(r.get()); ++i) {
        std::string q = PQgetvalue(r.get(), i, 0);
        queues << "mc_queue_pending_events{queue=\"" << q << "\"} " << PQgetvalue(r.get(), i, 1)
               << "\n"
               << "mc_queue_pending_threshold{queue=\"" << q << "\"} " << PQgetvalue(r.get(), i, 2)
               << "\n";
      }
    });
  } catch (const DbError&) {
    up = false;
  }
  out << "# HELP mc_queue_health_up 1 when mc.queue_health could be read.\n"
      << "# TYPE mc_queue_health_up gauge\nmc_queue_health_up " << (up ? 1 : 0) << "\n";
  if (up)
    out << "# HELP mc_queue_pending_events Unprocessed events per queue.\n"
        << "# TYPE mc_queue_pending_events gauge\n"
        << "# HELP mc_queue_pending_threshold The health threshold of each queue.\n"
        << "# TYPE mc_queue_pending_threshold gauge\n"
        << queues.str();
  res.set_content(out.str(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void add_metrics_route(Router& server, Context& ctx) {
  server.Get("/metrics",
             [&ctx](const httplib::Request&, httplib::Response& res) { metrics(ctx, res); });
}

}  // namespace mcgw
