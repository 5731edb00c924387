#!/usr/bin/env bash
# Real-time latency through the real pg_cron job: events pushed at a steady rate (pgbench -R),
# processed by rtEventsProcessing (mc.rt_events_loop), latency = commit of the processing
# transaction (track_commit_timestamp) - created_at of the event (its push transaction's start,
# a few hundred microseconds before its commit: the figure errs on the slow side).
# RATES (default "2000 5000") pushes per second, DURATION (default 30) seconds each.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build.sh
export RATES=${RATES:-"2000 5000"} DURATION=${DURATION:-30}
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
  pgbench -n -M prepared -c 4 -j 2 -R "$rate" -T "$DURATION" -f bench/latency/push.sql postgres >/dev/null 2>&1
  sleep 1
  q "SELECT 'rate=$rate events=' || count(*) || ' p50_ms=' || round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 2)
            || ' p99_ms=' || round((percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::numeric, 2)
            || ' max_ms=' || round(max(ms)::numeric, 2)
     FROM (SELECT extract(epoch FROM pg_xact_commit_timestamp(d.xmin) - e.created_at) * 1000 AS ms
           FROM mc.rt_event e JOIN mc.delivery_log d ON d.event_id = e.id) l"
done
q "SELECT count(*) FROM mc.stop_workflows()" >/dev/null
SH
pg_virtualenv -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o cron.host=/var/run/postgresql -o track_commit_timestamp=on -o max_connections=50 \
  bash "$inner" 2>/dev/null | grep '^rate='
