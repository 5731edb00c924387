-- mcCleanup: what is purged and what never is (pending events, what an archive has not taken).
BEGIN;
SELECT plan(16);

SELECT mc.create_template('t', 'order', 'email', subject => 's', body_text => 'b');
SELECT mc.publish_template('t');
-- Processed events with a delivery log, and pending ones; then age them all.
SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order',
  'email', format('p%s@example.com', g), 'ctx', '{}'::jsonb)) FROM generate_series(1, 30) g), 'batch');
SELECT mc.batch_events_processing();
SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order',
  'email', format('w%s@example.com', g), 'ctx', '{}'::jsonb, 'scheduled', '2999-01-01T00:00:00Z'))
  FROM generate_series(1, 5) g), 'batch');
SELECT mc.push_event('{"type":"order","email":"rt@example.com","ctx":{}}', 'rt');
SELECT mc.rt_events_processing();
-- Ages: events and logs created 40 days ago (older than 30 days), processed 39 days ago.
UPDATE mc.batch_event SET created_at = now() - interval '40 days',
  processed_at = CASE WHEN processed_at IS NOT NULL THEN now() - interval '39 days' END,
  last_modified_at = now() - interval '39 days';
UPDATE mc.rt_event SET created_at = now() - interval '10 days', processed_at = now() - interval '10 days',
  last_modified_at = now() - interval '10 days';
UPDATE mc.delivery_log SET created_at = now() - interval '40 days', last_modified_at = now() - interval '39 days'
  WHERE queue = 'batch';
UPDATE mc.delivery_log SET created_at = now() - interval '10 days', last_modified_at = now() - interval '10 days'
  WHERE queue = 'rt';

SELECT throws_ok('SELECT * FROM mc.purge_expired(0)', '22023', 'max_rows must be a positive integer, got 0',
  'max_rows is checked');

-- An archive that has taken nothing yet blocks every purge.
INSERT INTO mc.archive_cursor (archive, archived_through) VALUES ('control a', '-infinity');
SELECT is((SELECT sum(purged)::int FROM mc.purge_expired()), 0, 'nothing is purged before the archive took it');
-- The archive has taken what was modified until 39.5 days ago: still nothing (modified 39 days ago).
UPDATE mc.archive_cursor SET archived_through = now() - interval '39 days 12 hours';
SELECT is((SELECT sum(purged)::int FROM mc.purge_expired()), 0, 'nor what it has not taken yet');
-- With two archives, the one behind decides.
UPDATE mc.archive_cursor SET archived_through = now();
INSERT INTO mc.archive_cursor (archive, archived_through) VALUES ('control b', now() - interval '50 days');
SELECT is((SELECT sum(purged)::int FROM mc.purge_expired()), 0, 'the archive that is behind holds the purge');
DELETE FROM mc.archive_cursor WHERE archive = 'control b';

-- Batches of max_rows.
SELECT is((SELECT purged::int FROM mc.purge_expired(10) WHERE relation = 'mc.batch_event'), 10,
  'one call purges at most max_rows per table');
SELECT is((SELECT purged::int FROM mc.purge_expired(1000) WHERE relation = 'mc.batch_event'), 20,
  'the next call purges the rest of the processed batch events');
SELECT is((SELECT count(*)::int FROM mc.batch_event), 5, 'pending events are never purged, however old');
SELECT is((SELECT count(*)::int FROM mc.batch_event WHERE status <> 'pending'), 0, 'every processed old event is gone');
SELECT is((SELECT count(*)::int FROM mc.rt_event), 1, 'an event younger than event_retention stays');
SELECT is((SELECT count(*)::int FROM mc.delivery_log), 31,
  'delivery logs have their own retention (180 days): none purged yet');

UPDATE mc.settings SET delivery_log_retention = '35 days';
SELECT is((SELECT purged::int FROM mc.purge_expired() WHERE relation = 'mc.delivery_log'), 30,
  'logs older than delivery_log_retention are purged');
SELECT is((SELECT count(*)::int FROM mc.delivery_log), 1, 'the younger log stays');

UPDATE mc.settings SET event_retention = '5 days';
SELECT is((SELECT purged::int FROM mc.purge_expired() WHERE relation = 'mc.rt_event'), 1,
  'a shorter event_retention purges the younger event too');

-- Archives of a control instance: 360 days by default.
INSERT INTO mc.event_histo (id, instance_id, queue, status, wished_channel, error_count, created_at,
  last_modified_at, event_type, ctx)
VALUES (1, 1, 'rt', 'sent', 'email', 0, now() - interval '400 days', now() - interval '400 days', 'order', '{}'),
       (2, 1, 'rt', 'sent', 'email', 0, now() - interval '300 days', now() - interval '300 days', 'order', '{}');
SELECT is((SELECT purged::int FROM mc.purge_expired() WHERE relation = 'mc.event_histo'), 1,
  'archived events older than archive_retention are purged');
SELECT is((SELECT array_agg(id)::int[] FROM mc.event_histo), ARRAY[2], 'the younger one stays');
SELECT is((SELECT sum(purged)::int FROM mc.purge_expired()), 0, 'a second pass finds nothing');

SELECT * FROM finish();
ROLLBACK;
