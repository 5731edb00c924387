#!/usr/bin/env bash
# Processing under a held xmin horizon: a steady intake (pgbench -R into the rt queue through
# mc.push_event) processed by the real pg_cron workflows (mc.start_workflows()), while another
# session of the same database holds a REPEATABLE READ snapshot (its xmin) for XMIN_HOLD seconds.
# Every XMIN_WINDOW seconds it samples: events pushed and processed per second, the pending
# backlog and the age of its oldest event, the sizes of the queue index (mc.rt_event_queue) and
# of mc.rt_event, the claim's buffers and time per call (pg_stat_statements, track = all: the
# claim is an SPI statement of mc.rt_events_processing), an EXPLAIN (ANALYZE, BUFFERS) of the
# claim of one work queue, and the share of the window the rt processing spent in its SQL
# statements (claim, event update, delivery-log insert; rendering not included).
# Phases: XMIN_BEFORE seconds without the snapshot, XMIN_HOLD with it, XMIN_AFTER after it ends.
#
#   bash bench/xmin_horizon/run.sh                                   # ~10 minutes
#   XMIN_BEFORE=60 XMIN_HOLD=60 XMIN_AFTER=60 bash bench/xmin_horizon/run.sh   # smoke run
#
# XMIN_RATE (default 1000) pushes per second, XMIN_SKIP_SETUP=1: no apt-get, no make install.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${XMIN_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/install-deps.sh
  make -j"$(nproc)" >/dev/null
  make install >/dev/null
fi
export XMIN_RATE=${XMIN_RATE:-1000} XMIN_WINDOW=${XMIN_WINDOW:-30}
export XMIN_BEFORE=${XMIN_BEFORE:-120} XMIN_HOLD=${XMIN_HOLD:-300} XMIN_AFTER=${XMIN_AFTER:-120}
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw=bench/results/xmin_horizon-$stamp.raw
out=bench/results/xmin_horizon-$stamp.md
inner=$(mktemp)
cat >"$inner" <<'SH'
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
q -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION pg_stat_statements" \
  -c "CREATE EXTENSION message_center" >/dev/null
q >/dev/null <<'SQL'
SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.order.id}}',
  body_html => '<p>{{ctx.firstName}}</p>{{#ctx.order.items}}<li>{{name}} x{{qty}}</li>{{/ctx.order.items}}',
  body_text => 'Hi {{ctx.firstName}}');
SELECT mc.publish_template('order');
CREATE SCHEMA bench;
-- The claim of one work queue, as the processing runs it (same predicate, same order), and
-- what it cost: buffers touched, rows, milliseconds.
CREATE FUNCTION bench.explain_claim() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE $q$EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
    SELECT id FROM mc.rt_event WHERE ((id >> 7) & 7) = 0 AND processed_at IS NULL
      AND coalesce(process_requested_at, scheduled_at, created_at) <= now()
    ORDER BY ((id >> 7) & 7), coalesce(process_requested_at, scheduled_at, created_at), id LIMIT 1000$q$
    INTO plan;
  RETURN ((plan -> 0 -> 'Plan' ->> 'Shared Hit Blocks')::bigint
          + (plan -> 0 -> 'Plan' ->> 'Shared Read Blocks')::bigint) || ' '
      || (plan -> 0 -> 'Plan' ->> 'Actual Rows') || ' '
      || round((plan -> 0 ->> 'Execution Time')::numeric, 2);
END $$;
-- Cumulative counters of the claim statement and of the processing call (pg_stat_statements).
CREATE FUNCTION bench.counters(OUT claim_calls bigint, OUT claim_blocks bigint, OUT claim_ms float8,
    OUT claim_rows bigint, OUT proc_ms float8) LANGUAGE sql AS $$
  SELECT coalesce(sum(calls) FILTER (WHERE c), 0)::bigint,
         coalesce(sum(shared_blks_hit + shared_blks_read) FILTER (WHERE c), 0)::bigint,
         coalesce(sum(total_exec_time) FILTER (WHERE c), 0),
         coalesce(sum(rows) FILTER (WHERE c), 0)::bigint,
         coalesce(sum(total_exec_time) FILTER (WHERE p), 0)
  FROM (SELECT *, query LIKE '%FROM mc.rt_event WHERE (id &%= ANY%processed_at IS NULL%' AS c,
               NOT toplevel AND (query LIKE 'UPDATE mc.rt_event e SET status%'
                                 OR query LIKE 'INSERT INTO mc.delivery_log%'
                                 OR query LIKE '%FROM mc.rt_event WHERE (id &%= ANY%processed_at IS NULL%') AS p
        FROM pg_stat_statements) s
