#!/usr/bin/env bash
# Upgrades (run inside pg_virtualenv, pg_cron preloaded with cron.database_name=postgres).
# For every released version V (sql/released/, in semantic version order): install V, load
# data, ALTER EXTENSION UPDATE to the current version; the data is intact and work goes on,
# and the catalog (test/support/catalog.sql) and the pg_cron jobs equal those of a fresh
# CREATE EXTENSION built from the current sources (sql/install.list). The comparison is shown
# to catch a difference of each kind it reads, so an incomplete upgrade step fails here.
set -euo pipefail
cd "$(dirname "$0")/../.."
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
fail() { echo "not ok - $*"; exit 1; }
recreate() { psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }
catalog() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -f test/support/catalog.sql; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" message_center.control)
# Every version a released script installs or reaches, oldest first (sort -V: 0.10.0 > 0.9.0).
released=$(ls sql/released | sed -n 's/^message_center--\(.*\)\.sql$/\1/p' | tr -- '-' '\n' |
           grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -uV | grep -vx "$current")
[ -n "$released" ] || fail "no released version found in sql/released"

recreate mc_fresh
q mc_fresh "CREATE EXTENSION message_center"
catalog mc_fresh >"$out/fresh"
[ "$(grep -c '^fn ' "$out/fresh")" -gt 30 ] || fail "the catalog listing is empty"

# The comparison catches each kind of difference it reads (so that it can fail): a change of
# each kind made to a copy of the fresh database must show in the diff.
recreate mc_mutant
q mc_mutant "CREATE EXTENSION message_center"
while IFS='|' read -r what sql; do
  q mc_mutant "$sql" >/dev/null
  catalog mc_mutant >"$out/mutant"
  diff -q "$out/fresh" "$out/mutant" >/dev/null && fail "the catalog comparison misses $what"
  recreate mc_mutant; q mc_mutant "CREATE EXTENSION message_center"
done <<'MUTATIONS'
a function body|CREATE OR REPLACE FUNCTION mc._workflow_jobs() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT ARRAY['x'] $$
a function setting|ALTER FUNCTION mc.update_events_status() SET work_mem = '1MB'
a grant|REVOKE SELECT ON mc.event FROM mc_status_reader
a column grant|REVOKE SELECT (idempotency_key) ON mc.rt_event FROM mc_event_writer
a storage option|ALTER TABLE mc.rt_event SET (fillfactor = 50)
a column default|ALTER TABLE mc.archive_state ALTER COLUMN logs_through DROP DEFAULT
an index|DROP INDEX mc.rt_event_processed_at
a constraint|ALTER TABLE mc.settings DROP CONSTRAINT settings_max_ctx_bytes_check
a comment|COMMENT ON FUNCTION mc.push_event(jsonb, text) IS 'x'
a view|CREATE OR REPLACE VIEW mc.publication_status AS SELECT ip.instance_name, ip.template_name, ip.status, ip.requested_at, ip.done_at, ip.attempts, ip.last_attempt_at, ip.last_error FROM mc.instance_publication ip WHERE true
a trigger|DROP TRIGGER partial_changed ON mc.partial
a dump configuration|UPDATE pg_catalog.pg_extension SET extcondition = ARRAY['WHERE false'] WHERE extname = 'message_center'
an extension member|ALTER EXTENSION message_center DROP VIEW mc.queue_health
MUTATIONS
echo "ok - the catalog comparison sees a changed body, setting, grant, column grant, option, default, index, constraint, comment, view, trigger, dump configuration and membership"

# pg_cron jobs: mc.start_workflows() runs in pg_cron's database only.
cron_jobs() { q postgres "SELECT string_agg(jobname || ' ' || schedule || ' ' || command, E'\n' ORDER BY jobname)
                          FROM cron.job WHERE database = 'postgres'"; }
q postgres "CREATE EXTENSION IF NOT EXISTS pg_cron"
q postgres "DROP EXTENSION IF EXISTS message_center CASCADE"
q postgres "CREATE EXTENSION message_center"
q postgres "SELECT mc.start_workflows()" >/dev/null
cron_jobs >"$out/fresh-jobs"
q postgres "SELECT mc.stop_workflows()" >/dev/null
q postgres "DROP EXTENSION message_center"

for v in $released; do
  db=mc_upgraded
  recreate $db
  q $db "CREATE EXTENSION message_center VERSION '$v'"
  q $db "SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.id}}', body_text => 'x')" >/dev/null
  q $db "SELECT mc.publish_template('order')" >/dev/null
  q $db "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed', 'email', format('u%s@example.com', g), 'ctx', jsonb_build_object('id', g))) FROM generate_series(1, 100) g), 'batch')" >/dev/null
  q $db "SELECT mc.batch_events_processing(50)" >/dev/null
  q $db "ALTER EXTENSION message_center UPDATE"
  [ "$(q $db "SELECT extversion FROM pg_extension WHERE extname = 'message_center'")" = "$current" ] ||
    fail "the update from $v did not reach $current"
  [ "$(q $db "SELECT count(*) FILTER (WHERE status = 'pending_delivery') || '/' || count(*) FROM mc.batch_event")" = 50/100 ] ||
    fail "events changed across the update from $v"
  q $db "SELECT mc.batch_events_processing()" >/dev/null
  [ "$(q $db "SELECT count(*) FROM mc.batch_event WHERE status = 'pending_delivery'")" = 100 ] ||
    fail "processing after the update from $v"
  [ "$(q $db "SELECT count(*) FROM mc.delivery_log")" = 100 ] || fail "delivery logs after the update from $v"
  echo "ok - $v -> $current: ALTER EXTENSION UPDATE keeps the events and processing goes on"

  catalog $db >"$out/upgraded"
  if ! diff "$out/upgraded" "$out/fresh" >"$out/diff"; then
    echo "not ok - $v -> $current: the upgraded catalog differs from a fresh install (< upgraded, > fresh):"
    head -60 "$out/diff"; exit 1
  fi
  echo "ok - $v -> $current: the upgraded catalog equals a fresh install ($(wc -l <"$out/fresh") lines compared)"

  q postgres "CREATE EXTENSION message_center VERSION '$v'"
  q postgres "ALTER EXTENSION message_center UPDATE"
  q postgres "SELECT mc.start_workflows()" >/dev/null
  cron_jobs >"$out/upgraded-jobs"
  q postgres "SELECT mc.stop_workflows()" >/dev/null
  q postgres "DROP EXTENSION message_center"
  diff "$out/upgraded-jobs" "$out/fresh-jobs" || fail "$v -> $current: the pg_cron jobs differ from a fresh install"
  echo "ok - $v -> $current: mc.start_workflows() creates the same pg_cron jobs as a fresh install"
done
for db in mc_upgraded mc_fresh mc_mutant; do q postgres "DROP DATABASE $db"; done
