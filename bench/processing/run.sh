#!/usr/bin/env bash
# Processing throughput: message_center's batch processing against plain SQL baselines draining
# the same backlog in the same throwaway cluster, medians of RUNS (default 3). Variables:
#   WORKLOAD        long (default: 2 KB emails, workload.sql, baseline.sql) or short (three
#                   interpolations, text only, SMS/push: workload_short.sql, baseline_short.sql)
#   EVENTS          backlog size (default 200000)
#   WORKERS         worker counts (default "1 2")
#   SHARED_BUFFERS  the cluster's shared_buffers (default 128MB, PostgreSQL's default)
#   STATUS_COPY     1: also time mc.update_events_status() (default 1 for long, 0 for short)
#   SKIP_BUILD      1: use the installed extension as it is
#   PROFILE         1: one more 1-worker drain under `perf record`, its time split into the
#                   parts of a batch (claim, routing and rendering, message rows, event update),
#                   set against what 2x the faster baseline leaves per event (needs perf)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${SKIP_BUILD:-0}" = 1 ] || bash scripts/build.sh
export WORKLOAD=${WORKLOAD:-long} EVENTS=${EVENTS:-200000} RUNS=${RUNS:-3} WORKERS=${WORKERS:-1 2}
SHARED_BUFFERS=${SHARED_BUFFERS:-128MB}
if [ "$WORKLOAD" = long ]; then export STATUS_COPY=${STATUS_COPY:-1}; else export STATUS_COPY=${STATUS_COPY:-0}; fi
case "$WORKLOAD" in long | short) ;; *) echo "WORKLOAD is long or short, not $WORKLOAD" >&2; exit 2 ;; esac
out=/tmp/processing-bench-$WORKLOAD-$EVENTS-$SHARED_BUFFERS.txt
inner=$(mktemp)
cat >"$inner" <<'SH'
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
if [ "$WORKLOAD" = long ]; then
  q -c "CREATE EXTENSION message_center" -f bench/processing/workload.sql -f bench/processing/baseline.sql \
    -f bench/processing/setup.sql >/dev/null
  events_fn=bench.workload_events update_style=base.process_update_style queue_style=base.process_queue_style
else
  q -c "CREATE EXTENSION message_center" -f bench/processing/workload.sql \
    -f bench/processing/workload_short.sql -f bench/processing/baseline.sql -f bench/processing/baseline_short.sql \
    -f bench/processing/setup_short.sql >/dev/null
  events_fn=bench.short_events update_style=base.process_short_update_style
  queue_style=base.process_short_queue_style
fi
echo "settings $(q -c "SELECT current_setting('shared_buffers')") $WORKLOAD $EVENTS"
load() {  # a fresh backlog of $EVENTS events in mc.batch_event and the same rows in base.event
  q -c "TRUNCATE mc.batch_event, mc.delivery_log, base.event, base.message, base.queue" \
    -c "DELETE FROM mc.delivery" >/dev/null
  for ((first = 1; first <= EVENTS; first += 10000)); do
    q -c "SELECT count(*) FROM mc.push_events($events_fn(least(10000, $EVENTS - $first + 1), $first), 'batch')" >/dev/null
  done
  q -c "INSERT INTO base.event SELECT * FROM mc.batch_event" \
    -c "INSERT INTO base.queue SELECT id FROM base.event" \
    -c "VACUUM ANALYZE mc.batch_event, base.event, base.queue" -c "CHECKPOINT" >/dev/null
}
timed() {  # timed WORKERS COMMAND: events/s of WORKERS sessions running COMMAND until drained
  local workers=$1 command=$2 start end
  start=$(date +%s.%N)
  for ((w = 0; w < workers; w++)); do q -c "$command" >/dev/null & done
  wait
  end=$(date +%s.%N)
  python3 -c "print(round($EVENTS / ($end - $start)))"
}
for run in $(seq 1 "$RUNS"); do
  for workers in $WORKERS; do
    load
    echo "mc $workers $(timed "$workers" "CALL mc.batch_events_loop('1 hour')")"
    [ "$(q -c "SELECT count(*) FROM mc.batch_event WHERE status = 'pending_delivery'")" = "$EVENTS" ] ||
      { echo "message_center did not process every event" >&2; exit 1; }
    [ "$(q -c "SELECT count(*) FROM mc.delivery_log")" = "$EVENTS" ] ||
      { echo "message_center did not write one message per event" >&2; exit 1; }
    echo "update_style $workers $(timed "$workers" "CALL $update_style()")"
    [ "$(q -c "SELECT count(*) FROM base.message")" = "$EVENTS" ] ||
      { echo "baseline did not process every event" >&2; exit 1; }
    q -c "TRUNCATE base.message" -c "VACUUM ANALYZE base.event" -c "CHECKPOINT" >/dev/null
    echo "queue_style $workers $(timed "$workers" "CALL $queue_style()")"
    [ "$(q -c "SELECT count(*) FROM base.message")" = "$EVENTS" ] ||
      { echo "baseline did not process every event" >&2; exit 1; }
    if [ "$WORKLOAD" = short ] && [ "$workers" = 1 ]; then  # the floor: both writes, nothing else
      q -c "TRUNCATE base.message" -c "UPDATE base.event SET status = 'pending', processed_at = NULL, template_id = NULL" \
        -c "VACUUM FULL base.event" -c "ANALYZE base.event" -c "CHECKPOINT" >/dev/null
      echo "floor 1 $(timed 1 "CALL base.floor_both_writes()")"
      [ "$(q -c "SELECT count(*) FROM base.message")" = "$EVENTS" ] ||
        { echo "the floor did not write every event" >&2; exit 1; }
    fi
  done