$$;
SQL
q -c "SELECT count(*) FROM mc.start_workflows()" >/dev/null
echo "waiting for the first pg_cron tick of rtEventsProcessing..." >&2
until [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CALL mc.rt_events_loop%'")" -ge 1 ]; do sleep 0.5; done
total=$((XMIN_BEFORE + XMIN_HOLD + XMIN_AFTER))
pgbench -n -M prepared -c 2 -j 2 -R "$XMIN_RATE" -T $((total + 20)) -f bench/latency/push.sql postgres \
  >/tmp/xmin_pgbench.$$ 2>&1 &
pgbench_pid=$!
sleep 10  # warm up: the first events are processed before the first window opens
q -c "SELECT pg_stat_statements_reset()" >/dev/null
start=$(date +%s)
prev=$(q -c "SELECT clock_timestamp()")
read -r c_calls c_blocks c_ms c_rows p_ms < <(q -F' ' -c "SELECT * FROM bench.counters()")
holder_pid=
echo "# window_end_s phase pushed_per_s processed_per_s backlog oldest_pending_s queue_index_kB pkey_kB table_kB claim_calls claim_blocks_per_call claim_ms_per_call claim_rows_per_call sql_pct explain_blocks explain_rows explain_ms xmin_age n_dead_tup autovacuums"
for ((t = XMIN_WINDOW; t <= total; t += XMIN_WINDOW)); do
  # The snapshot holder: starts at XMIN_BEFORE, ends XMIN_HOLD seconds later.
  if [ -z "$holder_pid" ] && ((t > XMIN_BEFORE)); then
    sleep $((start + XMIN_BEFORE - $(date +%s) > 0 ? start + XMIN_BEFORE - $(date +%s) : 0))
    psql -X -q -d postgres >/dev/null 2>&1 <<SQL &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM mc.settings;
SELECT pg_sleep($XMIN_HOLD);
COMMIT;
SQL
    holder_pid=$!
  fi
  sleep $((start + t - $(date +%s) > 0 ? start + t - $(date +%s) : 0))
  if ((t <= XMIN_BEFORE)); then phase=before; elif ((t <= XMIN_BEFORE + XMIN_HOLD)); then phase=during; else phase=after; fi
  now=$(q -c "SELECT clock_timestamp()")
  read -r n_calls n_blocks n_ms n_rows n_p_ms < <(q -F' ' -c "SELECT * FROM bench.counters()")
  row=$(q -F' ' -v t0="$prev" -v t1="$now" <<'SQL'
SELECT round((SELECT count(*) FROM mc.rt_event WHERE created_at >= :'t0' AND created_at < :'t1')
             / extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)),
       round((SELECT count(*) FROM mc.delivery_log WHERE last_modified_at >= :'t0' AND last_modified_at < :'t1')
             / extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)),
       (SELECT count(*) FROM mc.rt_event WHERE processed_at IS NULL),
       coalesce(round(extract(epoch FROM clock_timestamp()
         - (SELECT min(created_at) FROM mc.rt_event WHERE processed_at IS NULL))::numeric, 1), 0),
       pg_relation_size('mc.rt_event_queue') / 1024, pg_relation_size('mc.rt_event_pkey') / 1024,
       pg_relation_size('mc.rt_event') / 1024
