#!/usr/bin/env bash
# End to end through the real pg_cron scheduler (run inside pg_virtualenv, pg_cron preloaded,
# cron.database_name=postgres): events pushed, processed by the scheduled jobs, deliveries
# reported by a sender (a login holding only mc_delivery_agent), statuses copied back by the
# scheduled status copy; mcCleanup, mcPublicationRetry and mcCronHistoryPurge seen running and
# doing their work; an archiving workflow created, refused with a bad schedule, and dropped.
set -euo pipefail
# The database pg_cron runs in (cron.database_name) is where the workflows are started.
db=postgres
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
fail() { echo "not ok - $*"; exit 1; }
sqlstate() {  # sqlstate SQL: the SQLSTATE it fails with ("none" if it succeeds)
  local out
  if out=$(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate -d "$db" -c "$1" 2>&1); then
    echo none
  else
    sed -n 's/^.*ERROR: *\([0-9A-Z]\{5\}\).*$/\1/p' <<<"$out" | head -1
  fi
}
expect() {  # expect WHAT ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
  echo "ok - $1"
}

q "CREATE EXTENSION IF NOT EXISTS pg_cron"
q "DROP EXTENSION IF EXISTS message_center"
q "CREATE EXTENSION message_center"
q "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mc_e2e_sender') THEN CREATE ROLE mc_e2e_sender; END IF; END \$\$"
q "GRANT mc_delivery_agent TO mc_e2e_sender"
q "SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.id}}', body_text => 'Thanks {{ctx.name}}')" >/dev/null
q "SELECT mc.publish_template('order')" >/dev/null
t0=$(q "SELECT clock_timestamp()")

[ "$(q "SELECT string_agg(w, ',' ORDER BY w) FROM mc.start_workflows() w")" = \
  "batchEventsProcessing,mcCleanup,mcCronHistoryPurge,mcPublicationRetry,mcSenders,rtEventsProcessing,updateEventsStatus" ]
echo "ok - mc.start_workflows() created the seven jobs"
# mcCronHistoryPurge runs at minute 17 of each hour: every minute here, so that it is seen
# running. Its work: run history of the workflows' jobs older than three days goes, the rest
# stays. Planted rows: an old and a recent run of mcCleanup, an old run of another job.
q "SELECT cron.alter_job(jobid, schedule => '* * * * *') FROM cron.job WHERE jobname = 'mcCronHistoryPurge'" >/dev/null
q "SELECT cron.schedule('e2e_other_job', '0 0 1 1 *', 'SELECT 1')" >/dev/null
q "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
   SELECT j.jobid, 0, 'postgres', 'postgres', 'planted ' || v.tag, 'succeeded', 'planted', now() - v.age, now() - v.age
   FROM (VALUES ('mcCleanup', 'old', interval '4 days'), ('mcCleanup', 'recent', interval '1 day'),
                ('e2e_other_job', 'other', interval '4 days')) v (job, tag, age)
   JOIN cron.job j ON j.jobname = v.job"

q "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed', 'email', format('rt%s@example.com', g), 'ctx', jsonb_build_object('id', g, 'name', 'N'))) FROM generate_series(1, 200) g), 'rt')" >/dev/null
q "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed', 'email', format('b%s@example.com', g), 'ctx', jsonb_build_object('id', g, 'name', 'N'))) FROM generate_series(1, 2000) g), 'batch')" >/dev/null

