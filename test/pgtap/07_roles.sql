-- The three roles: writers push, readers read status views, template managers manage templates.
BEGIN;
SELECT plan(20);

CREATE ROLE mc_test_writer;
CREATE ROLE mc_test_reader;
CREATE ROLE mc_test_author;
CREATE ROLE mc_test_nobody;
GRANT mc_event_writer TO mc_test_writer;
GRANT mc_status_reader TO mc_test_reader;
GRANT mc_template_manager TO mc_test_author;

SET ROLE mc_test_writer;
SELECT lives_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, 'writer: push_event');
SELECT lives_ok($$SELECT mc.push_events('[{"type":"t","ctx":{}}]')$$, 'writer: push_events');
SELECT lives_ok($$SELECT mc.push_event('{"type":"t","ctx":{},"idempotencyKey":"w"}');
                  SELECT mc.push_event('{"type":"t","ctx":{},"idempotencyKey":"w"}')$$,
                'writer: idempotent push (ON CONFLICT path)');
SELECT lives_ok($$INSERT INTO mc.rt_event (event_type, ctx) VALUES ('t', '{}')$$, 'writer: INSERT');
SELECT throws_ok($$SELECT ctx FROM mc.rt_event$$, '42501', NULL, 'writer: cannot read event content');
SELECT throws_ok($$SELECT * FROM mc.queue_health$$, '42501', NULL, 'writer: cannot read status views');
SELECT throws_ok($$UPDATE mc.rt_event SET status = 'sent'$$, '42501', NULL, 'writer: cannot change statuses');
SELECT throws_ok($$DELETE FROM mc.batch_event$$, '42501', NULL, 'writer: cannot delete events');
SELECT throws_ok($$INSERT INTO mc.template (name, event_type) VALUES ('x', 't')$$, '42501', NULL, 'writer: cannot write templates');
RESET ROLE;

SET ROLE mc_test_reader;
SELECT is((SELECT count(*)::int FROM mc.event), 4, 'reader: sees the writer''s 4 events through mc.event');
SELECT lives_ok($$SELECT * FROM mc.event_status_summary$$, 'reader: event_status_summary');
SELECT lives_ok($$SELECT * FROM mc.queue_health$$, 'reader: queue_health');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, '42501', NULL, 'reader: cannot push');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx) VALUES ('t', '{}')$$, '42501', NULL, 'reader: cannot INSERT');
SELECT throws_ok($$UPDATE mc.settings SET max_ctx_bytes = 1$$, '42501', NULL, 'reader: cannot change settings');
RESET ROLE;

SET ROLE mc_test_author;
SELECT lives_ok($$INSERT INTO mc.template (name, event_type, subject, body_text) VALUES ('order', 'order_confirmed', 'Order {{ctx.id}}', 'Thanks')$$,
                'author: writes templates');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, '42501', NULL, 'author: cannot push');
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
