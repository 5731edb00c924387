-- The schema a new user gets from CREATE EXTENSION message_center.
BEGIN;
SELECT plan(23);

SELECT has_schema('mc');
SELECT has_table('mc', t, 'table mc.' || t) FROM unnest(ARRAY['rt_event', 'batch_event', 'settings',
  'template', 'published_template', 'seed_address', 'delivery', 'delivery_log', 'quarantine']) t;
SELECT has_view('mc', v, 'view mc.' || v) FROM unnest(ARRAY['event', 'event_status_summary',
  'queue_health']) v;
SELECT enum_has_labels('mc', 'event_status', ARRAY['pending', 'pending_delivery', 'sent', 'ignored',
  'delivery_failed', 'not_taken_into_account', 'expired'], 'all seven event statuses');
SELECT enum_has_labels('mc', 'channel', ARRAY['email', 'sms', 'push_ios', 'push_android', 'webhook']);
SELECT enum_has_labels('mc', 'delivery_status', ARRAY['pending', 'sent', 'ignored', 'failed']);

-- Both queues have the same shape, column for column.
SELECT is(
  (SELECT array_agg(attname || ':' || format_type(atttypid, atttypmod) ORDER BY attnum)
   FROM pg_attribute WHERE attrelid = 'mc.batch_event'::regclass AND attnum > 0 AND NOT attisdropped),
  (SELECT array_agg(attname || ':' || format_type(atttypid, atttypmod) ORDER BY attnum)
   FROM pg_attribute WHERE attrelid = 'mc.rt_event'::regclass AND attnum > 0 AND NOT attisdropped),
  'rt_event and batch_event have the same columns');
SELECT is((SELECT count(*)::int FROM pg_indexes WHERE schemaname = 'mc' AND tablename = 'batch_event'),
          (SELECT count(*)::int FROM pg_indexes WHERE schemaname = 'mc' AND tablename = 'rt_event'),
          'both queues have the same indexes');
SELECT col_not_null('mc', 'rt_event', 'ctx', 'ctx is required');
SELECT col_not_null('mc', 'rt_event', 'event_type', 'event_type is required');

-- Settings: one row with the documented defaults.
SELECT results_eq(
  'SELECT instance_id::int, max_ctx_bytes, event_retention, delivery_log_retention, archive_retention FROM mc.settings',
  $$VALUES (0, 65536, '30 days'::interval, '180 days'::interval, '360 days'::interval)$$,
  'settings defaults');
SELECT throws_ok('INSERT INTO mc.settings (singleton) VALUES (false)', '23514', NULL,
  'settings hold one row only');

-- The extension owns schema mc and everything in it.
SELECT is((SELECT count(*)::int FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
           WHERE e.extname = 'message_center' AND d.classid = 'pg_namespace'::regclass
             AND d.objid = 'mc'::regnamespace), 1, 'schema mc belongs to the extension');

SELECT * FROM finish();
ROLLBACK;
