#!/usr/bin/env bash
# Crash safety: kill -9 of a backend, or of the postmaster with all its processes, while one of
# the product's transactions is in flight: the batch loop (CALL mc.batch_events_loop), the rt
# loop (CALL mc.rt_events_loop), the status copy (mc.update_events_status()) or a sender
# (mc.claim_messages, then mc.report_delivery with its lease, committing per chunk). Each crash
# targets the next of the four, by the backend and by the postmaster in turn.
#
# A kill counts only when it hit a transaction in flight: the target's backend is seen holding
# a transaction id (it has written) right before the kill, and after the restart that
# transaction is aborted (pg_xact_status, or its id was never reached again). Otherwise the crash is tried again (at most
# MC_CRASH_ATTEMPTS times, then the test fails): never "killed mid-batch" without proof.
# After every crash: every event is pending, or processed with exactly one delivery-log row
# (and none without one); a copied status matches its delivery log; no message was reported
# twice nor a report lost (the sender notes each report in its own table, in the report's
# transaction, without a unique key: a message handed out twice shows there twice); the killed
# client failed only by losing its connection; the server log has no unique violation (the
# primary keys make a duplicate an error, never a row). At the end everything is drained
# (bounded waits) and checked again.
#
# Runs its own cluster (a child of this script, so that it can be reaped and restarted; the
# sandbox's PID 1 does not reap). As root: the server runs as user postgres.
# MC_CRASH_LOOPS (default 20, at least 1): the number of crashes (bench/crash_loop/run.sh: 100).
# MC_CRASH_EVENTS (default 20000): events pushed for each crash.
set -euo pipefail
loops=${MC_CRASH_LOOPS:-20}
per_loop=${MC_CRASH_EVENTS:-20000}
attempts=${MC_CRASH_ATTEMPTS:-12}
port=${MC_CRASH_PORT:-5499}
fail() { echo "not ok - $*"; exit 1; }
[[ "$loops" =~ ^[0-9]+$ ]] && [ "$loops" -ge 1 ] || fail "MC_CRASH_LOOPS must be a whole number of at least 1, not '$loops'"
[[ "$per_loop" =~ ^[0-9]+$ ]] && [ "$per_loop" -ge 1000 ] || fail "MC_CRASH_EVENTS must be at least 1000, not '$per_loop'"
bindir=$(pg_config --bindir)
dir=$(mktemp -d /tmp/mc-crash.XXXXXX)
chown postgres "$dir"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
started=$SECONDS
pm=
wait_ready() {  # the server accepts queries again, within 60 s
  local deadline=$((SECONDS + 60))
  until pg_isready -q && psql -X -q -At -c "SELECT 1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { tail -20 "$dir/server.log"; fail "the server did not come back within 60 s"; }
    sleep 0.1
  done
}
start() {
  setsid setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bindir/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses= \
    -c fsync=off -c max_connections=20 >>"$dir/server.log" 2>&1 &
  pm=$!
  wait_ready
}
stop_all() {  # the postmaster and every process it started, at once (each child has its own session)
  local children deadline
  [ -n "$pm" ] || return 0
  children=$(pgrep -P "$pm" || true)
  kill -9 "$pm" $children 2>/dev/null || true
  wait "$pm" 2>/dev/null || true
  deadline=$((SECONDS + 30))
  for c in $children; do  # gone, or a zombie (which holds no shared memory)
    while [ -e "/proc/$c" ] && [ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" != Z ]; do
      [ $SECONDS -lt $deadline ] || { echo "not ok - process $c of the killed server is still running"; return 1; }
      sleep 0.05
    done
  done
  pm=
}
trap 'stop_all || true; rm -rf "$dir"' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

start
q "CREATE EXTENSION message_center"
q >/dev/null "SELECT mc.create_template('t', 'order', 'email', subject => 'S {{ctx.n}}', body_html => '{{#ctx.items}}<i>{{.}}</i>{{/ctx.items}}', body_text => 'x')"
q >/dev/null "SELECT mc.create_template('bad', 'broken', 'email', subject => 's', body_text => '{{> nowhere}}')"
q "SELECT mc.publish_template('t')" >/dev/null
q "SELECT mc.publish_template('bad')" >/dev/null
# Batches of 5,000 (a few hundred milliseconds each): a kill lands inside one more often.
q "UPDATE mc.settings SET processing_batch_size = 5000"
# The sender: a login holding only mc_delivery_agent (and its own notes).
q "CREATE ROLE mc_crash_sender; GRANT mc_delivery_agent TO mc_crash_sender"
q "CREATE TABLE public.sender_log (event_id bigint NOT NULL, lease uuid NOT NULL, reported_at timestamptz NOT NULL DEFAULT clock_timestamp());
   CREATE INDEX ON public.sender_log (event_id);  -- not unique: a message reported twice must show, not fail
   GRANT SELECT, INSERT ON public.sender_log TO mc_crash_sender"
# Claims 2,000 at a time under a 3-second lease and commits (a crash from there leaves leased
# messages, claimable again when the lease ends); then reports each with its lease token and
# notes it, and commits. Stops when nothing is claimable. Any refusal (a lease no longer held:
# the message was handed to someone else) is an error: the client fails.
# (SET ROLE is sent on its own: a DO block sent with another statement cannot commit.)
sender_sql="DO \$\$
DECLARE ids bigint[]; tokens uuid[];
BEGIN
  LOOP
    SELECT array_agg(c.event_id ORDER BY c.event_id), array_agg(c.lease_token ORDER BY c.event_id) INTO ids, tokens
    FROM mc.claim_messages('email', 2000, '3 seconds') c;
    COMMIT;
    EXIT WHEN ids IS NULL;
    FOR i IN 1 .. array_length(ids, 1) LOOP
      PERFORM mc.report_delivery(ids[i], 'sent', NULL, tokens[i]);
      INSERT INTO public.sender_log (event_id, lease) VALUES (ids[i], tokens[i]);
    END LOOP;
    COMMIT;
  END LOOP;
END \$\$"

check() {  # check WHAT: the invariants, after a crash
  local bad
  bad=$(q "SELECT
    (SELECT count(*) FROM mc.delivery_log d WHERE NOT EXISTS (SELECT FROM mc.event e WHERE e.id = d.event_id))
  + (SELECT count(*) FROM mc.event e WHERE e.status IN ('pending_delivery', 'sent', 'delivery_failed', 'ignored') AND NOT EXISTS (SELECT FROM mc.delivery_log d WHERE d.event_id = e.id))
  + (SELECT count(*) FROM mc.event e WHERE e.status IN ('pending', 'not_taken_into_account', 'expired') AND EXISTS (SELECT FROM mc.delivery_log d WHERE d.event_id = e.id))
  + (SELECT count(*) FROM mc.event e WHERE (e.status = 'pending') <> (e.processed_at IS NULL))")
  [ "$bad" = 0 ] || fail "$1: $bad events in a state they must not be in"
  bad=$(q "SELECT count(*) FROM mc.event e JOIN mc.delivery_log d ON d.event_id = e.id
           WHERE e.status IN ('sent', 'delivery_failed', 'ignored') AND e.status::text <> CASE d.status::text WHEN 'failed' THEN 'delivery_failed' ELSE d.status::text END")
  [ "$bad" = 0 ] || fail "$1: $bad events whose copied status is not their delivery log's"
  bad=$(q "SELECT count(*) - count(DISTINCT event_id) FROM public.sender_log")
  [ "$bad" = 0 ] || fail "$1: $bad messages reported twice"
  bad=$(q "SELECT (SELECT count(*) FROM mc.delivery_log d WHERE d.status = 'sent' AND NOT EXISTS (SELECT FROM public.sender_log s WHERE s.event_id = d.event_id))
              + (SELECT count(*) FROM public.sender_log s WHERE NOT EXISTS (SELECT FROM mc.delivery_log d WHERE d.event_id = s.event_id AND d.status = 'sent'))")
  [ "$bad" = 0 ] || fail "$1: $bad reports lost (or a message sent that the sender never reported)"
  if grep -q "duplicate key value violates unique constraint" "$dir/server.log"; then
    grep -B2 -A3 "duplicate key value" "$dir/server.log" | head -20
    fail "$1: a unique violation in the server log (a duplicate attempt)"
  fi
}
drain_processing() {  # both queues, within 120 s
  local deadline=$((SECONDS + 120))
  until [ "$(q "SELECT mc.batch_events_processing(100000) + mc.rt_events_processing(100000)")" = 0 ]; do
    [ $SECONDS -lt $deadline ] || fail "processing did not drain within 120 s"
  done
}
push() {  # push QUEUE: $per_loop events, 1 in 50 of a type whose template fails to render
  q "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', CASE WHEN g % 50 = 0 THEN 'broken' ELSE 'order' END, 'email', format('u%s@example.com', g), 'ctx', jsonb_build_object('n', g, 'items', jsonb_build_array(1, 2, 3)))) FROM generate_series(1, $per_loop) g), '$1')" >/dev/null
  pushed=$((pushed + per_loop))
}
run_sender() {  # to the end, not killed: it must succeed
  psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE mc_crash_sender" -c "$sender_sql" >/dev/null || fail "the sender failed"
}

# prepare TARGET: the workload, then the client to kill (in the background, application_name
# mc_crash_target), its psql arguments in client_sql.
prepare() {
  case $1 in
    batch) push batch; client_sql=(-c "CALL mc.batch_events_loop('30 seconds')") ;;
    rt) push rt; client_sql=(-c "CALL mc.rt_events_loop('30 seconds')") ;;
    status) push batch; drain_processing; run_sender; client_sql=(-c "SELECT mc.update_events_status()") ;;
    sender) push batch; drain_processing; client_sql=(-c "SET ROLE mc_crash_sender" -c "$sender_sql") ;;
  esac
  PGAPPNAME=mc_crash_target psql -X -q -v ON_ERROR_STOP=1 "${client_sql[@]}" >"$dir/client.out" 2>&1 &
  client=$!
}
wait_client() {  # wait_client: its exit status in client_rc, within 60 s
  local deadline=$((SECONDS + 60))
  while kill -0 "$client" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "the client did not end within 60 s"
    sleep 0.05
  done
  client_rc=0
  wait "$client" || client_rc=$?
}

