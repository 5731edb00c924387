-- The rt loop (what the rtEventsProcessing job runs) called by hand, outside pg_cron: a
-- procedure that commits after every batch, so it runs outside a transaction block and this
-- file cleans up after itself instead of rolling back (it runs last).
SET client_min_messages = warning;
SELECT plan(6);

SELECT mc.create_template('t19_rt', 't19_rt', 'email', subject => 'S {{ctx.n}}', body_text => 'x');
SELECT mc.publish_template('t19_rt');
UPDATE mc.settings SET processing_batch_size = 10;
SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 't19_rt', 'email', format('r%s@example.com', g),
  'ctx', jsonb_build_object('n', g))) FROM generate_series(1, 35) g), 'rt');
SELECT count(*) FROM mc.push_events('[{"type": "t19_rt", "email": "b@example.com", "ctx": {}}]', 'batch');
CREATE TEMP TABLE t19_clock AS SELECT clock_timestamp() AS started;

CALL mc.rt_events_loop('1.5 seconds');

SELECT ok((SELECT clock_timestamp() - started BETWEEN interval '1.5 seconds' AND interval '10 seconds' FROM t19_clock),
  'rt_events_loop(run_for) keeps polling for run_for, then returns');
SELECT is((SELECT count(*)::int FROM mc.rt_event WHERE event_type = 't19_rt' AND status = 'pending_delivery'), 35,
  'it processed every rt event');
SELECT is((SELECT count(*)::int FROM mc.delivery_log d JOIN mc.rt_event e ON e.id = d.event_id WHERE e.event_type = 't19_rt'), 35,
  'one delivery-log row each');
SELECT cmp_ok((SELECT count(DISTINCT xmin::text)::int FROM mc.rt_event WHERE event_type = 't19_rt'), '>=', 4,
  'in batches of processing_batch_size (10), each committed in its own transaction');
SELECT is((SELECT status::text FROM mc.batch_event WHERE email = 'b@example.com'), 'pending',
  'the batch queue is not its business');
SELECT is((SELECT count(*)::int FROM pg_stat_activity WHERE query LIKE 'CALL mc.rt_events_loop%' AND pid <> pg_backend_pid()), 0,
  'nothing of it keeps running');

SELECT * FROM finish();

-- What this file committed.
TRUNCATE mc.rt_event, mc.batch_event, mc.delivery_log;
DELETE FROM mc.delivery;
DELETE FROM mc.template;
UPDATE mc.settings SET processing_batch_size = DEFAULT;
