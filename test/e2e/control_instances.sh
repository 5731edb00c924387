#!/usr/bin/env bash
# A control instance with two execution instances, three real clusters on loopback:
# registration (and its refusals), publication (and an instance down at publication time),
# events pushed, processed and delivered on both, archived by the real pg_cron job
# mcSynch_<name>, a late bounce, an execution instance killed (kill -9 of every process) in the
# middle of an archive run and brought back (nothing lost, nothing duplicated), and mcCleanup
# on an execution instance that has an archive registered.
#
# Runs its own clusters (children of this script, so that they can be reaped and restarted;
# the sandbox's PID 1 does not reap). As root: the servers run as user postgres.
# Ports: MC_CI_PORT_BASE (default 5511) for the control, +1 for exec1, +2 for exec2.
# MC_CI_EVENTS (default 4000): events per queue pushed to each instance;
# MC_CI_BIG (default 200000): events pushed to exec1 for the archive run that is killed.
set -euo pipefail
base=${MC_CI_PORT_BASE:-5511}
events=${MC_CI_EVENTS:-4000}
big=${MC_CI_BIG:-200000}
bindir=$(pg_config --bindir)
dir=$(mktemp -d /tmp/mc-control.XXXXXX)
chown postgres "$dir"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
export PGHOST=$dir PGUSER=postgres PGDATABASE=postgres
declare -A port=([ctl]=$base [exec1]=$((base + 1)) [exec2]=$((base + 2)))
declare -A pm=()
started=$SECONDS

fail() { echo "not ok - $*"; exit 1; }
ok() { echo "ok - $* ($((SECONDS - started)) s)"; }

