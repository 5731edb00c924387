#!/usr/bin/env bash
# Archiving throughput: rows per second that one archiving pass (CALL mc.synchronize_instance)
# pulls from an execution instance into the control instance's archive, against a plain
# INSERT ... SELECT of the same rows through the same postgres_fdw server (same fetch_size), in
# the same run. Two clusters on loopback (control, execution instance 1), a backlog of EVENTS
# (default 200000) processed events, half rt and half batch, with ~1 KB ctx and their delivery
# logs (most reported sent, 1 in 10 failed). Medians of RUNS (default 3), the two sides
# alternating (and swapping which goes first); both start from empty tables, vacuumed and
# checkpointed. Rows/s = (events + delivery logs) / seconds, for both.
#
# As root (the servers run as user postgres, children of this script). Ports:
# ARCHIVE_PORT_BASE (default 5521) for the control, +1 for the execution instance.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${ARCHIVE_SKIP_BUILD:-}" ] || bash scripts/build.sh
events=${EVENTS:-200000}
runs=${RUNS:-3}
base=${ARCHIVE_PORT_BASE:-5521}
bindir=$(pg_config --bindir)
dir=$(mktemp -d /tmp/mc-archive-bench.XXXXXX)
chown postgres "$dir"
export PGHOST=$dir PGUSER=postgres PGDATABASE=postgres
declare -A port=([ctl]=$base [exec]=$((base + 1)))
declare -A pm=()
mkdir -p bench/results
out=bench/results/archiving-$(date -u +%Y%m%dT%H%M%SZ).md

start() {
  local n=$1
  setsid setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bindir/postgres" -D "$dir/$n" -p "${port[$n]}" -k "$dir" -c listen_addresses=127.0.0.1 \
    -c shared_buffers=1GB -c max_wal_size=4GB -c checkpoint_timeout=30min \
    -c autovacuum=off >>"$dir/$n.log" 2>&1 &
  pm[$n]=$!
  for _ in $(seq 1 300); do pg_isready -q -p "${port[$n]}" && return 0; sleep 0.1; done
  tail -20 "$dir/$n.log"; echo "cluster $n did not start" >&2; exit 1
}
cleanup() {
  for n in ctl exec; do
    [ -n "${pm[$n]:-}" ] && { kill -INT "${pm[$n]}" 2>/dev/null; wait "${pm[$n]}" 2>/dev/null; }
  done
  rm -rf "$dir"
}
trap cleanup EXIT
on() { local n=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -p "${port[$n]}" "$@"; }

for n in ctl exec; do
  setpriv --reuid=postgres --regid=postgres --init-groups "$bindir/initdb" -D "$dir/$n" -A trust -U postgres >/dev/null
  start "$n"
done

# --- the execution instance: a processed, delivered backlog -----------------------------------------
on exec -c "CREATE EXTENSION message_center" -c "SELECT mc.set_instance_id(1)" \
  -c "SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.order.id}} confirmed',
        body_html => '<p>Hello {{ctx.firstName}},</p><p>thank you for your order {{ctx.order.id}}.</p><ul>{{#ctx.order.items}}<li>{{name}} x{{qty}}: {{price}}</li>{{/ctx.order.items}}</ul><p>{{ctx.shop.name}}, {{ctx.shop.address}}</p>',
        body_text => 'Hello {{ctx.firstName}}, order {{ctx.order.id}}', sender => 'shop@example.com')" \
  -c "SELECT mc.publish_template('order')" >/dev/null
