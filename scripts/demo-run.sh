#!/usr/bin/env bash
# The demo inside the throwaway cluster: setup and pushes (demo.sql), then the real pg_cron
# jobs process the events, the extension's sender workers send the emails to a local SMTP
# server (aiosmtpd), an external sender claims and reports the SMS, the status copy brings the
# outcomes back, and the summary is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres -c "$1"; }
mail_dir=$(mktemp -d /tmp/mc-demo-mail.XXXXXX)
/usr/bin/python3 test/servers/smtp_server.py --dir "$mail_dir" >"$mail_dir/server.out" 2>"$mail_dir/server.err" &
smtp_pid=$!
trap 'kill $smtp_pid 2>/dev/null || true; rm -rf "$mail_dir"' EXIT
for _ in $(seq 1 100); do grep -q READY "$mail_dir/server.out" && break; sleep 0.1; done
smtp_port=$(awk '/READY/ {print $2}' "$mail_dir/server.out")
psql -X -v ON_ERROR_STOP=1 -d postgres -f scripts/demo.sql
echo "== an SMTP provider: the local aiosmtpd on 127.0.0.1:$smtp_port; the email channel routed to it"
q "SELECT mc.create_provider('demo_smtp', 'email', 'smtp', 'smtp://127.0.0.1:$smtp_port', '{\"starttls\":\"off\",\"max_connections\":8,\"helo\":\"demo.example.com\"}')"
q "SELECT mc.route_channel('email', 'demo_smtp')"
q "INSERT INTO mc.quarantine (channel, address, reason) VALUES ('email', 'reader13@example.com', 'denylisted')"
psql -X -d postgres -c "SELECT pid, backend_type, application_name FROM pg_stat_activity WHERE backend_type = 'mc sender'"
wait_until() {  # wait_until SQL SECONDS
  local deadline=$((SECONDS + $2))
  until [ "$(q "$1")" = t ]; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for: $1"; exit 1; }
    sleep 1
  done
}
echo "== waiting for the next pg_cron minute: rtEventsProcessing and batchEventsProcessing take over"
wait_until "SELECT count(*) = 0 FROM mc.event WHERE status = 'pending'" 150
psql -X -d postgres -c "SELECT queue, status, count(*) FROM mc.event GROUP BY 1, 2 ORDER BY 1, 2"
echo "== a rendered message (delivery log)"
psql -X -d postgres -c "SELECT event_id, address, subject, body_html FROM mc.delivery_log WHERE address = 'bob@example.org'"
echo "== the sender workers send every email (the quarantined address is ignored by processing)"
wait_until "SELECT count(*) = 0 FROM mc.delivery_log WHERE channel = 'email' AND status = 'pending'" 60
psql -X -d postgres -c "SELECT channel, status, count(*) FROM mc.delivery_log GROUP BY 1, 2 ORDER BY 1, 2"
echo "== what arrived at the SMTP server ($(ls "$mail_dir"/*.eml | wc -l) messages); two of them:"
/usr/bin/python3 - "$mail_dir" <<'PY'
import email, email.policy, glob, sys
files = sorted(glob.glob(sys.argv[1] + "/*.eml"), key=lambda f: int(f.rsplit("/", 1)[1].split(".")[0]))
for f in files[:2]:
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    print("  %s | From: %s | To: %s | Subject: %s | %s | Message-ID: %s" % (
        f.rsplit("/", 1)[1], m["From"], m["To"], m["Subject"], m.get_content_type(), m["Message-ID"]))
PY
echo "== mc.provider_status"
psql -X -d postgres -c "SELECT * FROM mc.provider_status"
echo "== an external sender claims the SMS (channel not routed) and reports them"
q "SELECT count(mc.report_delivery(event_id, 'sent', lease => lease_token)) FROM mc.claim_messages('sms', 100, '5 minutes')" >/dev/null
echo "== waiting for updateEventsStatus (every minute) to copy the outcomes onto the events"
wait_until "SELECT count(*) = 0 FROM mc.event WHERE status = 'pending_delivery'" 130
echo "== status summary"
psql -X -d postgres -c "SELECT queue, status, events FROM mc.event_status_summary WHERE events > 0 ORDER BY queue, status"
echo "== queue health"
psql -X -d postgres -c "SELECT queue, health, message FROM mc.queue_health ORDER BY queue DESC"
echo "== workflows"
psql -X -d postgres -c "SELECT workflow, schedule, last_status, last_start FROM mc.workflow_status"
echo "== archiving: this database registers itself as execution instance 3 (postgres_fdw over"
echo "   loopback) and the pg_cron job mcSynch_local archives it into mc.event_histo"
q "CREATE EXTENSION IF NOT EXISTS postgres_fdw"
q "SELECT mc.register_execution_instance('local', 3, format('host=%s port=%s dbname=postgres user=%s password=%s', '${PGHOST:-localhost}', '${PGPORT:-5432}', current_user, '${PGPASSWORD:-}'))" >/dev/null
q "SELECT mc.create_archiving_workflow('local', '* * * * *')" >/dev/null
wait_until "SELECT (SELECT count(*) FROM mc.event_histo) = (SELECT count(*) FROM mc.event WHERE processed_at IS NOT NULL) AND (SELECT runs > 0 FROM mc.archive_state)" 130
psql -X -d postgres -c "SELECT name, instance_id, archived_through, archive_runs, last_events, last_logs, last_error FROM mc.execution_instance_status"
echo "== service level (mc.service_level, from the archive)"
psql -X -d postgres -c "SELECT instance_name, queue, event_type, channel, incoming, outgoing, avg_time_in_queue, error_rate FROM mc.service_level ORDER BY queue, event_type"
echo "== workflows, with the archiving job"
psql -X -d postgres -c "SELECT workflow, schedule, last_status, last_start FROM mc.workflow_status"
