#!/usr/bin/env bash
# Status copy (updateEventsStatus) against one plain UPDATE ... FROM of the same rows, in one
# throwaway cluster, medians of STATUS_RUNS (default 3), EVENTS (default 200000) processed events.
#
# Ours: SELECT mc.update_events_status() copying 'sent' from mc.delivery_log onto every event of
# mc.batch_event. Baseline: the same job as one statement over a table of the same shape
# (bench.event: LIKE mc.batch_event, same columns, defaults and indexes, same fillfactor 45,
# without the CHECK constraints), loaded with the same rows the same way:
#   UPDATE bench.event e SET status = <CASE of d.status>, last_modified_at = now()
#   FROM mc.delivery_log d WHERE d.event_id = e.id AND d.status <> 'pending'
#     AND d.queue = 'batch' AND d.last_modified_at >= '-infinity'
#     AND e.status IS DISTINCT FROM <the same CASE> AND e.processed_at IS NOT NULL
# Before every measured run both tables are reloaded from one processed backlog (TRUNCATE,
# INSERT ... SELECT), vacuumed, analyzed and checkpointed; the two sides alternate which goes
# first. A CHECKPOINT precedes each side, so both write the same full-page images.
#
# STATUS_SKIP_SETUP=1: no build (use what is installed). STATUS_PG_OPTS: extra guc=value.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export EVENTS=${EVENTS:-200000} STATUS_RUNS=${STATUS_RUNS:-3}

if [[ "${1:-}" != "--inside" ]]; then
  if [[ "${STATUS_SKIP_SETUP:-0}" != 1 ]]; then
    make -C "$REPO" -j"$(nproc)" >/dev/null
    make -C "$REPO" install >/dev/null
  fi
  opts=()
  for s in shared_preload_libraries=pg_cron shared_buffers=1GB max_wal_size=8GB \
    checkpoint_timeout=30min autovacuum=off ${STATUS_PG_OPTS:-}; do opts+=(-o "$s"); done
  exec pg_virtualenv -t -v 15 "${opts[@]}" bash "${BASH_SOURCE[0]}" --inside
fi

cd "$REPO"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
log() { echo "[status_copy $(date -u +%H:%M:%S)] $*" >&2; }
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p bench/results
RESULT_FILE=bench/results/status_copy-$STAMP.md
raw=$(mktemp)

q -c "CREATE EXTENSION message_center" -f bench/processing/workload.sql >/dev/null
q -c "SELECT count(mc.create_template(event_type, event_type, 'email', subject => subject,
        body_html => body_html, body_text => body_text)) FROM bench.workload_template" \
  -c "SELECT count(mc.publish_template(event_type)) FROM bench.workload_template" >/dev/null
log "pushing and processing $EVENTS events"
for ((first = 1; first <= EVENTS; first += 10000)); do
  q -c "SELECT count(*) FROM mc.push_events(bench.workload_events(10000, $first), 'batch')" >/dev/null
done
q -c "CALL mc.batch_events_loop('1 hour')" >/dev/null
[ "$(q -c "SELECT count(*) FROM mc.batch_event WHERE status = 'pending_delivery'")" = "$EVENTS" ] ||
  { echo "processing did not process every event" >&2; exit 1; }
# Every delivery reported sent; the processed events kept as the backlog of every run.
q -c "UPDATE mc.delivery_log SET status = 'sent', last_modified_at = clock_timestamp()" \
  -c "CREATE TABLE bench.processed AS SELECT * FROM mc.batch_event" \
  -c "CREATE TABLE bench.event (LIKE mc.batch_event INCLUDING DEFAULTS INCLUDING INDEXES) WITH (fillfactor = 45)" \
  -c "VACUUM ANALYZE mc.delivery_log" >/dev/null

load() {
  q -c "TRUNCATE mc.batch_event, bench.event" \
    -c "INSERT INTO mc.batch_event SELECT * FROM bench.processed ORDER BY id" \
    -c "INSERT INTO bench.event SELECT * FROM bench.processed ORDER BY id" \
    -c "UPDATE mc.workflow_state SET watermark = '-infinity' WHERE workflow = 'updateEventsStatus'" \
    -c "VACUUM ANALYZE mc.batch_event, bench.event, mc.workflow_state" >/dev/null
}
timed() {  # timed SQL: events/s of SQL in one session (after a checkpoint), by psql's \timing
  local ms
  ms=$(printf '%s\n' 'CHECKPOINT;' '\timing on' "$1;" | q | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
  python3 -c "print(round($EVENTS / ($ms / 1000)))"
}
BASELINE="UPDATE bench.event e SET status = CASE d.status WHEN 'sent' THEN 'sent'::mc.event_status
  WHEN 'ignored' THEN 'ignored'::mc.event_status ELSE 'delivery_failed'::mc.event_status END,
  last_modified_at = now()
FROM mc.delivery_log d
WHERE d.event_id = e.id AND d.status <> 'pending' AND d.queue = 'batch'
  AND d.last_modified_at >= '-infinity'
  AND e.status IS DISTINCT FROM (CASE d.status WHEN 'sent' THEN 'sent'::mc.event_status
  WHEN 'ignored' THEN 'ignored'::mc.event_status ELSE 'delivery_failed'::mc.event_status END)
  AND e.processed_at IS NOT NULL"
for run in $(seq 1 "$STATUS_RUNS"); do
  load
  if ((run % 2)); then order="mc plain_update"; else order="plain_update mc"; fi
  for side in $order; do
    if [ "$side" = mc ]; then
      echo "mc $run $(timed "SELECT mc.update_events_status()")" | tee -a "$raw"
      [ "$(q -c "SELECT count(*) FROM mc.batch_event WHERE status = 'sent'")" = "$EVENTS" ] ||
        { echo "the status copy missed events" >&2; exit 1; }
    else
      echo "plain_update $run $(timed "$BASELINE")" | tee -a "$raw"
      [ "$(q -c "SELECT count(*) FROM bench.event WHERE status = 'sent'")" = "$EVENTS" ] ||
        { echo "the baseline missed events" >&2; exit 1; }
    fi
  done
done
# HOT share of our side's updates in the last run (pg_stat of the table).
hot=$(q -c "SELECT round(100.0 * n_tup_hot_upd / nullif(n_tup_upd, 0), 1) FROM pg_stat_user_tables WHERE relid = 'bench.event'::regclass")
python3 - "$raw" "$EVENTS" <<'PY' | tee "$RESULT_FILE"
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, run, v = line.split()
    rows[side].append(int(v))
m, b = statistics.median(rows['mc']), statistics.median(rows['plain_update'])
print(f"| status copy of {int(sys.argv[2]):,} events (median of {len(rows['mc'])}) | mc.update_events_status() events/s | plain UPDATE ... FROM events/s | ratio | target |")
print("|---|---:|---:|---:|---:|")
print(f"| after a checkpoint | {m:,.0f} | {b:,.0f} | {m / b:.2f}x | >= 1.5x {'yes' if m / b >= 1.5 else '**no**'} |")
print("\nper run (ours / baseline): " + ", ".join(f"{x:,} / {y:,}" for x, y in zip(rows['mc'], rows['plain_update'])))
PY
echo "baseline HOT share (bench.event): $hot %" | tee -a "$RESULT_FILE"
