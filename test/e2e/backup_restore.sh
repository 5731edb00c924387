#!/usr/bin/env bash
# Backups: pg_dump of a database with every kind of data (settings, templates and partials,
# events of both queues in every state, delivery logs, quarantine, an execution instance
# registered through postgres_fdw and archived), pg_restore into a fresh cluster, and the
# product goes on there: the same rows, new ids continue the sequence, pending events are
# processed, outcomes reported and copied, archiving goes on (after the one re-registration
# step the README gives: pointing the foreign server at its new address). Nothing lost, nothing
# duplicated. Two clusters of its own on loopback (ports MC_BACKUP_PORT, default 5521, and +1).
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${MC_BACKUP_PORT:-5521}
bindir=$(pg_config --bindir)
source test/support/cluster.sh
dir=$(mktemp -d /tmp/mc-backup.XXXXXX)
cluster_init "$dir"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
declare -A port=([src]=$base [dst]=$((base + 1)))
fail() { echo "not ok - $*"; exit 1; }
ok() { echo "ok - $*"; }
trap 'cluster_stop src; cluster_stop dst; rm -rf "$dir"' EXIT
on() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -p "${port[$1]}" -U postgres -d mc -c "$2"; }

cluster_start src ${port[src]}
cluster_start dst ${port[dst]}
psql -X -q -h "$dir" -p "${port[src]}" -U postgres -d postgres -c "CREATE DATABASE mc"
on src "CREATE EXTENSION postgres_fdw"
on src "CREATE EXTENSION message_center"
on src "SELECT mc.set_instance_id(3)" >/dev/null
on src "UPDATE mc.settings SET max_ctx_bytes = 100000, rt_pending_threshold = 7, max_delivery_attempts = 4"
on src "INSERT INTO mc.partial (name, body) VALUES ('footer', '-- {{ctx.shop}}')"
on src "SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.id}}', body_text => 'Thanks{{> footer}}')" >/dev/null
on src "INSERT INTO mc.seed_address (template_id, email, ctx) SELECT id, 'seed@example.com', '{\"id\": 1}' FROM mc.template"
on src "SELECT mc.publish_template('order')" >/dev/null
on src "INSERT INTO mc.quarantine (channel, address, reason) VALUES ('email', 'dead@example.com', 'user_unknown')"
push() {  # push NODE QUEUE N PREFIX
  on "$1" "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed',
    'email', CASE WHEN g % 20 = 0 THEN 'dead@example.com' ELSE format('$4%s@example.com', g) END,
    'ctx', jsonb_build_object('id', g, 'shop', 'S'))) FROM generate_series(1, $3) g), '$2')" >/dev/null
}
push src rt 300 r
push src batch 700 b
on src "SELECT mc.rt_events_processing(), mc.batch_events_processing(400)" >/dev/null
# A sender: half the claimed messages sent, some failed, the rest leased and unreported.
on src "CREATE TABLE public.claimed AS SELECT * FROM mc.claim_messages('email', 100000, '5 minutes')"
on src "SELECT count(mc.report_delivery(event_id, CASE WHEN event_id % 7 = 0 THEN 'failed' ELSE 'sent' END,
          CASE WHEN event_id % 7 = 0 THEN 'mailbox_full' END, lease_token)) FROM public.claimed WHERE event_id % 2 = 0" >/dev/null
on src "SELECT mc.update_events_status()" >/dev/null
# The minimal architecture archiving itself through postgres_fdw (loopback, trust).
on src "SELECT mc.register_execution_instance('self', 3, 'host=127.0.0.1 port=${port[src]} dbname=mc user=postgres')" >/dev/null
on src "CALL mc.synchronize_instance('self')"
[ "$(on src "SELECT count(*) FROM mc.event_histo")" -gt 0 ] || fail "nothing archived before the dump"

