#!/usr/bin/env bash
# Real-time latency through the real pg_cron job: events pushed at a steady rate (pgbench -R),
# processed by rtEventsProcessing (mc.rt_events_loop), latency = commit of the processing
# transaction (track_commit_timestamp) - created_at of the event (its push transaction's start,
# a few hundred microseconds before its commit: the figure errs on the slow side).
# RATES (default "5000 10000") pushes per second, DURATION (default 30) seconds each, CLIENTS
# (default 8) pgbench clients. Every pushed event must have been processed (checked, reported).
# Per rate it also prints the seconds whose p99 was worst, with what else ran then (pg_cron's
# other jobs), to see where a tail comes from (WORST, default 3, of them).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build.sh
export RATES=${RATES:-"5000 10000"} DURATION=${DURATION:-30} CLIENTS=${CLIENTS:-8} WORST=${WORST:-3}
inner=$(mktemp)
cat >"$inner" <<'SH'
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres -c "$1"; }
q "CREATE EXTENSION pg_cron" >/dev/null
q "CREATE EXTENSION message_center" >/dev/null
q "SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.order.id}}', body_html => '<p>{{ctx.firstName}}</p>{{#ctx.order.items}}<li>{{name}} x{{qty}}</li>{{/ctx.order.items}}', body_text => 'Hi {{ctx.firstName}}')" >/dev/null
q "SELECT mc.publish_template('order')" >/dev/null
q "SELECT count(*) FROM mc.start_workflows()" >/dev/null
echo "waiting for the first pg_cron tick of rtEventsProcessing..." >&2
until [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CALL mc.rt_events_loop%'")" -ge 1 ]; do sleep 0.5; done
for rate in $RATES; do
  q "TRUNCATE mc.rt_event, mc.delivery_log" >/dev/null
  pgbench -n -M prepared -c "$CLIENTS" -j 2 -R "$rate" -T "$DURATION" -f bench/latency/push.sql postgres >/dev/null 2>&1
  for _ in $(seq 50); do  # every pushed event processed (up to 5 s after the last push)
    [ "$(q "SELECT count(*) FROM mc.rt_event WHERE status = 'pending'")" = 0 ] && break
    sleep 0.1
  done
  q "SELECT 'rate=$rate events=' || count(*) || ' processed=' || count(ms)
            || ' p50_ms=' || round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 2)
            || ' p99_ms=' || round((percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::numeric, 2)
            || ' max_ms=' || round(max(ms)::numeric, 2)
     FROM (SELECT extract(epoch FROM pg_xact_commit_timestamp(d.xmin) - e.created_at) * 1000 AS ms
           FROM mc.rt_event e LEFT JOIN mc.delivery_log d ON d.event_id = e.id) l"
  # The worst seconds, and the other pg_cron jobs running during each.
  q "WITH l AS (SELECT date_trunc('second', e.created_at) AS s,
                       extract(epoch FROM pg_xact_commit_timestamp(d.xmin) - e.created_at) * 1000 AS ms
                FROM mc.rt_event e JOIN mc.delivery_log d ON d.event_id = e.id),
          w AS (SELECT s, count(*) AS n, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS mx
                FROM l GROUP BY s ORDER BY p99 DESC LIMIT $WORST)
     SELECT '  worst second ' || to_char(w.s, 'HH24:MI:SS') || ': events=' || w.n || ' p99_ms=' || round(w.p99::numeric, 1)
            || ' max_ms=' || round(w.mx::numeric, 1) || ' other jobs: ' || coalesce((
              SELECT string_agg(DISTINCT j.jobname || ' ' || round(extract(epoch FROM r.end_time - r.start_time)::numeric, 2) || 's', ', ')
              FROM cron.job_run_details r JOIN cron.job j USING (jobid)
              WHERE j.jobname <> 'rtEventsProcessing' AND r.start_time < w.s + interval '1 second'
                AND coalesce(r.end_time, now()) > w.s), '-')
     FROM w ORDER BY w.s"
done
q "SELECT count(*) FROM mc.stop_workflows()" >/dev/null
SH
pg_virtualenv -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o cron.host=/var/run/postgresql -o track_commit_timestamp=on -o max_connections=50 \
  bash "$inner" 2>/dev/null | grep -E '^(rate=|  worst)'