push() {  # push QUEUE FIRST COUNT: events with a ~1 KB ctx (an order of 8 lines, a shop, a note)
  on exec -c "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object(
      'type', 'order_confirmed', 'email', format('customer%s@example.com', g), 'externalId', g,
      'origin', 'web', 'language', 'en', 'country', 'FR',
      'ctx', jsonb_build_object('firstName', 'Ada', 'order', jsonb_build_object('id', g,
          'items', (SELECT jsonb_agg(jsonb_build_object('sku', format('SKU-%s-%s', g, i), 'name', format('Article number %s', i),
                                                        'qty', i, 'price', format('%s.99 EUR', i * 7))) FROM generate_series(1, 8) i)),
        'shop', jsonb_build_object('name', 'Example shop', 'address', '12 rue de l''Exemple, 75001 Paris'),
        'note', repeat('lorem ipsum ', 30))))
    FROM generate_series($2, $2 + $3 - 1) g), '$1')" >/dev/null
}
for ((first = 1; first <= events; first += 10000)); do
  n=$((events - first + 1 < 10000 ? events - first + 1 : 10000))
  if (((first / 10000) % 2 == 0)); then push rt "$first" "$n"; else push batch "$first" "$n"; fi
done
until [ "$(on exec -c "SELECT mc.batch_events_processing(50000)")" = 0 ]; do :; done
until [ "$(on exec -c "SELECT mc.rt_events_processing(50000)")" = 0 ]; do :; done
on exec -c "UPDATE mc.delivery_log SET status = CASE WHEN event_id % 10 = 1 THEN 'failed' ELSE 'sent' END::mc.delivery_status,
              failure_reason = CASE WHEN event_id % 10 = 1 THEN 'user_unknown' END, attempts = 1, last_modified_at = clock_timestamp()" \
  -c "SELECT mc.update_events_status()" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
read -r ev logs ctx_bytes <<<"$(on exec -F ' ' -c "SELECT (SELECT count(*) FROM mc.event WHERE processed_at IS NOT NULL),
  (SELECT count(*) FROM mc.delivery_log), (SELECT round(avg(pg_column_size(ctx))) FROM mc.event)")"
[ "$ev" = "$events" ] || { echo "expected $events processed events, got $ev" >&2; exit 1; }
rows=$((ev + logs))

# --- the control instance: the execution instance registered, the baseline's tables ---------------
on ctl -c "CREATE EXTENSION postgres_fdw" -c "CREATE EXTENSION message_center" \
  -c "SELECT mc.register_execution_instance('exec1', 1, 'host=127.0.0.1 port=${port[exec]} dbname=postgres user=postgres')" \
  -c "CREATE SCHEMA bench_remote" \
  -c "IMPORT FOREIGN SCHEMA mc LIMIT TO (rt_event, batch_event, delivery_log) FROM SERVER mc_exec_exec1 INTO bench_remote" \
  -c "CREATE SCHEMA bench" \
  -c "CREATE TABLE bench.rt_event (LIKE bench_remote.rt_event, PRIMARY KEY (id))" \
  -c "CREATE TABLE bench.batch_event (LIKE bench_remote.batch_event, PRIMARY KEY (id))" \
  -c "CREATE TABLE bench.delivery_log (LIKE bench_remote.delivery_log, PRIMARY KEY (event_id))" \
  -c "CREATE TABLE bench.event_histo (LIKE mc.event_histo INCLUDING ALL)" \
  -c "CREATE TABLE bench.broadlog_event_histo (LIKE mc.broadlog_event_histo INCLUDING ALL)" >/dev/null
fetch_size=$(on ctl -c "SELECT option_value FROM pg_options_to_table((SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'mc_exec_exec1')) WHERE option_name = 'fetch_size'")

