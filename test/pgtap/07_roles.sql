-- The five roles, each used through a role that holds only it (SET ROLE), as the README says:
-- writers push, readers read, template managers write templates and partials and preview
-- them, delivery agents (12_delivery_api) claim and report, control agents read the feeds.
BEGIN;
SELECT plan(36);

CREATE ROLE mc_test_writer;
CREATE ROLE mc_test_reader;
CREATE ROLE mc_test_author;
CREATE ROLE mc_test_control;
CREATE ROLE mc_test_nobody;
GRANT mc_event_writer TO mc_test_writer;
GRANT mc_status_reader TO mc_test_reader;
GRANT mc_template_manager TO mc_test_author;
GRANT mc_control_agent TO mc_test_control;

SET ROLE mc_test_writer;
SELECT lives_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, 'writer: push_event');
SELECT lives_ok($$SELECT mc.push_events('[{"type":"t","ctx":{}}]')$$, 'writer: push_events');
SELECT lives_ok($$SELECT mc.push_event('{"type":"t","ctx":{},"idempotencyKey":"w"}');
                  SELECT mc.push_event('{"type":"t","ctx":{},"idempotencyKey":"w"}')$$,
                'writer: idempotent push (ON CONFLICT path)');
SELECT lives_ok($$INSERT INTO mc.rt_event (event_type, email, ctx, scheduled_at) VALUES ('t', 'a@example.com', '{}', now())$$,
                'writer: INSERT of the event''s own fields');
SELECT lives_ok($$INSERT INTO mc.rt_event (event_type, ctx) VALUES ('t', '{}') RETURNING id$$, 'writer: INSERT ... RETURNING id');
SELECT throws_ok($$INSERT INTO mc.rt_event (id, event_type, ctx) VALUES (7, 't', '{}')$$, '42501', NULL,
                 'writer: cannot choose an id');
SELECT throws_ok($$INSERT INTO mc.batch_event (event_type, ctx, status, processed_at) VALUES ('t', '{}', 'sent', now())$$,
                 '42501', NULL, 'writer: cannot insert a processing state');
SELECT throws_ok($$SELECT ctx FROM mc.rt_event$$, '42501', NULL, 'writer: cannot read event content');
SELECT throws_ok($$SELECT * FROM mc.queue_health$$, '42501', NULL, 'writer: cannot read status views');
SELECT throws_ok($$UPDATE mc.rt_event SET status = 'sent'$$, '42501', NULL, 'writer: cannot change statuses');
SELECT throws_ok($$DELETE FROM mc.batch_event$$, '42501', NULL, 'writer: cannot delete events');
SELECT throws_ok($$INSERT INTO mc.template (name, event_type) VALUES ('x', 't')$$, '42501', NULL, 'writer: cannot write templates');
RESET ROLE;

SET ROLE mc_test_reader;
SELECT is((SELECT count(*)::int FROM mc.event), 5, 'reader: sees the writer''s 5 events through mc.event');
SELECT lives_ok($$SELECT * FROM mc.event_status_summary$$, 'reader: event_status_summary');
SELECT lives_ok($$SELECT * FROM mc.queue_health$$, 'reader: queue_health');
SELECT lives_ok($$SELECT * FROM mc.event_history, mc.service_level, mc.execution_instance_status, mc.publication_status$$,
                'reader: the reports');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, '42501', NULL, 'reader: cannot push');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx) VALUES ('t', '{}')$$, '42501', NULL, 'reader: cannot INSERT');
SELECT throws_ok($$UPDATE mc.settings SET max_ctx_bytes = 1$$, '42501', NULL, 'reader: cannot change settings');
SELECT throws_ok($$UPDATE mc.rt_event SET status = 'sent'$$, '42501', NULL, 'reader: cannot change statuses');
SELECT throws_ok($$SELECT * FROM mc.claim_messages('email', 1, '1 minute')$$, '42501', NULL, 'reader: cannot claim messages');
RESET ROLE;

SET ROLE mc_test_author;
SELECT lives_ok($$INSERT INTO mc.partial (name, body) VALUES ('sig', '-- {{ctx.shop}}')$$, 'author: writes partials');
SELECT lives_ok($$SELECT mc.create_template('order', 'order_confirmed', subject => 'Order {{ctx.id}}', body_text => 'Thanks{{> sig}}')$$,
                'author: creates a template');
SELECT lives_ok($$INSERT INTO mc.seed_address (template_id, email, ctx) SELECT id, 's@example.com', '{"id": 4, "shop": "S"}' FROM mc.template WHERE name = 'order'$$,
                'author: adds a seed address');
SELECT is((SELECT body_text FROM mc.preview_template('order')), 'Thanks-- S', 'author: previews with its partial');
SELECT lives_ok($$SELECT mc.publish_template('order')$$, 'author: publishes');
SELECT lives_ok($$SELECT mc.pause_template('order'); SELECT mc.resume_template('order')$$, 'author: pauses and resumes');
SELECT is((SELECT count(*)::int FROM mc.published_template WHERE name LIKE 'order_%'), 2, 'author: sees what is published');
SELECT lives_ok($$SELECT mc.unpublish_template('order')$$, 'author: unpublishes');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, '42501', NULL, 'author: cannot push');
SELECT throws_ok($$UPDATE mc.published_template SET paused = true$$, '42501', NULL, 'author: cannot write published copies directly');
RESET ROLE;

SET ROLE mc_test_control;
SELECT lives_ok($$SELECT * FROM mc.archive_horizon, mc.archive_event_feed, mc.archive_log_feed, mc.quarantine, mc.settings$$,
                'control agent: reads the archive feeds and the horizon');
SELECT throws_ok($$SELECT * FROM mc.rt_event$$, '42501', NULL, 'control agent: not the queues themselves');
RESET ROLE;

-- The direct (COPY-like) path checks INSERT privilege itself: EXECUTE alone is not enough.
GRANT USAGE ON SCHEMA mc TO mc_test_nobody;
GRANT EXECUTE ON FUNCTION mc.push_event(jsonb, text), mc.push_events(jsonb, text) TO mc_test_nobody;
SET ROLE mc_test_nobody;
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, '42501', NULL, 'EXECUTE without INSERT: push_event refused');
SELECT throws_ok($$SELECT mc.push_events('[{"type":"t","ctx":{}}]')$$, '42501', NULL, 'EXECUTE without INSERT: push_events refused');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{},"idempotencyKey":"n"}')$$, '42501', NULL, 'EXECUTE without INSERT: keyed push refused');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
