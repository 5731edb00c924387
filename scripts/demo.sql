-- The demo: what an application does with message_center, in one psql session.
\set QUIET on
\pset footer off
CREATE EXTENSION pg_cron;
CREATE EXTENSION message_center;
SELECT mc.set_instance_id(3);
\set QUIET off

\echo '== templates: compiled when created, published as <name>_rt and <name>_batch'
INSERT INTO mc.partial (name, body) VALUES ('footer', '<hr><small>Example Shop, Lund</small>');
SELECT mc.create_template('order_confirmation', 'order_confirmed', 'email', sender => 'shop@example.com',
  subject => 'Order {{ctx.order.id}} confirmed',
  body_html => '<p>Hello {{ctx.firstName}},</p><ul>{{#ctx.order.items}}<li>{{name}} x{{qty}}</li>{{/ctx.order.items}}</ul>{{> footer}}',
  body_text => 'Hello {{ctx.firstName}}, your order {{ctx.order.id}} is confirmed.') AS template_id;
SELECT mc.create_template('order_confirmation_fr', 'order_confirmed', 'email', language => 'fr',
  subject => 'Commande {{ctx.order.id}} confirmée', body_text => 'Bonjour {{ctx.firstName}} !');
SELECT mc.create_template('password_reset', 'password_reset', 'email', subject => 'Reset your password',
  body_text => 'Follow {{ctx.resetUrl}}');
SELECT mc.create_template('newsletter', 'newsletter', 'email', subject => 'Issue {{ctx.issue}}', body_text => 'News for reader {{ctx.reader}}');
SELECT mc.create_template('delivery_slot', 'delivery_slot', 'sms', body_text => 'Your delivery: {{ctx.slot}}');
SELECT mc.create_template('invoice_ready', 'invoice_ready', 'email', subject => 'Invoice {{ctx.invoice}}', body_text => 'Your invoice {{ctx.invoice}} is ready.');
SELECT count(mc.publish_template(name)) AS published FROM mc.template;
\set ON_ERROR_STOP off
SELECT mc.create_template('broken', 'x', 'email', subject => 'ok', body_html => E'<p>\n{{#items}}never closed</p>');
\set ON_ERROR_STOP on

\echo '== the workflows: pg_cron jobs'
SELECT mc.start_workflows() AS job;

\echo '== push_event: one real-time event (returns its id; the instance id 3 is in the high byte)'
SELECT mc.push_event('{
  "type": "password_reset", "email": "ada@example.com", "externalId": "cust-1",
  "language": "en", "ctx": {"resetUrl": "https://shop.example/reset/abc", "firstName": "Ada"}}') AS id,
  mc.push_event('{"type":"password_reset","email":"ada@example.com","ctx":{}}') >> 56 AS instance;

\echo '== idempotency: the same key twice returns the same id, stores one event'
SELECT mc.push_event('{"type":"order_confirmed","email":"bob@example.org","idempotencyKey":"order-1001",
                      "ctx":{"firstName":"Bob","order":{"id":1001,"items":[{"name":"Pen","qty":2}]}}}') AS first_push;
SELECT mc.push_event('{"type":"order_confirmed","email":"bob@example.org","idempotencyKey":"order-1001",
                      "ctx":{"firstName":"Bob","order":{"id":1001,"items":[{"name":"Pen","qty":2}]}}}') AS second_push;
SELECT mc.push_event('{"type":"order_confirmed","email":"jean@example.fr","language":"fr","ctx":{"firstName":"Jean","order":{"id":1002}}}') AS french;
SELECT mc.push_event('{"type":"unknown_type","email":"x@example.com","ctx":{}}') AS no_template;

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