done
if [ "${PROFILE:-0}" = 1 ]; then  # where a 1-worker drain's time goes, untimed
  load
  psql -X -q -At -c "SELECT pg_backend_pid()" -c "SELECT pg_sleep(0.3)" \
    -c "CALL mc.batch_events_loop('1 hour')" >"$PROFILE_DIR/pid" &
  drain=$!
  for _ in $(seq 50); do [ -s "$PROFILE_DIR/pid" ] && break; sleep 0.01; done
  perf record -F 999 -g -p "$(head -1 "$PROFILE_DIR/pid")" -o "$PROFILE_DIR/perf.data" >/dev/null 2>&1 &
  wait "$drain"
  wait
  # Inclusive shares of the batch's parts among the samples of the drain (the parts do not
  # nest: a sample's stack shows one of them at most; "rest" is every other sample).
  perf script -i "$PROFILE_DIR/perf.data" 2>/dev/null | python3 -c '
import sys
parts = [("message_rows", "insert_logs_direct"), ("event_update", "update_events_direct"),
         ("claim", "claim_events"), ("routing_rendering", "decide_events")]
count = dict((p, 0) for p, _ in parts); count["rest"] = 0; total = 0; stack = []
def flush():
    global total
    if not stack: return
    total += 1
    for p, frame in parts:
        if any(frame in s for s in stack): count[p] += 1; break
    else: count["rest"] += 1
for line in sys.stdin:
    if not line.strip(): flush(); stack = []
    elif line[0] in " \t": stack.append(line)
flush()
for p in count: print("profile", p, round(count[p] / max(total, 1), 4))
'
fi
[ "$STATUS_COPY" = 1 ] || exit 0
# The status copy (updateEventsStatus) of the whole processed backlog, every delivery reported
# sent, two ways per run (alternating which goes first):
# - flow: as in the workflows, in the checkpoint cycle in which the events were processed
#   (processing has already written each page's full-page image);
# - after_checkpoint: a checkpoint just before, so that every page the copy updates first
#   writes a full-page image to WAL: the worst case, for a copy that spans a checkpoint.
for run in $(seq 1 "$RUNS"); do
  if ((run % 2)); then variants="flow after_checkpoint"; else variants="after_checkpoint flow"; fi
  for variant in $variants; do
    load
    q -c "CALL mc.batch_events_loop('1 hour')" >/dev/null
    q -c "UPDATE mc.delivery_log SET status = 'sent', last_modified_at = clock_timestamp()" \
      -c "UPDATE mc.workflow_state SET watermark = '-infinity'" \
      -c "VACUUM ANALYZE mc.delivery_log, mc.batch_event" >/dev/null
    if [ "$variant" = after_checkpoint ]; then q -c "CHECKPOINT" >/dev/null; fi
    echo "status_copy_$variant 1 $(timed 1 "SELECT mc.update_events_status()")"
    [ "$(q -c "SELECT count(*) FROM mc.batch_event WHERE status = 'sent'")" = "$EVENTS" ] ||
      { echo "the status copy missed events" >&2; exit 1; }
  done