start() {  # start NAME: its postmaster, a child of this script in a session of its own
  local n=$1
  setsid setpriv --reuid=postgres --regid=postgres --init-groups \
    "$bindir/postgres" -D "$dir/$n" -p "${port[$n]}" -k "$dir" -c listen_addresses=127.0.0.1 \
    -c fsync=off -c max_connections=40 >>"$dir/$n.log" 2>&1 &
  pm[$n]=$!
  for _ in $(seq 1 300); do pg_isready -q -p "${port[$n]}" && return 0; sleep 0.1; done
  tail -20 "$dir/$n.log"; fail "cluster $n did not start"
}
kill_all() {  # kill_all NAME: kill -9 of the postmaster and every process it started, at once
  local n=$1 p=${pm[$1]:-} children
  [ -n "$p" ] || return 0
  children=$(pgrep -P "$p" || true)
  kill -9 "$p" $children 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  for c in $children; do  # gone, or a zombie (which holds no shared memory)
    while [ -e "/proc/$c" ] && [ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" != Z ]; do
      [ $SECONDS -lt $deadline ] || fail "process $c of the killed cluster $n is still running after 30 s"
      sleep 0.05
    done
  done
  pm[$n]=
}
stop() {  # stop NAME: fast shutdown
  local n=$1 p=${pm[$1]:-}
  [ -n "$p" ] || return 0
  kill -INT "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  pm[$n]=
}
cleanup() {
  local rc=$?
  for n in ctl exec1 exec2; do kill_all "$n"; done
  if [ "$rc" != 0 ] && [ -n "${MC_CI_KEEP_LOGS:-}" ]; then cp "$dir"/*.log /tmp/ 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

on() { local n=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -p "${port[$n]}" -c "$*"; }
sqlstate() {  # sqlstate NAME SQL: the SQLSTATE it fails with ("none" if it succeeds)
  local n=$1 out
  shift
  if out=$(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -p "${port[$n]}" -c "$*" 2>&1); then
    echo none
  else
    sed -n 's/^.*ERROR: *\([0-9A-Z]\{5\}\).*$/\1/p' <<<"$out" | head -1
  fi
}
expect() {  # expect WHAT ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}
wait_for() {  # wait_for NAME "<sql returning t>" SECONDS WHAT
  local deadline=$((SECONDS + $3)) got
  until got=$(on "$1" "$2") || fail "$4: the query failed"; [ "$got" = t ]; do
    if [ $SECONDS -ge $deadline ]; then
      on ctl "SELECT name, archive_runs, last_events, last_logs, last_error FROM mc.execution_instance_status" || true
      on ctl "SELECT j.jobname, d.status, d.start_time, d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid) ORDER BY d.runid DESC LIMIT 6" || true
      fail "timed out after $3 s waiting for: $4"
    fi
    sleep 0.5
  done
}
conninfo() { echo "host=127.0.0.1 port=${port[$1]} dbname=postgres user=postgres"; }

# --- three clusters -----------------------------------------------------------------------------
for n in ctl exec1 exec2; do
  as_pg "$bindir/initdb" -D "$dir/$n" -A trust -U postgres >/dev/null  # trust: local and 127.0.0.1
done
cat >>"$dir/ctl/postgresql.conf" <<EOF
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.host = '$dir'
max_worker_processes = 16
EOF
for n in ctl exec1 exec2; do start "$n"; done
on exec1 "CREATE EXTENSION message_center; SELECT mc.set_instance_id(1)" >/dev/null
on exec2 "CREATE EXTENSION message_center; SELECT mc.set_instance_id(2)" >/dev/null
on ctl "CREATE EXTENSION pg_cron; CREATE EXTENSION postgres_fdw; CREATE EXTENSION message_center" >/dev/null
ok "three clusters: control on port ${port[ctl]} (pg_cron), exec1 (instance 1) on ${port[exec1]}, exec2 (instance 2) on ${port[exec2]}"

# --- registration -------------------------------------------------------------------------------
# (What a refused registration leaves on the control is rolled back with it by construction;
# what could remain is on the instance it reached, written through another transaction, and
# anything that keeps the name from being registered afterwards.)
expect "registration on a port nobody listens on" \
  "$(sqlstate ctl "SELECT mc.register_execution_instance('exec1', 1, 'host=127.0.0.1 port=$((base + 9)) dbname=postgres user=postgres')")" 08001
ok "a wrong port is refused (08001)"
# Once the published template 'early' exists, a registration sends it to the instance: a
# refused one must not have delivered it.
on ctl "SELECT mc.create_template('early', 'early', 'email', subject => 'e', body_text => 'e', sender => 'shop@example.com')" >/dev/null
on ctl "SELECT mc.publish_template('early')" >/dev/null
remote_state="SELECT (SELECT count(*) FROM mc.published_template) || ' published, ' || (SELECT count(*) FROM mc.publication_inbox)
  || ' in the inbox, ' || (SELECT count(*) FROM mc.archive_cursor) || ' archive cursors'"
expect "registration with the wrong instance id" \
  "$(sqlstate ctl "SELECT mc.register_execution_instance('exec1', 2, '$(conninfo exec1)')")" 22023
expect "what the refused registration left on exec1" "$(on exec1 "$remote_state")" "0 published, 0 in the inbox, 0 archive cursors"
ok "a mismatched instance id is refused (22023) and leaves nothing on the instance"
on ctl "SELECT mc.register_execution_instance('exec1', 1, '$(conninfo exec1)')" >/dev/null
expect "published on exec1 by its registration" "$(on exec1 "SELECT string_agg(name, ',' ORDER BY name) FROM mc.published_template")" "early_batch,early_rt"
on ctl "SELECT mc.unpublish_template('early')" >/dev/null
expect "unpublished on exec1" "$(on exec1 "SELECT count(*) FROM mc.published_template")" 0
on ctl "SELECT mc.register_execution_instance('exec2', 2, '$(conninfo exec2)')" >/dev/null
expect "an instance id registered twice" \
  "$(sqlstate ctl "SELECT mc.register_execution_instance('exec3', 2, '$(conninfo exec2)')")" 23505
expect "registered instances" "$(on ctl "SELECT string_agg(name || '=' || instance_id, ',' ORDER BY name) FROM mc.execution_instance")" "exec1=1,exec2=2"
expect "published on exec2 (registered after the unpublication)" "$(on exec2 "SELECT count(*) FROM mc.published_template")" 0
ok "exec1 and exec2 registered (the same name after a refusal, and a registration publishes what is published); an instance id used twice is refused (23505)"

# --- publication --------------------------------------------------------------------------------
on ctl "SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.order.id}}',
  body_html => '<p>Hello {{ctx.firstName}}</p>{{#ctx.order.items}}<li>{{name}} x{{qty}}</li>{{/ctx.order.items}}',
  body_text => 'Hello {{ctx.firstName}}', sender => 'shop@example.com')" >/dev/null
on ctl "SELECT mc.publish_template('order')" >/dev/null
for n in exec1 exec2; do
  expect "published templates on $n" "$(on "$n" "SELECT string_agg(name, ',' ORDER BY name) FROM mc.published_template")" "order_batch,order_rt"
done
expect "publication status" "$(on ctl "SELECT string_agg(instance_name || ':' || status, ',' ORDER BY instance_name) FROM mc.publication_status WHERE template_name = 'order'")" "exec1:done,exec2:done"
ok "publish_template pushed order_rt and order_batch to both instances"

stop exec2
on ctl "SELECT mc.create_template('notice', 'notice', 'email', subject => 'Notice {{ctx.n}}', body_text => 'n {{ctx.n}}', sender => 'shop@example.com')" >/dev/null
on ctl "SELECT mc.publish_template('notice')" >/dev/null 2>&1  # (a warning about exec2)
expect "publication status with exec2 down" "$(on ctl "SELECT string_agg(instance_name || ':' || status, ',' ORDER BY instance_name) FROM mc.publication_status WHERE template_name = 'notice'")" "exec1:done,exec2:pending"
expect "pending publications of exec2" "$(on ctl "SELECT pending_publications FROM mc.execution_instance_status WHERE name = 'exec2'")" 1
expect "published on exec1" "$(on exec1 "SELECT count(*) FROM mc.published_template WHERE name IN ('notice_rt', 'notice_batch')")" 2
ok "with exec2 down, notice is published on exec1 and pending for exec2"
start exec2
expect "retry_publications() once exec2 is back" "$(on ctl "SELECT mc.retry_publications()")" 1
expect "publication status" "$(on ctl "SELECT string_agg(instance_name || ':' || status, ',' ORDER BY instance_name) FROM mc.publication_status WHERE template_name = 'notice'")" "exec1:done,exec2:done"
expect "published templates on exec2" "$(on exec2 "SELECT string_agg(name, ',' ORDER BY name) FROM mc.published_template")" "notice_batch,notice_rt,order_batch,order_rt"
ok "exec2 back: mc.retry_publications() delivered notice, status done"

# exec2 lost in the middle of a push (a trigger there kills the backend receiving the template):
# postgres_fdw cannot commit over a lost connection, so the publish call fails at once with a
# clear error and nothing of it commits anywhere; published again once exec2 is healthy.
on exec2 "CREATE FUNCTION public.die_on_publication() RETURNS trigger LANGUAGE plpgsql AS \$\$
  BEGIN
    IF NEW.name = 'flaky' THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF;
    RETURN NEW;
  END \$\$;
  CREATE TRIGGER a_die_on_publication BEFORE INSERT ON mc.publication_inbox
    FOR EACH ROW EXECUTE FUNCTION public.die_on_publication()" >/dev/null
on ctl "SELECT mc.create_template('flaky', 'flaky', 'email', subject => 'x', body_text => 'y', sender => 'shop@example.com')" >/dev/null
expect "publish_template with exec2 lost mid-push" "$(sqlstate ctl "SELECT mc.publish_template('flaky')")" 08006
expect "nothing of it on exec1" "$(on exec1 "SELECT count(*) FROM mc.published_template WHERE name LIKE 'flaky%'")" 0
expect "nor on exec2" "$(on exec2 "SELECT count(*) FROM mc.published_template WHERE name LIKE 'flaky%'")" 0
on exec2 "DROP TRIGGER a_die_on_publication ON mc.publication_inbox; DROP FUNCTION public.die_on_publication()" >/dev/null
on ctl "SELECT mc.publish_template('flaky')" >/dev/null
expect "publication status, published again" "$(on ctl "SELECT string_agg(instance_name || ':' || status, ',' ORDER BY instance_name) FROM mc.publication_status WHERE template_name = 'flaky'")" "exec1:done,exec2:done"
ok "exec2 lost in the middle of a push: publish_template failed at once (08006), nothing committed anywhere; published again afterwards"

# --- events on both instances, archived by the real pg_cron job -----------------------------------
# Per queue and instance: $events events, 1 in 20 of a type without a template
# (not_taken_into_account), the rest order_confirmed or notice, a ~1 KB ctx; a few quarantined
# addresses (ignored at processing).
push() {  # push NAME QUEUE FIRST COUNT
  on "$1" "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object(
      'type', CASE WHEN g % 20 = 0 THEN 'unrouted' WHEN g % 3 = 0 THEN 'notice' ELSE 'order_confirmed' END,
      'email', format('u%s@example.com', g), 'externalId', g,
      'ctx', jsonb_build_object('n', g, 'firstName', 'Ada', 'note', repeat('x', 700),
        'order', jsonb_build_object('id', g, 'items', jsonb_build_array(
          jsonb_build_object('name', 'book', 'qty', 1), jsonb_build_object('name', 'pen', 'qty', 3))))))
    FROM generate_series($3, $3 + $4 - 1) g), '$2')" >/dev/null
}
drain() {  # drain NAME: process both queues to the end (within 300 s), copy statuses
  local deadline=$((SECONDS + 300)) n
  until n=$(on "$1" "SELECT mc.batch_events_processing(20000) + mc.rt_events_processing(20000)") || fail "$1: processing failed"; [ "$n" = 0 ]; do
    [ $SECONDS -lt $deadline ] || fail "$1: processing did not drain within 300 s"
  done
  on "$1" "SELECT mc.update_events_status()" >/dev/null
}
for n in exec1 exec2; do
  on "$n" "INSERT INTO mc.quarantine (channel, address, reason) SELECT 'email', format('u%s@example.com', g), 'denylisted' FROM generate_series(7, 700, 77) g" >/dev/null
  push "$n" rt 1 "$events"
  push "$n" batch 100001 "$events"
done
for n in exec1 exec2; do
  on ctl "SELECT mc.create_archiving_workflow('$n', '* * * * *')" >/dev/null
done
expect "archiving jobs" "$(on ctl "SELECT string_agg(jobname || ' ' || schedule, ',' ORDER BY jobname) FROM cron.job")" "mcSynch_exec1 * * * * *,mcSynch_exec2 * * * * *"
ok "pushed $((events * 2)) events to each instance; mcSynch_exec1 and mcSynch_exec2 scheduled every minute"
for n in exec1 exec2; do drain "$n"; done
# A sender: claims everything; 1 in 10 failed, 1 in 25 ignored, the rest sent; 1 in 50 stays
# pending (claimed, not yet reported).
for n in exec1 exec2; do
  on "$n" "SELECT count(mc.report_delivery(c.event_id,
      CASE WHEN c.event_id % 10 = 1 THEN 'failed' WHEN c.event_id % 25 = 2 THEN 'ignored' ELSE 'sent' END,
      CASE WHEN c.event_id % 10 = 1 THEN 'user_unknown' END, c.lease_token))
    FROM mc.claim_messages('email', 100000, '5 minutes') c WHERE c.event_id % 50 <> 3" >/dev/null
  on "$n" "SELECT mc.update_events_status()" >/dev/null
done
for n in exec1 exec2; do
  [ "$(on "$n" "SELECT count(*) FROM mc.event WHERE status = 'pending'")" = 0 ] || fail "$n: events left pending"
  summary=$(on "$n" "SELECT string_agg(status || '=' || n, ' ' ORDER BY status) FROM (SELECT status, count(*) n FROM mc.event GROUP BY 1) s")
  ok "$n: processed and delivered: $summary"
done

# What an instance holds and what the archive holds of it, row by row (id, status, outcome).
event_digest="md5(coalesce(string_agg(id || ':' || status || ':' || coalesce(template_name, '-'), ',' ORDER BY id), ''))"
log_digest="md5(coalesce(string_agg(event_id || ':' || status || ':' || coalesce(failure_reason, '-') || ':' || template_name, ',' ORDER BY event_id), ''))"
source_events() { on "$1" "SELECT count(*) || ' ' || $event_digest FROM (SELECT e.id, e.status, d.template_name FROM mc.event e LEFT JOIN mc.delivery d ON d.id = e.delivery_id WHERE e.processed_at IS NOT NULL) s"; }
source_logs() { on "$1" "SELECT count(*) || ' ' || $log_digest FROM (SELECT l.event_id, l.status, l.failure_reason, d.template_name FROM mc.delivery_log l JOIN mc.delivery d ON d.id = l.delivery_id) s"; }
archived() { echo "SELECT (SELECT count(*) || ' ' || $event_digest FROM mc.event_histo WHERE instance_id = $1) = '$2'
  AND (SELECT count(*) || ' ' || $log_digest FROM mc.broadlog_event_histo WHERE instance_id = $1) = '$3'"; }
outcome_mismatch="SELECT count(*) FROM mc.event_histo e LEFT JOIN mc.broadlog_event_histo l ON l.event_id = e.id
  WHERE e.status::text IS DISTINCT FROM CASE WHEN l.event_id IS NULL THEN e.status::text
    WHEN l.status = 'pending' THEN 'pending_delivery' WHEN l.status = 'failed' THEN 'delivery_failed' ELSE l.status::text END
    OR (l.event_id IS NULL) <> (e.status IN ('not_taken_into_account', 'expired'))"
check_archive() {  # check_archive WAIT_SECONDS WHAT INSTANCE...: their rows, exactly, in the archive
  local id wait=$1 what=$2
  shift 2
  for n in "$@"; do
    id=${n#exec}
    wait_for ctl "$(archived "$id" "$(source_events "$n")" "$(source_logs "$n")")" "$wait" "$n: $what"
  done
  expect "archived events whose status differs from their delivery outcome" "$(on ctl "$outcome_mismatch")" 0
  expect "quarantine in the archive" "$(on ctl "SELECT count(*) FROM mc.quarantine")" "$(on exec1 "SELECT count(*) FROM mc.quarantine")"
}
check_archive 150 "the pg_cron job archived every event and delivery log" exec1 exec2
expect "runs done by pg_cron" "$(on ctl "SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'mcSynch_exec1' AND d.status = 'succeeded'")" t
ok "the pg_cron jobs archived both instances: counts, statuses and outcomes equal the sources exactly: $(on ctl "SELECT string_agg(instance_id || ': ' || n || ' events', ', ' ORDER BY instance_id) FROM (SELECT instance_id, count(*) n FROM mc.event_histo GROUP BY 1) s")"
expect "instances in mc.service_level" "$(on ctl "SELECT string_agg(DISTINCT instance_name, ',') FROM mc.service_level")" "exec1,exec2"
expect "event_history rows" "$(on ctl "SELECT count(*) FROM mc.event_history")" "$(on ctl "SELECT count(*) FROM mc.event_histo")"
ok "mc.service_level and mc.event_history report both instances"

# --- a late bounce on exec2, archived by its next scheduled run (while exec1 is tested below) ------
bounced=$(on exec2 "SELECT min(event_id) FROM mc.delivery_log WHERE status = 'sent'")
expect "archived status before the bounce" "$(on ctl "SELECT e.status || '/' || l.status FROM mc.event_histo e JOIN mc.broadlog_event_histo l ON l.event_id = e.id WHERE e.id = $bounced")" "sent/sent"
on exec2 "SELECT mc.report_delivery($bounced, 'failed', 'mailbox_full')" >/dev/null
on exec2 "SELECT mc.update_events_status()" >/dev/null
bounced_at=$SECONDS

# --- exec1 killed in the middle of an archive run --------------------------------------------------
on ctl "SELECT mc.drop_archiving_workflow('exec1')" >/dev/null   # this part runs the archive by hand
wait_for ctl "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE 'CALL mc.synchronize_instance(''exec1'')%')" 60 "the last scheduled run of exec1 ended"
for ((first = 1000001; first < 1000001 + big; first += 20000)); do
  push exec1 batch "$first" $((big - first + 1000001 < 20000 ? big - first + 1000001 : 20000))
done
drain exec1
before=$(on ctl "SELECT count(*) FROM mc.event_histo WHERE instance_id = 1")
runs_before=$(on ctl "SELECT archive_runs FROM mc.execution_instance_status WHERE name = 'exec1'")
psql -X -q -p "${port[ctl]}" -c "CALL mc.synchronize_instance('exec1')" >"$dir/killed-run.out" 2>&1 &
run=$!
# Mid-run: the control's backend is reading the instance's event feed through postgres_fdw.
# (postgres_fdw reads through a cursor: DECLARE, then FETCH after FETCH, in one remote
# transaction; the publication and horizon transactions before it last milliseconds.)
wait_for exec1 "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'message_center control'
  AND xact_start < clock_timestamp() - interval '300 ms' AND query ~ '^(FETCH|DECLARE)')" 30 "the archive run reads exec1"
sleep 0.5
kill_all exec1
wait "$run" && fail "the archive run did not fail when exec1 died" || true
grep -q "archiving execution instance \"exec1\" failed" "$dir/killed-run.out" || { cat "$dir/killed-run.out"; fail "unexpected outcome of the killed run"; }
expect "archived events of exec1 after the killed run (its transaction rolled back)" "$(on ctl "SELECT count(*) FROM mc.event_histo WHERE instance_id = 1")" "$before"
expect "execution_instance_status after the killed run" "$(on ctl "SELECT last_error IS NOT NULL AND last_error_at IS NOT NULL AND archive_runs = $runs_before FROM mc.execution_instance_status WHERE name = 'exec1'")" t
ok "exec1 killed (kill -9 of every process) mid-run: the run failed, nothing of it committed, mc.execution_instance_status shows: $(on ctl "SELECT left(regexp_replace(last_error, '\s+', ' ', 'g'), 100) FROM mc.execution_instance_status WHERE name = 'exec1'")"
start exec1
on ctl "CALL mc.synchronize_instance('exec1')" >/dev/null
expect "execution_instance_status after recovery" "$(on ctl "SELECT last_error IS NULL AND archive_runs = $runs_before + 1 FROM mc.execution_instance_status WHERE name = 'exec1'")" t
on ctl "CALL mc.synchronize_instance('exec1')" >/dev/null
expect "execution_instance_status after a second run" "$(on ctl "SELECT last_error IS NULL AND archive_runs = $runs_before + 2 AND last_events = 0 FROM mc.execution_instance_status WHERE name = 'exec1'")" t
expect "exec1 in the archive after recovery" "$(on ctl "$(archived 1 "$(source_events exec1)" "$(source_logs exec1)")")" t
expect "archived events of exec1" "$(on ctl "SELECT count(*) FROM mc.event_histo WHERE instance_id = 1")" "$(on exec1 "SELECT count(*) FROM mc.event WHERE processed_at IS NOT NULL")"
expect "archived delivery logs of exec1" "$(on ctl "SELECT count(*) FROM mc.broadlog_event_histo WHERE instance_id = 1")" "$(on exec1 "SELECT count(*) FROM mc.delivery_log")"
ok "exec1 back: two runs archived all $(on ctl "SELECT count(*) FROM mc.event_histo WHERE instance_id = 1") events exactly once, the second found nothing new; mc.execution_instance_status shows the recovery"

# --- the late bounce, archived by the next run of mcSynch_exec2 ---------------------------------
check_archive $((bounced_at + 90 - SECONDS > 10 ? bounced_at + 90 - SECONDS : 10)) "the next run archived the late bounce" exec2
expect "archived status after the bounce" "$(on ctl "SELECT e.status || '/' || l.status || '/' || l.failure_reason FROM mc.event_histo e JOIN mc.broadlog_event_histo l ON l.event_id = e.id WHERE e.id = $bounced")" "delivery_failed/failed/mailbox_full"
ok "a bounce reported on exec2 after 'sent' turned the archived event to delivery_failed at the next scheduled run"

# --- mcCleanup on an execution instance with an archive registered ---------------------------------
# Past the archive cursor on exec1: events pushed and left pending, events processed after the
# last archive run, a delivery reported after it.
push exec1 rt 2000001 300
push exec1 batch 2100001 300
on exec1 "SELECT mc.batch_events_processing(150)" >/dev/null
on exec1 "SELECT mc.report_delivery(min(event_id), 'failed', 'rejected') FROM mc.delivery_log WHERE status = 'sent'" >/dev/null
on exec1 "UPDATE mc.settings SET event_retention = '1 second', delivery_log_retention = '1 second'"
sleep 1.2
cursor=$(on exec1 "SELECT archived_through FROM mc.archive_cursor")
expect "the archive cursor on exec1 is the control's watermark" "$(on ctl "SELECT archived_through = '$cursor' FROM mc.execution_instance_status WHERE name = 'exec1'")" t
# Everything the cleanup may take is in the archive (read from the control, through the feed).
expect "purgeable events missing from the archive" "$(on ctl "SELECT count(*) FROM mc_exec_exec1.archive_event_feed f
  WHERE f.processed_at < '$cursor' AND f.last_modified_at < '$cursor' AND NOT EXISTS (SELECT FROM mc.event_histo h WHERE h.id = f.id)")" 0
keep="SELECT (SELECT count(*) FROM mc.event WHERE processed_at IS NULL) || ' pending events, '
  || (SELECT count(*) FROM mc.event WHERE processed_at >= '$cursor' OR last_modified_at >= '$cursor') || ' events and '
  || (SELECT count(*) FROM mc.delivery_log WHERE last_modified_at >= '$cursor') || ' delivery logs modified after the cursor'"
kept=$(on exec1 "$keep")
total=$(on exec1 "SELECT (SELECT count(*) FROM mc.event) + (SELECT count(*) FROM mc.delivery_log)")
on exec1 "CALL mc.cleanup(50000)"
expect "what must stay after mc.cleanup()" "$(on exec1 "$keep")" "$kept"
expect "events left before the cursor" "$(on exec1 "SELECT count(*) FROM mc.event WHERE processed_at < '$cursor' AND last_modified_at < '$cursor'")" 0
expect "delivery logs left before the cursor" "$(on exec1 "SELECT count(*) FROM mc.delivery_log WHERE last_modified_at < '$cursor'")" 0
[ "$(on exec1 "SELECT count(*) FROM mc.event WHERE processed_at IS NULL")" -gt 0 ] || fail "no pending event on exec1 to keep"
left=$(on exec1 "SELECT (SELECT count(*) FROM mc.event) + (SELECT count(*) FROM mc.delivery_log)")
[ "$left" -lt "$total" ] || fail "mc.cleanup() purged nothing"
ok "mc.cleanup() on exec1 purged $((total - left)) rows, all archived before the cursor; kept $kept"
# The archive's primary keys turn a duplicate into an error, never a row: no run of the
# archiving jobs may have failed, and no server may have logged a unique violation.
expect "failed runs of the archiving jobs" "$(on ctl "SELECT coalesce(string_agg(d.command || ': ' || left(d.return_message, 80), '; '), 'none')
  FROM cron.job_run_details d WHERE d.status = 'failed'")" none
! grep -H "duplicate key value violates unique constraint" "$dir"/*.log || fail "a unique violation in a server log"
ok "no archiving run failed, no unique violation logged"
echo "ok - done"
