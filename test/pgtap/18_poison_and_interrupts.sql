-- No poison batch, no runaway render (issue 11): a limit lowered after events were stored, an
-- event whose row cannot be written, and a hostile template under statement_timeout.
BEGIN;
SELECT plan(24);

SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.id}}', body_text => 'x');
SELECT mc.publish_template('order');

-- 1. A limit lowered after an event was stored no longer stops processing or the status copy
-- (the CHECK used to re-validate the stored row on processing's own UPDATE: 54000, forever).
SELECT mc.push_event(jsonb_build_object('type', 'order_confirmed', 'email', 'big@example.com',
                                        'ctx', jsonb_build_object('id', 1, 'pad', repeat('x', 500))), 'batch');
UPDATE mc.settings SET max_ctx_bytes = 100;
SELECT is(mc.batch_events_processing(), 1::bigint, 'an event over the lowered limit is processed');
SELECT is((SELECT status::text FROM mc.batch_event WHERE email = 'big@example.com'), 'pending_delivery', 'it goes to delivery');
SELECT mc.report_delivery(c.event_id, 'sent', lease => c.lease_token) FROM mc.claim_messages('email', 10, '1 minute') c;
SELECT is(mc.update_events_status(), 1::bigint, 'the status copy updates it too');
SELECT throws_ok($$SELECT mc.push_event(jsonb_build_object('type', 'order_confirmed', 'ctx', jsonb_build_object('pad', repeat('x', 500))))$$,
  '54000', NULL, 'the lowered limit still refuses new events at intake');
UPDATE mc.settings SET max_ctx_bytes = 65536;

-- 2. One event whose rows cannot be written (here a trigger refuses its delivery-log row) fails
-- alone: the others of its batch are written, it is retried, then expires.
CREATE FUNCTION pg_temp.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.address = 'poison@example.com' THEN
    RAISE EXCEPTION 'poison row refused' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_poison BEFORE INSERT ON mc.delivery_log FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_poison();
UPDATE mc.settings SET max_processing_attempts = 2;
SELECT mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed',
  'email', CASE WHEN g = 4 THEN 'poison@example.com' ELSE format('p%s@example.com', g) END,
  'ctx', jsonb_build_object('id', g))) FROM generate_series(1, 7) g), 'batch');
SELECT is(mc.batch_events_processing(), 7::bigint, 'the batch with the bad event is handled whole');
SELECT is((SELECT count(*)::int FROM mc.batch_event WHERE email LIKE 'p%@example.com' AND status = 'pending_delivery'), 6,
  'the six good events went to delivery');
SELECT results_eq($$SELECT status::text, error_count, last_error LIKE 'could not write the event: 23514: poison row refused%'
                    FROM mc.batch_event WHERE email = 'poison@example.com'$$,
  $$VALUES ('pending', 1, true)$$, 'the bad one failed an attempt, with the error');
SELECT is((SELECT count(*)::int FROM mc.delivery_log WHERE address = 'poison@example.com'), 0, 'and has no delivery-log row');
UPDATE mc.batch_event SET process_requested_at = now() - interval '1 second' WHERE email = 'poison@example.com';
SELECT is(mc.batch_events_processing(), 1::bigint, 'it is retried');
SELECT results_eq($$SELECT status::text, error_count, last_error LIKE 'gave up after 2 attempts: could not write the event:%'
                    FROM mc.batch_event WHERE email = 'poison@example.com'$$,
  $$VALUES ('expired', 2, true)$$, 'and expires after max_processing_attempts');
DROP TRIGGER refuse_poison ON mc.delivery_log;

-- 2b. The same on the direct path (no trigger on mc.delivery_log: processing writes its rows as
-- COPY does, src/processing/log_insert.cpp): an event that already has a delivery-log row (the
-- primary key refuses a second: one row per event, ever) fails alone, with the unique violation.
SELECT mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed',
  'email', format('d%s@example.com', g), 'ctx', jsonb_build_object('id', g))) FROM generate_series(1, 5) g), 'batch');
INSERT INTO mc.delivery_log (event_id, channel, delivery_id, queue, address)
  SELECT id, 'email', 0, 'batch', 'squatter@example.com' FROM mc.batch_event WHERE email = 'd3@example.com';
SELECT is(mc.batch_events_processing(), 5::bigint, 'direct path: the batch with the duplicate is handled whole');
SELECT is((SELECT count(*)::int FROM mc.batch_event WHERE email LIKE 'd_@example.com' AND status = 'pending_delivery'), 4,
  'direct path: the four others went to delivery');
SELECT results_eq($$SELECT status::text, error_count, last_error LIKE 'could not write the event: 23505:%'
                    FROM mc.batch_event WHERE email = 'd3@example.com'$$,
  $$VALUES ('pending', 1, true)$$, 'direct path: the duplicate failed an attempt, with the unique violation');
SELECT is((SELECT count(*)::int FROM mc.delivery_log WHERE address LIKE 'd_@example.com'), 4,
  'direct path: one delivery-log row for each of the others, none for it');
DELETE FROM mc.delivery_log WHERE address = 'squatter@example.com';

-- 2c. Events whose row changed after the claim read it (here the enrichment function updates
-- them, in the same transaction) are not updated at the tuple the claim saw: the direct update
-- (src/processing/event_update.cpp) leaves them to the UPDATE statement, which moves the current
-- version on, once.
CREATE FUNCTION public.enrich_touching(ids bigint[]) RETURNS TABLE (event_id bigint, data jsonb)
  LANGUAGE plpgsql AS $$