wait_for() {  # wait_for "<sql returning t/f>" seconds what
  local deadline=$((SECONDS + $2)) got
  until got=$(q "$1") || fail "the query failed while waiting for: $3"; [ "$got" = "t" ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "not ok - timed out waiting for: $3"
      q "SELECT * FROM mc.event_status_summary WHERE events > 0" || true
      psql -X -d postgres -c "SELECT jobname, status, start_time, return_message FROM cron.job_run_details JOIN cron.job USING (jobid) ORDER BY runid DESC LIMIT 12" || true
      exit 1
    fi
    sleep 1
  done
  echo "ok - $3"
}

wait_for "SELECT count(*) = 2200 FROM mc.event WHERE status = 'pending_delivery'" 150 "the scheduled jobs processed all 2,200 events"
# Once the rt loop is running, a new event is processed within a second, not a minute.
q "SELECT mc.push_event('{\"type\":\"order_confirmed\",\"email\":\"late@example.com\",\"ctx\":{\"id\":0}}')" >/dev/null
wait_for "SELECT count(*) = 1 FROM mc.rt_event WHERE email = 'late@example.com' AND status = 'pending_delivery'" 5 "a new rt event is processed by the running loop within seconds"

# A sender (a login holding only mc_delivery_agent): claim everything, report sent (and one failure).
expect "messages reported by the sender" "$(q "SET ROLE mc_e2e_sender; SELECT count(mc.report_delivery(event_id, CASE WHEN address = 'rt1@example.com' THEN 'failed' ELSE 'sent' END, CASE WHEN address = 'rt1@example.com' THEN 'user_unknown' END, lease_token)) FROM mc.claim_messages('email', 10000, '5 minutes')")" 2201
wait_for "SELECT count(*) = 2200 FROM mc.event WHERE status = 'sent'" 130 "the scheduled status copy marked 2,200 events sent"
wait_for "SELECT status = 'delivery_failed' FROM mc.rt_event WHERE email = 'rt1@example.com'" 5 "and the failed one delivery_failed"
# delivery_log.event_id is the primary key: the count finds a lost row, never a duplicate. A
# duplicate attempt is an error in the job that made it: no run of a workflow may have failed.
wait_for "SELECT count(*) = 2201 FROM mc.delivery_log" 1 "a delivery-log row for every event"
expect "failed runs of the workflows" "$(q "SELECT coalesce(string_agg(j.jobname || ': ' || left(d.return_message, 80), '; '), 'none')
  FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE d.start_time >= '$t0' AND d.status = 'failed'")" none

# The three processing workflows: the batch job and the status copy have run to success, the
# rt loop is running or has run to success.
wait_for "SELECT count(*) = 3 FROM mc.workflow_status WHERE (workflow IN ('batchEventsProcessing', 'updateEventsStatus') AND last_status = 'succeeded')
  OR (workflow = 'rtEventsProcessing' AND last_status IN ('running', 'succeeded'))" 5 "mc.workflow_status shows the runs"

# The three other jobs run, and succeed.
wait_for "SELECT count(DISTINCT j.jobname) = 3 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
  WHERE j.jobname IN ('mcCleanup', 'mcPublicationRetry', 'mcCronHistoryPurge') AND d.status = 'succeeded' AND d.start_time >= '$t0'" 90 \
  "mcCleanup, mcPublicationRetry and mcCronHistoryPurge ran and succeeded"
expect "planted run history left after mcCronHistoryPurge" "$(q "SELECT string_agg(command, ',' ORDER BY command) FROM cron.job_run_details WHERE command LIKE 'planted %'")" \
  "planted other,planted recent"
# mcCleanup's work: with retentions of a second, what was delivered goes at its next run.
q "UPDATE mc.settings SET event_retention = '1 second', delivery_log_retention = '1 second'"
wait_for "SELECT (SELECT count(*) FROM mc.event) + (SELECT count(*) FROM mc.delivery_log) = 0" 90 "mcCleanup purged the delivered events and their logs"
q "UPDATE mc.settings SET event_retention = DEFAULT, delivery_log_retention = DEFAULT"

# An archiving workflow (mcSynch_<name>) for an execution instance: the database mc_exec_test
# that test/run-sql-tests.sh made (instance id 9), over TCP with pg_virtualenv's password.
q "CREATE EXTENSION IF NOT EXISTS postgres_fdw"
q "SELECT mc.register_execution_instance('exec9', 9, format('host=%s port=%s dbname=mc_exec_test user=%s password=%s',
  '${PGHOST:-localhost}', current_setting('port'), current_user, '${PGPASSWORD:-}'))" >/dev/null
synch_jobs="SELECT coalesce(string_agg(jobname || ' ' || schedule, ','), '') FROM cron.job WHERE jobname LIKE 'mcSynch\_%'"
expect "an invalid archiving schedule is refused" "$(sqlstate "SELECT mc.create_archiving_workflow('exec9', 'every full moon')")" 22023
expect "a null archiving schedule is refused" "$(sqlstate "SELECT mc.create_archiving_workflow('exec9', NULL)")" 22004
expect "archiving jobs after the refusals" "$(q "$synch_jobs")" ""
q "SELECT mc.create_archiving_workflow('exec9', '7 3 * * *')" >/dev/null
expect "archiving job created" "$(q "$synch_jobs")" "mcSynch_exec9 7 3 * * *"
expect "mc.workflow_status lists it" "$(q "SELECT count(*) FROM mc.workflow_status WHERE workflow = 'mcSynch_exec9'")" 1
q "SELECT mc.drop_archiving_workflow('exec9')" >/dev/null
expect "archiving job after mc.drop_archiving_workflow" "$(q "$synch_jobs")" ""
expect "a second drop is refused" "$(sqlstate "SELECT mc.drop_archiving_workflow('exec9')")" 42704
expect "a second drop with if_exists" "$(sqlstate "SELECT mc.drop_archiving_workflow('exec9', if_exists => true)")" none
expect "the instance stays registered" "$(q "SELECT count(*) FROM mc.execution_instance WHERE name = 'exec9'")" 1
q "SET client_min_messages = warning; SELECT mc.unregister_execution_instance('exec9')" >/dev/null
q "SET client_min_messages = warning; DROP EXTENSION postgres_fdw CASCADE"

[ "$(q "SELECT count(*) FROM mc.stop_workflows()")" = 7 ] || fail "mc.stop_workflows() did not remove seven jobs"
[ "$(q "SELECT count(*) FROM cron.job WHERE jobname = ANY (mc._workflow_jobs())")" = 0 ] || fail "workflow jobs left after mc.stop_workflows()"
q "SELECT cron.unschedule('e2e_other_job')" >/dev/null
q "DELETE FROM cron.job_run_details WHERE command LIKE 'planted %'"
echo "ok - mc.stop_workflows() removed them"