reset() {
  on ctl -c "TRUNCATE mc.event_histo, mc.broadlog_event_histo, bench.rt_event, bench.batch_event, bench.delivery_log,
              bench.event_histo, bench.broadlog_event_histo" \
    -c "UPDATE mc.archive_state SET watermark = '-infinity', events_through = '-infinity', logs_through = '-infinity'" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
  on exec -c "CHECKPOINT" >/dev/null
}
timed() {  # timed SQL...: seconds for one psql session running them
  local t0 t1
  t0=$(date +%s.%N)
  on ctl "$@" >/dev/null
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.3f}')"
}
archive() {
  local s
  s=$(timed -c "CALL mc.synchronize_instance('exec1')")
  [ "$(on ctl -c "SELECT (SELECT count(*) FROM mc.event_histo) + (SELECT count(*) FROM mc.broadlog_event_histo)")" = "$rows" ] ||
    { echo "the archive run did not take every row" >&2; exit 1; }
  echo "archive $s"
}
baseline() {
  local s
  s=$(timed -c "BEGIN" -c "INSERT INTO bench.rt_event SELECT * FROM bench_remote.rt_event" \
    -c "INSERT INTO bench.batch_event SELECT * FROM bench_remote.batch_event" \
    -c "INSERT INTO bench.delivery_log SELECT * FROM bench_remote.delivery_log" -c "COMMIT")
  [ "$(on ctl -c "SELECT (SELECT count(*) FROM bench.rt_event) + (SELECT count(*) FROM bench.batch_event) + (SELECT count(*) FROM bench.delivery_log)")" = "$rows" ] ||
    { echo "the baseline did not copy every row" >&2; exit 1; }
  echo "baseline $s"
}
# Diagnostic, not a baseline: the archive's two reads (its feed views, the watermark pushed
# down) inserted into tables of the archive's shape (same indexes), plainly: no ON CONFLICT, no
# outcome update, no publication retry, horizon or cursor round trips.
feed_insert() {
  local s
  s=$(timed -c "BEGIN" -c "INSERT INTO bench.event_histo (id, instance_id, queue, status, wished_channel, error_count,
      created_at, last_modified_at, scheduled_at, expires_at, processed_at, template_name, event_type, email,
      mobile_phone, external_id, origin, idempotency_key, language, country, last_error, ctx)
    SELECT f.id, 1, f.queue, f.status, f.wished_channel, f.error_count, f.created_at, f.last_modified_at,
      f.scheduled_at, f.expires_at, f.processed_at, f.template_name, f.event_type, f.email, f.mobile_phone,
      f.external_id, f.origin, f.idempotency_key, f.language, f.country, f.last_error, f.ctx
    FROM mc_exec_exec1.archive_event_feed f WHERE f.processed_at >= '-infinity'" \
    -c "INSERT INTO bench.broadlog_event_histo (event_id, instance_id, queue, status, channel, template_name,
      delivery_month, attempts, created_at, last_modified_at, address, sender, subject, body_html, body_text,
      push_data, webhook_url, failure_reason)
    SELECT l.event_id, 1, l.queue, l.status, l.channel, l.template_name, l.delivery_month, l.attempts,
      l.created_at, l.last_modified_at, l.address, l.sender, l.subject, l.body_html, l.body_text, l.push_data,
      l.webhook_url, l.failure_reason
    FROM mc_exec_exec1.archive_log_feed l WHERE l.last_modified_at >= '-infinity'" -c "COMMIT")
  [ "$(on ctl -c "SELECT (SELECT count(*) FROM bench.event_histo) + (SELECT count(*) FROM bench.broadlog_event_histo)")" = "$rows" ] ||
    { echo "the feed insert did not copy every row" >&2; exit 1; }
  echo "feed_insert $s"
}
raw=$dir/runs.txt
for run in $(seq 1 "$runs"); do
  if ((run % 2)); then order="archive baseline feed_insert"; else order="baseline archive feed_insert"; fi
  for side in $order; do
    reset
    $side | tee -a "$raw"
  done
done

# --- where the time goes: the remote queries, and reading them without writing anything -----------
reset
# (EXPLAIN ANALYZE runs the scan and drops the rows: every column crosses the connection.)
feed_read=$(timed -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM mc_exec_exec1.archive_event_feed f WHERE f.processed_at >= '-infinity'" \
  -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM mc_exec_exec1.archive_log_feed l WHERE l.last_modified_at >= '-infinity'")
