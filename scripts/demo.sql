-- The demo: what an application does with message_center, in one psql session.
\set QUIET on
\pset footer off
CREATE EXTENSION pg_cron;
CREATE EXTENSION message_center;
SELECT mc.set_instance_id(3);
\set QUIET off

\echo '== push_event: one real-time event (returns its id; the instance id 3 is in the high byte)'
SELECT mc.push_event('{
  "type": "password_reset", "email": "ada@example.com", "externalId": "cust-1",
  "language": "en", "ctx": {"resetUrl": "https://shop.example/reset/abc", "firstName": "Ada"}}') AS id,
  mc.push_event('{"type":"password_reset","email":"ada@example.com","ctx":{}}') >> 56 AS instance;

\echo '== idempotency: the same key twice returns the same id, stores one event'
SELECT mc.push_event('{"type":"order_confirmed","email":"bob@example.org","idempotencyKey":"order-1001",
                      "ctx":{"order":{"id":1001,"total":"42.00"}}}') AS first_push;
SELECT mc.push_event('{"type":"order_confirmed","email":"bob@example.org","idempotencyKey":"order-1001",
                      "ctx":{"order":{"id":1001,"total":"42.00"}}}') AS second_push;

\echo '== push_events: 1,000 batch events in one call, all or nothing'
SELECT count(*) AS pushed FROM mc.push_events((
  SELECT jsonb_agg(jsonb_build_object(
    'type', 'newsletter', 'email', format('reader%s@example.com', g), 'wishedChannel', 0,
    'language', (ARRAY['en', 'fr', 'sv', 'ko', 'pt'])[1 + g % 5],
    'ctx', jsonb_build_object('issue', 42, 'reader', g)))
  FROM generate_series(1, 1000) g));

\echo '== plain INSERT and COPY are validated the same way'
INSERT INTO mc.rt_event (event_type, mobile_phone, wished_channel, ctx)
VALUES ('delivery_slot', '+46 70 123 45 67', 'sms', '{"slot":"10:00-12:00"}');
COPY mc.batch_event (event_type, email, ctx) FROM STDIN;
invoice_ready	carol@example.net	{"invoice": "F-77"}
invoice_ready	dave@example.net	{"invoice": "F-78"}
\.

\echo '== refusals: a clear error naming the field, nothing stored'
\set ON_ERROR_STOP off
SELECT mc.push_event('{"type":"order_confirmed","email":"not-an-address","ctx":{}}');
SELECT mc.push_events('[{"type":"a","ctx":{}},{"type":"b","ctx":[]}]');
INSERT INTO mc.rt_event (event_type, email, ctx) VALUES ('x', 'eve@', '{}');
\set ON_ERROR_STOP on

\echo '== status summary'
SELECT queue, status, events FROM mc.event_status_summary WHERE events > 0 ORDER BY queue, status;
\echo '== queue health'
SELECT queue, health, message FROM mc.queue_health ORDER BY queue DESC;
