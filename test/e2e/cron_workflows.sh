#!/usr/bin/env bash
# End to end through the real pg_cron scheduler (run inside pg_virtualenv, pg_cron preloaded,
# cron.database_name=postgres): events pushed, processed by the scheduled jobs, deliveries
# reported by a sender, statuses copied back by the scheduled status copy.
set -euo pipefail
# The database pg_cron runs in (cron.database_name) is where the workflows are started.
db=postgres
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }

q "CREATE EXTENSION IF NOT EXISTS pg_cron"
q "DROP EXTENSION IF EXISTS message_center"
q "CREATE EXTENSION message_center"
q "SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.id}}', body_text => 'Thanks {{ctx.name}}')"
q "SELECT mc.publish_template('order')"

[ "$(q "SELECT string_agg(w, ',' ORDER BY w) FROM mc.start_workflows() w")" = \
  "batchEventsProcessing,mcCleanup,mcCronHistoryPurge,mcPublicationRetry,mcSenders,rtEventsProcessing,updateEventsStatus" ]
echo "ok - mc.start_workflows() created the seven jobs"

q "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed', 'email', format('rt%s@example.com', g), 'ctx', jsonb_build_object('id', g, 'name', 'N'))) FROM generate_series(1, 200) g), 'rt')" >/dev/null
q "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed', 'email', format('b%s@example.com', g), 'ctx', jsonb_build_object('id', g, 'name', 'N'))) FROM generate_series(1, 2000) g), 'batch')" >/dev/null

wait_for() {  # wait_for "<sql returning t/f>" seconds what
  local deadline=$((SECONDS + $2))
  until [ "$(q "$1")" = "t" ]; do
    if [ $SECONDS -ge $deadline ]; then echo "not ok - timed out waiting for: $3"; q "SELECT * FROM mc.event_status_summary WHERE events > 0"; psql -X -d postgres -c "SELECT jobname, status, return_message FROM cron.job_run_details JOIN cron.job USING (jobid) ORDER BY runid DESC LIMIT 10"; exit 1; fi
    sleep 1
  done
  echo "ok - $3"
}

wait_for "SELECT count(*) = 2200 FROM mc.event WHERE status = 'pending_delivery'" 150 "the scheduled jobs processed all 2,200 events"
# Once the rt loop is running, a new event is processed within a second, not a minute.
q "SELECT mc.push_event('{\"type\":\"order_confirmed\",\"email\":\"late@example.com\",\"ctx\":{\"id\":0}}')" >/dev/null
wait_for "SELECT count(*) = 1 FROM mc.rt_event WHERE email = 'late@example.com' AND status = 'pending_delivery'" 5 "a new rt event is processed by the running loop within seconds"

# A sender: claim everything, report sent (and one failure).
q "SELECT count(mc.report_delivery(event_id, CASE WHEN address = 'rt1@example.com' THEN 'failed' ELSE 'sent' END, CASE WHEN address = 'rt1@example.com' THEN 'user_unknown' END, lease_token)) FROM mc.claim_messages('email', 10000, '5 minutes')" >/dev/null
wait_for "SELECT count(*) = 2200 FROM mc.event WHERE status = 'sent'" 130 "the scheduled status copy marked 2,200 events sent"
wait_for "SELECT status = 'delivery_failed' FROM mc.rt_event WHERE email = 'rt1@example.com'" 5 "and the failed one delivery_failed"
wait_for "SELECT count(*) = 2201 FROM mc.delivery_log" 1 "exactly one delivery-log row per event"

# The three processing workflows (0.2.0's other jobs may have run too, or not yet).
wait_for "SELECT count(*) = 3 FROM mc.workflow_status WHERE workflow IN ('batchEventsProcessing', 'updateEventsStatus') AND last_status = 'succeeded' OR workflow = 'rtEventsProcessing'" 5 "mc.workflow_status shows the runs"
[ "$(q "SELECT count(*) FROM mc.stop_workflows()")" = 7 ]
[ "$(q "SELECT count(*) FROM cron.job WHERE jobname = ANY (mc._workflow_jobs())")" = 0 ]
echo "ok - mc.stop_workflows() removed them"