targets=(batch rt status sender)
pushed=0
for i in $(seq 1 "$loops"); do
  target=${targets[$(((i - 1) % 4))]}
  mode=$([ $((((i - 1) / 4) % 2)) = 0 ] && echo backend || echo postmaster)
  hit=
  for attempt in $(seq 1 "$attempts"); do
    prepare "$target"
    # Some way into the run (0.01-0.20 s): into a batch of a loop, mostly into a report
    # transaction of the sender rather than its short claim; the status copy, one transaction
    # of ~0.1 s, at once.
    case $target in batch | rt | sender) sleep "$(printf '0.%02d' $((RANDOM % 20 + 1)))" ;; esac
    # Wait (10 s at most) for the target's backend to hold a transaction id: a transaction in flight.
    pid= xid=
    deadline=$((SECONDS + 10))
    while kill -0 "$client" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
      read -r pid xid < <(q "SELECT pid || ' ' || backend_xid FROM pg_stat_activity WHERE application_name = 'mc_crash_target'
                             AND state = 'active' AND backend_xid IS NOT NULL") || true
      [ -n "$xid" ] && break
    done
    if [ -z "$xid" ]; then
      # Not caught in flight: the client ended first (then it must have succeeded), or it is
      # still running after 10 s (then it is cancelled). Check, and try again.
      if kill -0 "$client" 2>/dev/null; then
        q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'mc_crash_target'" >/dev/null
        wait_client
        grep "ERROR:" "$dir/client.out" | grep -v -q "canceling statement due to user request" &&
          fail "crash $i: the $target client failed: $(cat "$dir/client.out")"
      else
        wait_client
        [ "$client_rc" = 0 ] || fail "crash $i: the $target client failed: $(cat "$dir/client.out")"
      fi
      check "after an attempt on the $target that found nothing in flight"
      echo "# crash $i, attempt $attempt: no transaction of the $target seen in flight; again"
      continue
    fi
    if [ "$mode" = backend ]; then
      kill -9 "$pid"
      wait_ready
    else
      stop_all || fail "the server's processes did not end"
      start
    fi
    wait_client
    if grep -v -E "server closed the connection unexpectedly|This probably means the server terminated abnormally|before or while processing the request|connection to server was lost|terminating connection because of crash of another server process|terminating connection due to unexpected postmaster exit|DETAIL:  The postmaster has commanded|HINT:  In a moment you should be able|no connection to the server|^\s*$" "$dir/client.out"; then
      fail "crash $i: the $target client failed otherwise than by losing its connection"
    fi
    check "after killing the $mode during the $target (crash $i, attempt $attempt)"
    # Aborted, or never written to the WAL that survived (its id is past the restarted
    # server's next one): not committed either way.
    state=$(q "SELECT CASE WHEN '$xid'::xid8 >= pg_snapshot_xmax(pg_current_snapshot()) THEN 'aborted' END")
    [ -n "$state" ] || state=$(q "SELECT pg_xact_status('$xid'::xid8)")
    if [ "$state" != aborted ]; then
      echo "# crash $i, attempt $attempt: transaction $xid was $state by the time of the kill; again"
      continue
    fi
    [ "$client_rc" != 0 ] || fail "crash $i: the $target client succeeded although its transaction was killed"
    hit=1
    break
  done
  [ -n "$hit" ] || fail "crash $i: no kill of the $mode hit a transaction of the $target in flight in $attempts attempts"
  echo "ok $i - killed the $mode during the $target, transaction $xid in flight (aborted), attempt $attempt: $(q "SELECT count(*) FILTER (WHERE status <> 'pending') || ' processed, ' || count(*) FILTER (WHERE status = 'pending') || ' pending, ' || (SELECT count(*) FROM public.sender_log) || ' reported' FROM mc.event") ($((SECONDS - started)) s)"
done

# Drain: processing, then the sender until every message is reported (leases of crashed
# senders end after 3 seconds), then the status copy; each bounded.
drain_processing
deadline=$((SECONDS + 60))
until [ "$(q "SELECT count(*) FROM mc.delivery_log WHERE status = 'pending'")" = 0 ]; do
  [ $SECONDS -lt $deadline ] || fail "messages still unreported after 60 s"
  run_sender
  sleep 0.5
done
q "SELECT mc.update_events_status()" >/dev/null
check "after draining"
[ "$(q "SELECT count(*) FROM mc.event")" = "$pushed" ] || fail "events lost: $(q "SELECT count(*) FROM mc.event") of $pushed"
[ "$(q "SELECT count(*) FROM mc.event WHERE status = 'pending' AND error_count = 0")" = 0 ] || fail "events left unprocessed"
[ "$(q "SELECT count(*) FROM mc.event WHERE event_type = 'order' AND status <> 'sent'")" = 0 ] || fail "order events not sent at the end"
[ "$(q "SELECT count(*) FROM mc.delivery_log")" = "$(q "SELECT count(*) FROM mc.event WHERE status = 'sent'")" ] || fail "delivery-log rows do not match the sent events"
[ "$(q "SELECT count(*) FROM public.sender_log")" = "$(q "SELECT count(*) FROM mc.delivery_log")" ] || fail "reports do not match the messages"
echo "ok - $loops crashes ($((SECONDS - started)) s): $pushed events, each pending or processed with exactly one delivery-log row, each message reported once"
