#!/usr/bin/env bash
# Upgrade path (run inside pg_virtualenv): release 0.1.0 with data, ALTER EXTENSION ... UPDATE,
# then the data is intact, work goes on, and the schema is exactly that of a fresh install.
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
for db in mc_upgraded mc_fresh; do
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done

q mc_upgraded "CREATE EXTENSION message_center VERSION '0.1.0'"
q mc_upgraded "SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.id}}', body_text => 'x')" >/dev/null
q mc_upgraded "SELECT mc.publish_template('order')" >/dev/null
q mc_upgraded "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed', 'email', format('u%s@example.com', g), 'ctx', jsonb_build_object('id', g))) FROM generate_series(1, 100) g), 'batch')" >/dev/null
q mc_upgraded "SELECT mc.batch_events_processing(50)" >/dev/null
q mc_upgraded "ALTER EXTENSION message_center UPDATE"
latest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" message_center.control)
[ "$(q mc_upgraded "SELECT extversion FROM pg_extension WHERE extname = 'message_center'")" = "$latest" ] ||
  { echo "not ok - the update did not reach $latest"; exit 1; }
echo "ok - ALTER EXTENSION message_center UPDATE: 0.1.0 -> $latest (every step)"
[ "$(q mc_upgraded "SELECT count(*) FILTER (WHERE status = 'pending_delivery') || '/' || count(*) FROM mc.batch_event")" = 50/100 ] ||
  { echo "not ok - events changed across the update"; exit 1; }
q mc_upgraded "SELECT mc.batch_events_processing()" >/dev/null
[ "$(q mc_upgraded "SELECT count(*) FROM mc.batch_event WHERE status = 'pending_delivery'")" = 100 ] ||
  { echo "not ok - processing after the update"; exit 1; }
[ "$(q mc_upgraded "SELECT count(*) FROM mc.delivery_log")" = 100 ] || { echo "not ok - delivery logs"; exit 1; }
echo "ok - the events survive the update and processing goes on"

q mc_fresh "CREATE EXTENSION message_center"
# The same objects, definitions, grants and comments. (pg_dump prints only CREATE EXTENSION
# for an extension's members, so the catalogs are read directly.)
schema() {
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT x FROM (
  SELECT format('rel %s %s %s %s', c.relname, c.relkind, c.reloptions, c.relacl) AS x
  FROM pg_class c WHERE c.relnamespace = 'mc'::regnamespace
  UNION ALL
  SELECT format('col %s.%s #%s %s notnull=%s default=%s', c.relname, a.attname, a.attnum,
                format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relnamespace = 'mc'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT format('con %s %s %s', n.conrelid::regclass, n.conname, pg_get_constraintdef(n.oid))
  FROM pg_constraint n WHERE n.connamespace = 'mc'::regnamespace
  UNION ALL
  SELECT format('idx %s', pg_get_indexdef(i.indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'mc'::regnamespace
  UNION ALL
  SELECT format('view %s %s', c.relname, pg_get_viewdef(c.oid))
  FROM pg_class c WHERE c.relnamespace = 'mc'::regnamespace AND c.relkind = 'v'
  UNION ALL
  SELECT format('fn %s %s', pg_get_functiondef(p.oid), p.proacl)
  FROM pg_proc p WHERE p.pronamespace = 'mc'::regnamespace
  UNION ALL
  SELECT format('trg %s', pg_get_triggerdef(t.oid))
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relnamespace = 'mc'::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT format('type %s %s', t.typname, (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
                                          FROM pg_enum e WHERE e.enumtypid = t.oid))
  FROM pg_type t WHERE t.typnamespace = 'mc'::regnamespace AND t.typtype = 'e'
  UNION ALL
  SELECT format('comment %s %s', d.objoid::regclass, d.description)
  FROM pg_description d JOIN pg_class c ON c.oid = d.objoid WHERE c.relnamespace = 'mc'::regnamespace
  UNION ALL
  SELECT format('member %s', pg_describe_object(d.classid, d.objid, d.objsubid))
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE e.extname = 'message_center' AND d.deptype = 'e'
) o ORDER BY x;
SQL
}
schema mc_upgraded >/tmp/mc-upgraded.schema
schema mc_fresh >/tmp/mc-fresh.schema
[ "$(grep -c "^fn " /tmp/mc-fresh.schema)" -gt 30 ] || { echo "not ok - the schema listing is empty"; exit 1; }
if ! diff /tmp/mc-upgraded.schema /tmp/mc-fresh.schema >/tmp/mc-upgrade.diff; then
  echo "not ok - the upgraded schema differs from a fresh install:"; head -40 /tmp/mc-upgrade.diff; exit 1
fi
echo "ok - the upgraded schema equals a fresh install ($(wc -l </tmp/mc-fresh.schema) catalog lines compared)"
for db in mc_upgraded mc_fresh; do psql -X -q -d postgres -c "DROP DATABASE $db"; done
