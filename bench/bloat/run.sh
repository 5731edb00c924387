#!/usr/bin/env bash
# No bloat once retention applies: a steady intake (pgbench -R into the rt queue through
# mc.push_event), the real pg_cron workflows (mc.start_workflows(): processing, status copy,
# mcCleanup every minute), a sender claiming and reporting every message each second, with
# event_retention and delivery_log_retention set to BLOAT_RETENTION. Every minute for
# BLOAT_MINUTES it samples the sizes of mc.rt_event and mc.delivery_log (heap, each index,
# TOAST), their row counts, dead tuples and autovacuum runs; the summary compares the sizes at
# minute BLOAT_STEADY (retention has applied) with the last sample. Autovacuum: defaults.
#
#   bash bench/bloat/run.sh                    # 20 minutes
#   BLOAT_MINUTES=3 BLOAT_STEADY=2 bash bench/bloat/run.sh   # smoke run
#
# BLOAT_RATE (default 500) pushes/s, BLOAT_RETENTION (default '2 minutes'),
# BLOAT_SKIP_SETUP=1: no apt-get, no make install.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${BLOAT_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/install-deps.sh
  make -j"$(nproc)" >/dev/null
  make install >/dev/null
fi
export BLOAT_RATE=${BLOAT_RATE:-500} BLOAT_MINUTES=${BLOAT_MINUTES:-20}
export BLOAT_RETENTION=${BLOAT_RETENTION:-2 minutes}
export BLOAT_STEADY=${BLOAT_STEADY:-$((BLOAT_MINUTES < 5 ? BLOAT_MINUTES : 5))}
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw=bench/results/bloat-$stamp.raw
out=bench/results/bloat-$stamp.md
inner=$(mktemp)
cat >"$inner" <<'SH'
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
q -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION message_center" >/dev/null
q >/dev/null <<SQL
SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.order.id}}',
  body_html => '<p>{{ctx.firstName}}</p>{{#ctx.order.items}}<li>{{name}} x{{qty}}</li>{{/ctx.order.items}}',
  body_text => 'Hi {{ctx.firstName}}');