done
SH
export PROFILE_DIR=$(mktemp -d)
chmod 777 "$PROFILE_DIR"
pg_virtualenv -t -o shared_buffers="$SHARED_BUFFERS" -o max_wal_size=4GB -o checkpoint_timeout=30min \
  bash "$inner" 2>/dev/null | tee "$out" | grep -E '^(settings|mc|update_style|queue_style|floor|profile|status_copy_[a-z_]+) '
OUT=$out python3 - <<'PY'
import os, statistics, collections
rows = collections.defaultdict(list)
for line in open(os.environ['OUT']):
    p = line.split()
    if len(p) == 3 and (p[0] in ('mc', 'update_style', 'queue_style', 'floor') or p[0].startswith('status_copy_')):
        rows[(p[0], int(p[1]))].append(int(p[2]))
print(f"\n{os.environ['WORKLOAD']} workload, {int(os.environ['EVENTS']):,} events, medians of "
      f"{os.environ['RUNS']}:\n")
print("| workers | message_center events/s | baseline update style | baseline queue style | ratio vs faster baseline | per-run ratios |")
print("|---:|---:|---:|---:|---:|---|")
for w in sorted({k[1] for k in rows if k[0] == 'mc'}):
    m = statistics.median(rows[('mc', w)]); u = statistics.median(rows[('update_style', w)]); q = statistics.median(rows[('queue_style', w)])
    per_run = ", ".join(f"{a / max(b, c):.2f}" for a, b, c in zip(rows[('mc', w)], rows[('update_style', w)], rows[('queue_style', w)]))
    print(f"| {w} | {m:,.0f} | {u:,.0f} | {q:,.0f} | {m / max(u, q):.2f}x | {per_run} |")
f = rows[('floor', 1)]
if f:
    m = rows[('mc', 1)]
    print(f"\nThe floor (both writes alone, 1 session): {statistics.median(f):,.0f} events/s (runs "
          + ", ".join(f"{x:,}" for x in f) + f"); message_center with 1 worker reaches "
          f"{statistics.median(m) / statistics.median(f):.2f} of it (per run "
          + ", ".join(f"{a / b:.2f}" for a, b in zip(m, f)) + ")")
shares = {}
for line in open(os.environ['OUT']):
    p = line.split()
    if len(p) == 3 and p[0] == 'profile':
        shares[p[1]] = float(p[2])
if shares and rows[('mc', 1)]:
    m = statistics.median(rows[('mc', 1)])
    fastest = max(statistics.median(rows[('update_style', 1)]), statistics.median(rows[('queue_style', 1)]))
    us = 1e6 / m
    print(f"\nWhere a 1-worker event's {us:.2f} us go (shares of a profiled drain, `perf record -g`, "
          f"applied to the median 1-worker rate above), against 2x the faster baseline, "
          f"{1e6 / (2 * fastest):.2f} us per event:\n")
    print("| part | share | us per event |")
    print("|---|---:|---:|")
    names = {'message_rows': 'message rows (delivery-log insert, 3 indexes)', 'event_update':
             'event update (leaves the queue: 2 index entries)', 'claim': 'claim',
             'routing_rendering': 'routing and rendering', 'rest': 'the rest (commit, loop)'}
    for k in ('message_rows', 'event_update', 'claim', 'routing_rendering', 'rest'):
        print(f"| {names[k]} | {100 * shares.get(k, 0):.1f} % | {us * shares.get(k, 0):.2f} |")
    writes = us * (shares.get('message_rows', 0) + shares.get('event_update', 0))
    print(f"\nThe two writes alone: {writes:.2f} us per event, "
          f"{writes / (1e6 / (2 * fastest)):.2f}x the budget of 2x the faster baseline.")
for variant in ('flow', 'after_checkpoint'):
    v = rows[(f'status_copy_{variant}', 1)]
    if v:
        print(f"\nupdateEventsStatus, {variant}: {statistics.median(v):,.0f} events/s copied (median; runs "
              + ", ".join(f"{x:,}" for x in v) + "; target >= 200,000)")
PY