BEGIN
  UPDATE mc.batch_event SET origin = 'touched' WHERE id = ANY (ids);
  RETURN QUERY SELECT i, '{}'::jsonb FROM unnest(ids) i;
END $$;
UPDATE mc.settings SET enrichment_function = 'public.enrich_touching';
SELECT mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed',
  'email', format('t%s@example.com', g), 'ctx', jsonb_build_object('id', g))) FROM generate_series(1, 3) g), 'batch');
SELECT is(mc.batch_events_processing(), 3::bigint, 'events updated since the claim are processed');
SELECT results_eq($$SELECT count(*)::int, count(*) FILTER (WHERE origin = 'touched')::int
                    FROM mc.batch_event WHERE email LIKE 't_@example.com' AND status = 'pending_delivery'$$,
  $$VALUES (3, 3)$$, 'each moved on from its current version (the enrichment''s change kept)');
SELECT is((SELECT count(*)::int FROM mc.delivery_log WHERE address LIKE 't_@example.com'), 3,
  'with one delivery-log row each');
UPDATE mc.settings SET enrichment_function = NULL;

-- 2d. A queue table with a trigger is not the extension's own any more: the UPDATE statement
-- moves its events on, and the trigger sees every update.
CREATE TEMP TABLE seen (id bigint, status text);
CREATE FUNCTION pg_temp.see() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO pg_temp.seen VALUES (NEW.id, NEW.status::text);
  RETURN NEW;
END $$;
CREATE TRIGGER see AFTER UPDATE ON mc.batch_event FOR EACH ROW EXECUTE FUNCTION pg_temp.see();
SELECT mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'order_confirmed',
  'email', format('s%s@example.com', g), 'ctx', jsonb_build_object('id', g))) FROM generate_series(1, 2) g), 'batch');
SELECT is(mc.batch_events_processing(), 2::bigint, 'a queue with a trigger is processed');
SELECT is((SELECT count(*)::int FROM pg_temp.seen WHERE status = 'pending_delivery'), 2, 'through UPDATE: the trigger saw both');
DROP TRIGGER see ON mc.batch_event;

-- 3. A hostile template stops at statement_timeout (the engine asks for pending interrupts
-- between nodes): 200^3 empty bodies stay under the step limit and the output limit (about 160 ms
-- here), so only the timeout can stop them.
CREATE TEMP TABLE big AS SELECT jsonb_build_object('a', (SELECT jsonb_agg(g) FROM generate_series(1, 200) g)) AS ctx;
-- (throws_ok cannot see 57014: PL/pgSQL's WHEN OTHERS does not catch a cancel, so a DO block
-- names it.)
CREATE TEMP TABLE outcome (what text, sqlstate text);
SET LOCAL statement_timeout = '20ms';
DO $$ BEGIN
  PERFORM mc.render_template('{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}', (SELECT ctx FROM big));
  INSERT INTO outcome VALUES ('render', 'finished');
EXCEPTION WHEN query_canceled THEN
  INSERT INTO outcome VALUES ('render', SQLSTATE || ' ' || SQLERRM);
END $$;
SET LOCAL statement_timeout = 0;
SELECT is((SELECT sqlstate FROM outcome WHERE what = 'render'), '57014 canceling statement due to statement timeout',
  'mc.render_template stops at statement_timeout');
SELECT mc.create_template('hostile', 'hostile', 'email', subject => 'H', body_text => 'x{{#ctx.a}}{{#ctx.a}}{{#ctx.a}}{{/ctx.a}}{{/ctx.a}}{{/ctx.a}}');
SELECT mc.publish_template('hostile');
SELECT mc.push_event(jsonb_build_object('type', 'hostile', 'email', 'h@example.com', 'ctx', (SELECT ctx FROM big)), 'batch');
SET LOCAL statement_timeout = '20ms';
DO $$ BEGIN
  PERFORM mc.batch_events_processing();
  INSERT INTO outcome VALUES ('processing', 'finished');
EXCEPTION WHEN query_canceled THEN
  INSERT INTO outcome VALUES ('processing', SQLSTATE);
END $$;
SET LOCAL statement_timeout = 0;
SELECT is((SELECT sqlstate FROM outcome WHERE what = 'processing'), '57014', 'processing stops at statement_timeout too');
SELECT results_eq($$SELECT status::text, error_count FROM mc.batch_event WHERE email = 'h@example.com'$$,
  $$VALUES ('pending', 0)$$, 'the event is left as it was: an interrupt is not its failure');
SELECT lives_ok($$SELECT mc.render_template('{{#a}}{{.}}{{/a}}', (SELECT ctx FROM big))$$, 'rendering still works afterwards');

-- 4. An error text too long for the guard's buffer is cut at a character boundary: a template
-- error quoting 1,500 two-byte characters (its text would be cut inside one at 2,047 bytes).
DO $$ BEGIN
  PERFORM mc.render_template('{{#' || repeat('é', 1500) || '}}', '{}');
EXCEPTION WHEN OTHERS THEN
  -- convert_from checks the bytes: it raises 22021 on a cut character.
  INSERT INTO outcome VALUES ('long error', octet_length(convert_from(convert_to(SQLERRM, 'UTF8'), 'UTF8'))::text);
END $$;
SELECT ok((SELECT sqlstate::int BETWEEN 2000 AND 2047 FROM outcome WHERE what = 'long error'),
  'a long error text is cut to the buffer, on a UTF-8 character boundary');

SELECT * FROM finish();
ROLLBACK;