SELECT mc.publish_template('order');
UPDATE mc.settings SET event_retention = '$BLOAT_RETENTION', delivery_log_retention = '$BLOAT_RETENTION';
SQL
q -c "SELECT string_agg(j, ',') FROM mc.start_workflows() j" >&2
echo "waiting for the first pg_cron tick of rtEventsProcessing..." >&2
until [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CALL mc.rt_events_loop%'")" -ge 1 ]; do sleep 0.5; done
total=$((BLOAT_MINUTES * 60))
pgbench -n -M prepared -c 2 -j 2 -R "$BLOAT_RATE" -T $((total + 30)) -f bench/latency/push.sql postgres \
  >/tmp/bloat_pgbench.$$ 2>&1 &
pgbench_pid=$!
# The sender: claims every pending email message each second and reports it sent.
stop=$(mktemp)
( while [ -e "$stop" ]; do
    q -c "SELECT count(mc.report_delivery(event_id, 'sent', lease => lease_token)) FROM mc.claim_messages('email', 5000, '5 minutes')" >/dev/null || true
    sleep 1
  done ) &
sender_pid=$!
start=$(date +%s)
echo "# C minute rt_rows dl_rows backlog unsent rt_dead dl_dead rt_autovacuums dl_autovacuums rt_total_kB dl_total_kB dl_seq_scans/rows_read events_by_status"
echo "# R minute relation kB"
for ((m = 0; m <= BLOAT_MINUTES; m++)); do
  sleep $((start + 60 * m - $(date +%s) > 0 ? start + 60 * m - $(date +%s) : 0))
  q -F' ' <<SQL | sed "s/^/R $m /"
SELECT r.name, pg_relation_size(r.oid) / 1024 FROM (
  SELECT c.relname::text AS name, c.oid FROM pg_class c WHERE c.oid IN ('mc.rt_event'::regclass, 'mc.delivery_log'::regclass)
  UNION ALL
  SELECT i.indexrelid::regclass::text, i.indexrelid FROM pg_index i
  WHERE i.indrelid IN ('mc.rt_event'::regclass, 'mc.delivery_log'::regclass)
) r ORDER BY r.name;
SELECT c.relname || '_toast', pg_total_relation_size(c.reltoastrelid) / 1024 FROM pg_class c
WHERE c.oid IN ('mc.rt_event'::regclass, 'mc.delivery_log'::regclass);
SQL
  q -F' ' <<SQL | sed "s/^/C $m /"
SELECT (SELECT count(*) FROM mc.rt_event), (SELECT count(*) FROM mc.delivery_log),
       (SELECT count(*) FROM mc.rt_event WHERE processed_at IS NULL),
       (SELECT count(*) FROM mc.delivery_log WHERE status = 'pending'),
       (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'mc.rt_event'::regclass),
       (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'mc.delivery_log'::regclass),
       (SELECT autovacuum_count FROM pg_stat_user_tables WHERE relid = 'mc.rt_event'::regclass),
       (SELECT autovacuum_count FROM pg_stat_user_tables WHERE relid = 'mc.delivery_log'::regclass),
       pg_total_relation_size('mc.rt_event') / 1024, pg_total_relation_size('mc.delivery_log') / 1024,
       (SELECT seq_scan || '/' || seq_tup_read FROM pg_stat_user_tables WHERE relid = 'mc.delivery_log'::regclass),
       (SELECT string_agg(status::text || '=' || n, ',' ORDER BY status)
        FROM (SELECT status, count(*) n FROM mc.rt_event GROUP BY status) s)
SQL
done
rm -f "$stop"
kill "$pgbench_pid" 2>/dev/null || true
wait "$pgbench_pid" 2>/dev/null || true
wait "$sender_pid" || true
q -F' ' -c "SELECT 'W', workflow, last_status, replace(coalesce(left(last_message, 60), ''), ' ', '_') FROM mc.workflow_status"
q -F' ' -c "SELECT 'F', count(*) FILTER (WHERE status = 'failed'), count(*) FROM cron.job_run_details"
# mcCleanup's runs: how long each lasted (it loops while a batch deletes something, up to 5 minutes)
q -F' ' -c "SELECT 'K', count(*), round(avg(extract(epoch FROM end_time - start_time))), round(max(extract(epoch FROM end_time - start_time)))
            FROM cron.job_run_details r JOIN cron.job j USING (jobid) WHERE j.jobname = 'mcCleanup' AND end_time IS NOT NULL"
q -c "SELECT count(*) FROM mc.stop_workflows()" >/dev/null
SH
echo "bloat: ${BLOAT_RATE} pushes/s for ${BLOAT_MINUTES} min, retention ${BLOAT_RETENTION}"
pg_virtualenv -t -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o cron.host=/var/run/postgresql -o max_worker_processes=16 -o max_connections=50 \
  -o shared_buffers=512MB \
  bash "$inner" 2>/dev/null | tee "$raw"
rm -f "$inner"
python3 - "$raw" "$BLOAT_STEADY" >"$out" <<'PY'
import collections, sys
steady = int(sys.argv[2])
sizes = collections.defaultdict(dict)
counts = {}
for line in open(sys.argv[1]):
    p = line.split()
    if p and p[0] == 'R':
        sizes[p[2]][int(p[1])] = int(p[3])
    elif p and p[0] == 'C':
        counts[int(p[1])] = p[2:]
last = max(counts)
print("| minute | rt_event rows | delivery_log rows | pending events | unsent messages | rt_event dead | "
      "delivery_log dead | autovacuums rt/dl | rt_event total kB | delivery_log total kB | delivery_log seq scans / rows read | events by status |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for m in sorted(counts):
    c = counts[m]
    print(f"| {m} | {int(c[0]):,} | {int(c[1]):,} | {c[2]} | {c[3]} | {int(c[4]):,} | {int(c[5]):,} | "
          f"{c[6]}/{c[7]} | {int(c[8]):,} | {int(c[9]):,} | {c[10]} | {c[11] if len(c) > 11 else ''} |")
print(f"\n| relation | kB at minute {steady} | kB at minute {last} | growth |")
print("|---|---:|---:|---:|")
for name in sorted(sizes):
    a, b = sizes[name].get(steady), sizes[name].get(last)
    if a is None or b is None:
        continue
    g = f"{100 * (b - a) / a:+.1f} %" if a else ("0" if b == 0 else "new")
    print(f"| {name} | {a:,} | {b:,} | {g} |")
tot = lambda m: int(counts[m][8]) + int(counts[m][9])
print(f"\nBoth tables, total: {tot(steady):,} kB at minute {steady}, {tot(last):,} kB at minute {last} "
      f"({100 * (tot(last) - tot(steady)) / tot(steady):+.1f} %)")
for line in open(sys.argv[1]):
    if line.startswith(('W ', 'F ', 'K ')):
        print("    " + line.rstrip())
PY
cat "$out"