raw_read=$(timed -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM bench_remote.rt_event" \
  -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM bench_remote.batch_event" \
  -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM bench_remote.delivery_log")
# The execution instance alone turning the feeds into text (what postgres_fdw receives).
remote_text=$(t0=$(date +%s.%N); on exec -c "COPY (SELECT * FROM mc.archive_event_feed WHERE processed_at >= '-infinity') TO '/dev/null'" \
  -c "COPY (SELECT * FROM mc.archive_log_feed WHERE last_modified_at >= '-infinity') TO '/dev/null'" >/dev/null
  t1=$(date +%s.%N); python3 -c "print(f'{$t1 - $t0:.3f}')")
# (A parameter, as in mc.archive_instance's EXECUTE ... USING: postgres_fdw ships it as $1.)
explain_ctl=$(on ctl -c "SET plan_cache_mode = force_generic_plan" \
  -c "PREPARE feed (timestamptz) AS SELECT * FROM mc_exec_exec1.archive_event_feed f WHERE f.processed_at >= \$1" \
  -c "EXPLAIN VERBOSE EXECUTE feed (now() - interval '1 hour')" | grep -E "Remote SQL|Foreign Scan")
remote_sql=$(on ctl -c "EXPLAIN VERBOSE SELECT * FROM mc_exec_exec1.archive_event_feed f WHERE f.processed_at >= '-infinity'" | sed -n 's/^ *Remote SQL: //p')
explain_exec=$(on exec -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ${remote_sql}" | grep -vE "^ *(Buffers|Planning|Sort Method)" | head -30)

python3 - "$raw" "$rows" "$ev" "$logs" "$ctx_bytes" "$fetch_size" "$feed_read" "$raw_read" "$remote_text" <<'PY' | tee "$out"
import statistics, sys
raw, rows, ev, logs, ctx, fetch, feed_read, raw_read, remote_text = sys.argv[1:10]
rows, ev, logs = int(rows), int(ev), int(logs)
times = {"archive": [], "baseline": [], "feed_insert": []}
for line in open(raw):
    side, s = line.split()
    times[side].append(float(s))
a, b = statistics.median(times["archive"]), statistics.median(times["baseline"])
ratio = (rows / a) / (rows / b)
print(f"Archiving throughput, one execution instance: {ev:,} processed events (rt and batch, ctx ~{ctx} bytes stored) "
      f"+ {logs:,} delivery logs = {rows:,} rows; postgres_fdw fetch_size {fetch}; medians of {len(times['archive'])} runs.\n")
print("| what | seconds (median) | rows/s | ratio | target |")
print("|---|---:|---:|---:|---:|")
print(f"| `CALL mc.synchronize_instance('exec1')`, empty archive | {a:.2f} | {rows / a:,.0f} | {ratio:.2f} | ≥ 0.80 {'' if ratio >= 0.8 else '**no**'} |")
print(f"| baseline: `INSERT INTO <copy> SELECT * FROM <foreign table>` x3 (same server) | {b:.2f} | {rows / b:,.0f} | 1.00 | |")
f = statistics.median(times["feed_insert"])
print(f"| diagnostic: the archive's feeds, plain `INSERT ... SELECT` into tables of the archive's shape | {f:.2f} | {rows / f:,.0f} | {(rows / f) / (rows / b):.2f} | |")
print("\nper run (s): " + "; ".join(f"{k} " + ", ".join(f"{t:.2f}" for t in v) for k, v in times.items()))
print(f"reading only, nothing written (s): the archive's two feeds through postgres_fdw {float(feed_read):.2f}, "
      f"the baseline's three tables {float(raw_read):.2f}; the execution instance producing the two feeds as text "
      f"(COPY TO /dev/null, no network, no parsing) {float(remote_text):.2f}")
PY
{
  echo
  echo "Remote SQL of the event feed (watermark pushed down):"
  echo '```'
  echo "$explain_ctl"
  echo '```'
  echo "On the execution instance, from the beginning (watermark -infinity):"
  echo '```'
  echo "$explain_exec"
  echo '```'
} | tee -a "$out"
echo "(written to $out)"
