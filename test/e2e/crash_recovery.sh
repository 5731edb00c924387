#!/usr/bin/env bash
# Crash safety of processing: kill -9 the processing backend, or the postmaster with all its
# processes, while batches are being processed; restart; check that every event is pending or
# processed with exactly one delivery-log row, and that nothing is orphaned. Then drain.
#
# Runs its own cluster (a child of this script, so that it can be reaped and restarted; the
# sandbox's PID 1 does not reap). As root: the server runs as user postgres.
# MC_CRASH_LOOPS (default 20) sets the number of crashes.
set -euo pipefail
loops=${MC_CRASH_LOOPS:-20}
per_loop=${MC_CRASH_EVENTS:-20000}
port=${MC_CRASH_PORT:-5499}
bindir=$(pg_config --bindir)
dir=$(mktemp -d /tmp/mc-crash.XXXXXX)
chown postgres "$dir"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
pm=
start() {
  setsid setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bindir/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses= \
    -c fsync=off -c max_connections=20 >>"$dir/server.log" 2>&1 &
  pm=$!
  for _ in $(seq 1 300); do pg_isready -q && return 0; sleep 0.1; done
  echo "server did not start"; tail -20 "$dir/server.log"; exit 1
}
stop_all() {  # the postmaster and every process it started, at once (each child has its own session)
  local children
  children=$(pgrep -P "$pm" || true)
  kill -9 "$pm" $children 2>/dev/null || true
  wait "$pm" 2>/dev/null || true
  for c in $children; do  # gone, or a zombie (which holds no shared memory)
    while [ -e "/proc/$c" ] && [ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" != Z ]; do sleep 0.05; done
  done
}
trap 'stop_all; rm -rf "$dir"' EXIT
q() { if [ "$1" = ">/dev/null" ]; then shift; fi; psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

start
q "CREATE EXTENSION message_center"
q >/dev/null "SELECT mc.create_template('t', 'order', 'email', subject => 'S {{ctx.n}}', body_html => '{{#ctx.items}}<i>{{.}}</i>{{/ctx.items}}', body_text => 'x')"
q >/dev/null "SELECT mc.create_template('bad', 'broken', 'email', subject => 's', body_text => '{{> nowhere}}')"
q "SELECT mc.publish_template('t')" >/dev/null
q "SELECT mc.publish_template('bad')" >/dev/null

check() {
  local bad
  bad=$(q "SELECT
    (SELECT count(*) FROM mc.delivery_log d WHERE NOT EXISTS (SELECT FROM mc.event e WHERE e.id = d.event_id))
  + (SELECT count(*) FROM mc.event e WHERE e.status = 'pending_delivery' AND NOT EXISTS (SELECT FROM mc.delivery_log d WHERE d.event_id = e.id))
  + (SELECT count(*) FROM mc.event e WHERE e.status IN ('pending', 'not_taken_into_account', 'expired') AND EXISTS (SELECT FROM mc.delivery_log d WHERE d.event_id = e.id))
  + (SELECT count(*) FROM mc.event e WHERE (e.status = 'pending') <> (e.processed_at IS NULL))")
  if [ "$bad" != 0 ]; then echo "not ok - $1: $bad events in a state they must not be in"; exit 1; fi
}

pushed=0
for i in $(seq 1 "$loops"); do
  q "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', CASE WHEN g % 50 = 0 THEN 'broken' ELSE 'order' END, 'email', format('u%s@example.com', g), 'ctx', jsonb_build_object('n', g, 'items', jsonb_build_array(1, 2, 3)))) FROM generate_series(1, $per_loop) g), 'batch')" >/dev/null
  pushed=$((pushed + per_loop))
  psql -X -q -c "CALL mc.batch_events_loop('20 seconds')" >/dev/null 2>&1 &
  client=$!
  sleep "0.$((RANDOM % 40 + 5))"  # 0.05-0.44 s: inside the batches
  if [ $((i % 2)) -eq 1 ]; then
    worker=$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE 'CALL mc.batch_events_loop%'")
    [ -n "$worker" ] && kill -9 "$worker"
    what="backend"
    for _ in $(seq 1 300); do pg_isready -q && q "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
  else
    stop_all
    what="postmaster"
    start
  fi
  wait "$client" 2>/dev/null || true
  check "after killing the $what (crash $i)"
  echo "ok $i - killed the $what mid-batch: $(q "SELECT count(*) FILTER (WHERE status <> 'pending') || ' processed, ' || count(*) FILTER (WHERE status = 'pending') || ' pending' FROM mc.event")"
done

until [ "$(q "SELECT mc.batch_events_processing(100000)")" = 0 ]; do :; done
check "after draining"
[ "$(q "SELECT count(*) FROM mc.event")" = "$pushed" ] || { echo "not ok - events lost"; exit 1; }
[ "$(q "SELECT count(*) FROM mc.event WHERE status = 'pending' AND error_count = 0")" = 0 ] || { echo "not ok - events left unprocessed"; exit 1; }
[ "$(q "SELECT count(*) FROM mc.delivery_log")" = "$(q "SELECT count(*) FROM mc.event WHERE status = 'pending_delivery'")" ] || { echo "not ok - delivery-log rows do not match"; exit 1; }
echo "ok - $loops crashes: $pushed events, each pending or processed with exactly one delivery-log row"