SQL
)
  explain=$(q -c "SELECT bench.explain_claim()")
  misc=$(q -F' ' -c "SELECT coalesce(max(age(backend_xmin)), 0) FROM pg_stat_activity" \
    -c "SELECT n_dead_tup, autovacuum_count FROM pg_stat_user_tables WHERE relid = 'mc.rt_event'::regclass" | tr '\n' ' ')
  python3 - "$t" "$phase" "$row" "$explain" "$misc" "$XMIN_WINDOW" \
    "$c_calls" "$c_blocks" "$c_ms" "$c_rows" "$p_ms" "$n_calls" "$n_blocks" "$n_ms" "$n_rows" "$n_p_ms" <<'PY'
import sys
t, phase, row, explain, misc, window = sys.argv[1:7]
c = [float(x) for x in sys.argv[7:12]]; n = [float(x) for x in sys.argv[12:17]]
calls = n[0] - c[0]
per = lambda i: (n[i] - c[i]) / calls if calls else 0
busy = 100 * (n[4] - c[4]) / 1000 / float(window)
print(t, phase, row, calls and int(calls), round(per(1), 1), round(per(2), 3), round(per(3), 1),
      round(busy, 1), explain, misc.strip())
PY
  prev=$now
  c_calls=$n_calls c_blocks=$n_blocks c_ms=$n_ms c_rows=$n_rows p_ms=$n_p_ms
done
wait "$holder_pid" || true
kill "$pgbench_pid" 2>/dev/null || true
wait "$pgbench_pid" 2>/dev/null || true
q -c "SELECT count(*) FROM mc.stop_workflows()" >/dev/null
SH
echo "xmin_horizon: ${XMIN_RATE} pushes/s, ${XMIN_BEFORE}s before, ${XMIN_HOLD}s holding the xmin horizon, ${XMIN_AFTER}s after"
pg_virtualenv -t -o shared_preload_libraries=pg_cron,pg_stat_statements -o cron.database_name=postgres \
  -o cron.host=/var/run/postgresql -o max_worker_processes=16 -o max_connections=50 \
  -o pg_stat_statements.track=all -o shared_buffers=512MB \
  bash "$inner" 2>/dev/null | tee "$raw"
rm -f "$inner"
python3 - "$raw" "$XMIN_RATE" >"$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l[0].isdigit()]
cols = ("t phase pushed processed backlog oldest qidx pkey table calls cblocks cms crows busy "
        "eblocks erows ems xmin_age dead avs").split()
rows = [dict(zip(cols, r)) for r in rows]
print(f"xmin horizon held during the 'during' windows; intake {sys.argv[2]} pushes/s into the rt queue\n")
print("| window end (s) | phase | pushed/s | processed/s | backlog | oldest pending (s) | queue index kB "
      "| rt_event kB | claim blocks/call | claim ms/call | processing SQL % of time | EXPLAIN claim blocks | EXPLAIN ms | n_dead_tup |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['t']} | {r['phase']} | {r['pushed']} | {r['processed']} | {r['backlog']} | {r['oldest']} | "
          f"{int(r['qidx']):,} | {int(r['table']):,} | {r['cblocks']} | {r['cms']} | {r['busy']} | "
          f"{r['eblocks']} | {r['ems']} | {r['dead']} |")
med = lambda phase, k: statistics.median(float(r[k]) for r in rows if r['phase'] == phase) if any(
    r['phase'] == phase for r in rows) else float('nan')
print()
for k, name in (("processed", "processed/s"), ("backlog", "backlog"), ("cblocks", "claim blocks/call"),
                ("cms", "claim ms/call"), ("busy", "processing SQL % of time"), ("eblocks", "EXPLAIN claim blocks")):
    b, d, a = med("before", k), med("during", k), med("after", k)
    print(f"- {name}: median before {b:g}, during {d:g}, after {a:g}; during/before "
          f"{d / b if b else float('nan'):.2f}")
during = [r for r in rows if r['phase'] == 'during']
if during:
    print(f"- backlog during the hold: min {min(int(r['backlog']) for r in during)}, "
          f"max {max(int(r['backlog']) for r in during)}; queue index "
          f"{int(during[0]['qidx']):,} kB -> {int(during[-1]['qidx']):,} kB; final {int(rows[-1]['qidx']):,} kB")
PY
cat "$out"
