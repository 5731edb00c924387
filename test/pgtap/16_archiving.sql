-- Archiving an execution instance (database mc_exec_test, test/fixtures/execution_instance.sql)
-- through a real postgres_fdw connection: counts, statuses, idempotent reruns, late changes.
-- psql variables: host, port, password (test/run-sql-tests.sh sets them).
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(30);
CREATE EXTENSION IF NOT EXISTS postgres_fdw;

SELECT lives_ok(format('SELECT mc.register_execution_instance(%L, 9, %L)', 'exec9',
  format('host=%s port=%s dbname=mc_exec_test user=%s password=%s', :'host', :'port', current_user, :'password')),
  'register the execution instance (id 9)');
SELECT is((SELECT is_local FROM mc.execution_instance WHERE name = 'exec9'), false, 'another database is not local');
-- To check against the source and to make late changes there, the raw tables too.
CREATE SCHEMA src;
IMPORT FOREIGN SCHEMA mc LIMIT TO (rt_event, batch_event, delivery_log) FROM SERVER mc_exec_exec9 INTO src;
CREATE TEMP TABLE pass AS SELECT 0 AS n, * FROM mc.archive_instance('exec9', mc.archive_horizon('exec9'));

SELECT is((SELECT events::int FROM pass), 63, 'the first pass archives every processed event (63)');
SELECT is((SELECT delivery_logs::int FROM pass), 60, 'and every delivery log (60)');
SELECT is((SELECT count(*)::int FROM mc.event_histo),
  (SELECT count(*)::int FROM src.batch_event WHERE processed_at IS NOT NULL)
  + (SELECT count(*)::int FROM src.rt_event WHERE processed_at IS NOT NULL), 'event_histo holds the processed events of both queues');
SELECT is((SELECT count(*)::int FROM mc.event_histo WHERE (id >> 56) & 255 = 9 AND instance_id = 9), 63,
  'their ids carry instance id 9');
SELECT is((SELECT count(*)::int FROM mc.event_histo h WHERE h.id IN (SELECT id FROM src.batch_event WHERE status = 'pending')), 0,
  'pending events are not archived');
SELECT results_eq($$SELECT status::text, count(*)::int FROM mc.event_histo GROUP BY 1 ORDER BY 1$$,
  $$VALUES ('delivery_failed', 5), ('not_taken_into_account', 3), ('pending_delivery', 35), ('sent', 20)$$,
  'statuses carry the delivery outcome (before updateEventsStatus copied it)');
SELECT is((SELECT count(*)::int FROM mc.event_histo WHERE queue = 'rt'), 10, 'both queues, with their queue');
SELECT is((SELECT count(*)::int FROM mc.broadlog_event_histo WHERE template_name = 'order_batch'), 50,
  'delivery logs carry their template');
SELECT is((SELECT count(*)::int FROM mc.quarantine WHERE address = 'spam@example.com'), 1,
  'the quarantine is pulled');

-- Idempotent: a second pass, and a rerun from the start (a crash before the watermark
-- committed), change nothing and duplicate nothing. (The archive's primary keys make a
-- duplicate an error, which aborts this file and fails it; the counts find a row lost.)
INSERT INTO pass SELECT 1, * FROM mc.archive_instance('exec9', mc.archive_horizon('exec9'));
SELECT is((SELECT events + delivery_logs FROM pass WHERE n = 1), 0::bigint, 'a second pass changes nothing');
UPDATE mc.archive_state SET watermark = '-infinity' WHERE instance_name = 'exec9';
INSERT INTO pass SELECT 2, * FROM mc.archive_instance('exec9', mc.archive_horizon('exec9'));
SELECT is((SELECT events + delivery_logs FROM pass WHERE n = 2), 0::bigint, 'a rerun from the start changes nothing');
SELECT is((SELECT count(*)::int FROM mc.event_histo) + (SELECT count(*)::int FROM mc.broadlog_event_histo), 123,
  'and loses nothing (a duplicate would have been an error)');

-- A late change: a bounce after "sent".
UPDATE src.delivery_log SET status = 'failed', failure_reason = 'user_unknown', last_modified_at = clock_timestamp()
WHERE event_id = (SELECT min(event_id) FROM src.delivery_log WHERE status = 'sent');
INSERT INTO pass SELECT 3, * FROM mc.archive_instance('exec9', clock_timestamp());
SELECT is((SELECT delivery_logs::int FROM pass WHERE n = 3), 1, 'the next pass takes the changed log only');
SELECT results_eq($$SELECT h.status::text, l.failure_reason FROM mc.event_histo h JOIN mc.broadlog_event_histo l ON l.event_id = h.id
                    WHERE h.id = (SELECT min(event_id) FROM src.delivery_log WHERE failure_reason = 'user_unknown')$$,
  $$VALUES ('delivery_failed', 'user_unknown')$$, 'and the archived event turns delivery_failed');