# What the product holds, table by table (the archive's and logs' times included).
snapshot() {
  on "$1" "SELECT string_agg(t || ' ' || n, ', ' ORDER BY t) FROM (
    SELECT 'settings' t, md5(string_agg(s::text, '')) n FROM mc.settings s
    UNION ALL SELECT 'workflow_state', md5(string_agg(w::text, '')) FROM mc.workflow_state w
    UNION ALL SELECT 'rt_event', md5(string_agg(e::text, '' ORDER BY id)) FROM mc.rt_event e
    UNION ALL SELECT 'batch_event', md5(string_agg(e::text, '' ORDER BY id)) FROM mc.batch_event e
    UNION ALL SELECT 'template', md5(string_agg(x::text, '' ORDER BY id)) FROM mc.template x
    UNION ALL SELECT 'published_template', md5(string_agg(x::text, '' ORDER BY id)) FROM mc.published_template x
    UNION ALL SELECT 'partial', md5(string_agg(x::text, '' ORDER BY name)) FROM mc.partial x
    UNION ALL SELECT 'seed_address', md5(string_agg(x::text, '' ORDER BY id)) FROM mc.seed_address x
    UNION ALL SELECT 'delivery', md5(string_agg(x::text, '' ORDER BY id)) FROM mc.delivery x
    UNION ALL SELECT 'delivery_log', md5(string_agg(x::text, '' ORDER BY event_id)) FROM mc.delivery_log x
    UNION ALL SELECT 'quarantine', md5(string_agg(x::text, '' ORDER BY address)) FROM mc.quarantine x
    UNION ALL SELECT 'execution_instance', md5(string_agg(x::text, '' ORDER BY name)) FROM mc.execution_instance x
    UNION ALL SELECT 'archive_state', md5(string_agg(x::text, '' ORDER BY instance_name)) FROM mc.archive_state x
    UNION ALL SELECT 'event_histo', md5(string_agg(x::text, '' ORDER BY id)) FROM mc.event_histo x
    UNION ALL SELECT 'broadlog_event_histo', md5(string_agg(x::text, '' ORDER BY event_id)) FROM mc.broadlog_event_histo x
    UNION ALL SELECT 'archive_cursor', md5(string_agg(x::text, '' ORDER BY archive)) FROM mc.archive_cursor x) s"
}
before=$(snapshot src)
as_pg "$bindir/pg_dump" -h "$dir" -p "${port[src]}" -U postgres -Fc -f "$dir/mc.dump" mc
psql -X -q -h "$dir" -p "${port[dst]}" -U postgres -d postgres -c "CREATE DATABASE mc"
# --exit-on-error: a restore that collides anywhere (a seed row, a key) fails here.
as_pg "$bindir/pg_restore" -h "$dir" -p "${port[dst]}" -U postgres -d mc --exit-on-error "$dir/mc.dump" ||
  fail "pg_restore into a fresh cluster"
ok "pg_dump -Fc, then pg_restore --exit-on-error into a fresh cluster"
after=$(snapshot dst)
if [ "$before" != "$after" ]; then
  diff <(tr ',' '\n' <<<"$before") <(tr ',' '\n' <<<"$after") || true
  fail "the restored tables differ from the dumped ones"
fi
ok "every table of the product is restored row for row (settings, events, templates, partials, logs, quarantine, instances, archive)"

# The product goes on in the restored database.
max_before=$(on dst "SELECT max(id) FROM mc.event")
push dst rt 50 n
[ "$(on dst "SELECT count(*) FROM mc.event WHERE id > $max_before AND (id >> 56) = 3")" = 50 ] ||
  fail "new events do not continue the restored sequence (instance 3)"
ok "new pushes continue the restored id sequence, no collision"
on dst "SELECT mc.create_template('order2', 'order_shipped', 'email', subject => 'Shipped {{ctx.id}}', body_text => 'x')" >/dev/null
on dst "INSERT INTO mc.seed_address (template_id, email) SELECT id, 'seed2@example.com' FROM mc.template WHERE name = 'order2'"
on dst "SELECT mc.publish_template('order2')" >/dev/null
ok "templates, seed addresses and publications created after the restore take new ids (identity sequences restored)"
on dst "SELECT mc.rt_events_processing(), mc.batch_events_processing()" >/dev/null
[ "$(on dst "SELECT count(*) FROM mc.event WHERE status = 'pending'")" = 0 ] || fail "pending events left after processing"
[ "$(on dst "SELECT count(*) FROM mc.event e WHERE e.status = 'pending_delivery' AND NOT EXISTS (SELECT FROM mc.delivery_log l WHERE l.event_id = e.id)")" = 0 ] ||
  fail "an event processed without its delivery log"
# The leases taken before the dump are still the messages' leases: their holder can report.
on dst "SELECT count(mc.report_delivery(event_id, 'sent', lease => lease_token)) FROM public.claimed WHERE event_id % 2 = 1" >/dev/null
on dst "SELECT count(mc.report_delivery(event_id, 'sent', lease => lease_token)) FROM mc.claim_messages('email', 100000, '5 minutes')" >/dev/null
on dst "SELECT mc.update_events_status()" >/dev/null
[ "$(on dst "SELECT count(*) FROM mc.event WHERE status = 'pending_delivery'")" = 0 ] || fail "statuses not copied after the restore"
ok "processing, the delivery API and the status copy go on after the restore"

# The registration came back with the dump (server, user mapping, foreign tables); the one
# step left is the server's address.
on dst "ALTER SERVER mc_exec_self OPTIONS (SET port '${port[dst]}')"
on dst "CALL mc.synchronize_instance('self')"
[ "$(on dst "SELECT count(*) FROM mc.event WHERE processed_at IS NOT NULL")" = "$(on dst "SELECT count(*) FROM mc.event_histo")" ] ||
  fail "archive after the restore: $(on dst "SELECT count(*) FROM mc.event_histo") archived of $(on dst "SELECT count(*) FROM mc.event WHERE processed_at IS NOT NULL") processed"
[ "$(on dst "SELECT count(*) FROM mc.event_histo h JOIN mc.event e ON e.id = h.id WHERE h.status <> e.status")" = 0 ] ||
  fail "archived statuses differ from the events'"
ok "archiving goes on after the restore (ALTER SERVER ... OPTIONS (SET port ...)): every processed event archived once, with its status"