SELECT ok((SELECT watermark > '-infinity' AND runs = 4 AND last_error IS NULL FROM mc.archive_state WHERE instance_name = 'exec9'),
  'archive_state counts the runs and holds the watermark');
SELECT lives_ok($$SELECT mc._advance_archive_cursor('exec9')$$, 'the archive cursor is written on the instance');
SELECT is((SELECT archived_through FROM mc_exec_exec9.archive_cursor WHERE archive = mc._archive_name()),
  (SELECT watermark FROM mc.archive_state WHERE instance_name = 'exec9'), 'at the watermark');
SELECT is((SELECT sum(incoming)::int FROM mc.service_level WHERE instance_name = 'exec9'), 63,
  'service_level counts the incoming events of the instance');
SELECT is((SELECT count(*)::int FROM mc.event_history WHERE instance_name = 'exec9' AND delivery_status = 'failed'), 6,
  'event_history shows each event with its delivery outcome');

-- How far the archive reaches (0.3.0): rows beyond it are inserted plainly, the others upserted.
SELECT ok((SELECT events_through >= (SELECT max(processed_at) FROM mc.event_histo WHERE instance_id = 9)
           FROM mc.archive_state WHERE instance_name = 'exec9'),
  'events_through: no archived event was processed after it');
SELECT ok((SELECT logs_through >= (SELECT max(created_at) FROM mc.broadlog_event_histo WHERE instance_id = 9)
           FROM mc.archive_state WHERE instance_name = 'exec9'),
  'logs_through: no archived delivery log was created after it');
-- A new processed event after them takes the plain path.
INSERT INTO src.batch_event (id, wished_channel, error_count, event_type, email, ctx, status, processed_at, created_at, last_modified_at, last_error)
VALUES ((9::bigint << 56) + 999999, 'email', 0, 'no_such_type', 'late@example.com', '{}', 'not_taken_into_account', clock_timestamp(), clock_timestamp(),
        clock_timestamp(), 'no published template');
INSERT INTO pass SELECT 4, * FROM mc.archive_instance('exec9', clock_timestamp());
SELECT is((SELECT events::int FROM pass WHERE n = 4), 1, 'a new event beyond the bounds is archived');
-- Bounds that are wrong (say, the instance's clock was set back): the plain insert meets an
-- archived row, and the pass upserts everything instead: nothing fails, nothing is duplicated.
UPDATE mc.archive_state SET watermark = '-infinity', events_through = '-infinity', logs_through = '-infinity'
WHERE instance_name = 'exec9';
INSERT INTO pass SELECT 5, * FROM mc.archive_instance('exec9', clock_timestamp());
SELECT is((SELECT events + delivery_logs FROM pass WHERE n = 5), 0::bigint,
  'with bounds below archived rows, a pass falls back to upserting and changes nothing');
SELECT is((SELECT count(*)::int FROM mc.event_histo) + (SELECT count(*)::int FROM mc.broadlog_event_histo), 124,
  'and loses nothing (a duplicate would have been an error)');
-- Unknown bounds (an archive from before 0.3.0): upserts, then learns them.
UPDATE mc.archive_state SET watermark = '-infinity', events_through = NULL, logs_through = NULL
WHERE instance_name = 'exec9';
INSERT INTO pass SELECT 6, * FROM mc.archive_instance('exec9', clock_timestamp());
SELECT is((SELECT events + delivery_logs FROM pass WHERE n = 6), 0::bigint, 'without bounds a pass changes nothing');
SELECT ok((SELECT events_through = (SELECT max(processed_at) FROM src.batch_event)
                  AND logs_through = (SELECT max(created_at) FROM src.delivery_log)
           FROM mc.archive_state WHERE instance_name = 'exec9'), 'and learns the bounds from the instance');

-- Last, as it leaves this transaction's connection to exec9 unusable: an instance that dies in
-- the middle of a push (the fixture's trigger kills the backend receiving this template) fails
-- the publish call at once (postgres_fdw could not commit it anyway). That nothing of it commits
-- anywhere is checked across real clusters in test/e2e/control_instances.sh.
SELECT mc.create_template('dies_mid_push', 'order_confirmed', 'email', subject => 'x', body_text => 'y');
SELECT throws_like($$SELECT mc.publish_template('dies_mid_push')$$,
  'the connection to execution instance "exec9" was lost while publishing template "dies_mid_push"%',
  'an instance lost in the middle of a push fails the publish call at once');
SELECT ok(NOT mc._instance_connection_usable('exec9'), 'this transaction cannot use that connection any more');

SELECT * FROM finish();
ROLLBACK;
