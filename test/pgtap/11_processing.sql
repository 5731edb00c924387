-- Processing: routing, rendering, every status transition, status copy.
BEGIN;
SELECT plan(33);

INSERT INTO mc.partial (name, body) VALUES ('footer', '-- {{ctx.shop}}');
SELECT mc.create_template('order', 'order_confirmed', 'email', subject => 'Order {{ctx.order.id}}',
  body_html => '<p>{{ctx.name}}</p>{{#ctx.items}}<li>{{sku}} x{{qty}}</li>{{/ctx.items}}',
  body_text => 'Hi {{ctx.name}} ({{email}}) {{> footer}}', sender => 'shop@example.com');
SELECT mc.create_template('order_fr', 'order_confirmed', 'email', language => 'fr',
  subject => 'Commande {{ctx.order.id}}', body_text => 'Bonjour {{ctx.name}}');
SELECT mc.create_template('order_sms', 'order_confirmed', 'sms', body_text => 'Order {{ctx.order.id}} ok');
SELECT mc.create_template('reset', 'password_reset', 'email', subject => 'Reset', body_text => '{{> missing_partial}}');
SELECT mc.create_template('newsletter', 'newsletter', 'email', subject => 'News', body_text => 'n');
SELECT mc.publish_template(n) FROM unnest(ARRAY['order', 'order_fr', 'order_sms', 'reset', 'newsletter']) n;

CREATE TEMP TABLE e AS SELECT * FROM (VALUES
  ('plain',    mc.push_event('{"type":"order_confirmed","email":"ada@example.com","ctx":{"name":"Ada <3","order":{"id":7},"items":[{"sku":"A","qty":2},{"sku":"B","qty":1}],"shop":"Shop"}}')),
  ('french',   mc.push_event('{"type":"order_confirmed","email":"jean@example.fr","language":"fr-CA","ctx":{"name":"Jean","order":{"id":8}}}')),
  ('german',   mc.push_event('{"type":"order_confirmed","email":"max@example.de","language":"de","ctx":{"name":"Max","order":{"id":9},"shop":"S"}}')),
  ('sms',      mc.push_event('{"type":"order_confirmed","mobilePhone":"+46701234567","wishedChannel":"sms","ctx":{"order":{"id":10}}}')),
  ('push',     mc.push_event('{"type":"order_confirmed","externalId":"u1","wishedChannel":"push_ios","ctx":{}}')),
  ('unknown',  mc.push_event('{"type":"no_such_type","email":"a@example.com","ctx":{}}')),
  ('no_email', mc.push_event('{"type":"order_confirmed","ctx":{}}')),
  ('broken',   mc.push_event('{"type":"password_reset","email":"b@example.com","ctx":{}}')),
  ('expired',  mc.push_event('{"type":"order_confirmed","email":"c@example.com","ctx":{},"scheduled":"2000-01-01T00:00:00Z","expiration":"2000-01-02T00:00:00Z"}')),
  ('later',    mc.push_event('{"type":"order_confirmed","email":"d@example.com","ctx":{},"scheduled":"2999-01-01T00:00:00Z"}')),
  ('quarantined', mc.push_event('{"type":"newsletter","email":"spam@example.com","ctx":{}}'))
) AS t (name, id);
INSERT INTO mc.quarantine (channel, address, reason) VALUES ('email', 'spam@example.com', 'denylisted');
CREATE FUNCTION pg_temp.st(n text) RETURNS text AS $$
  SELECT status::text FROM mc.rt_event WHERE id = (SELECT id FROM e WHERE name = n) $$ LANGUAGE sql;
CREATE FUNCTION pg_temp.log(n text) RETURNS mc.delivery_log AS $$
  SELECT d FROM mc.delivery_log d WHERE event_id = (SELECT id FROM e WHERE name = n) $$ LANGUAGE sql;

SELECT is(mc.rt_events_processing(), 10::bigint, 'every due event is handled; the scheduled one waits');
SELECT is(pg_temp.st('plain'), 'pending_delivery', 'routed event: pending_delivery');
SELECT is((pg_temp.log('plain')).subject, 'Order 7', 'subject rendered');
SELECT is((pg_temp.log('plain')).body_html, '<p>Ada &lt;3</p><li>A x2</li><li>B x1</li>', 'HTML part escaped, section over items');
SELECT is((pg_temp.log('plain')).body_text, 'Hi Ada <3 (ada@example.com) -- Shop', 'text part not escaped; event fields at the root; partial');
SELECT is((pg_temp.log('plain')).address, 'ada@example.com', 'address is the email');
SELECT is((pg_temp.log('plain')).status::text, 'pending', 'delivery log waits for delivery');
SELECT ok((SELECT d.template_name = 'order_rt' AND d.month = date_trunc('month', now())::date
           FROM mc.delivery d WHERE d.id = (pg_temp.log('plain')).delivery_id), 'inside the month''s delivery of order_rt');
SELECT ok((SELECT template_id = (SELECT id FROM mc.published_template WHERE name = 'order_rt') AND delivery_id IS NOT NULL
           AND processed_at IS NOT NULL FROM mc.rt_event WHERE id = (SELECT id FROM e WHERE name = 'plain')), 'event knows its template and delivery');
SELECT is((pg_temp.log('french')).subject, 'Commande 8', 'language fallback fr-CA -> fr');
SELECT is((pg_temp.log('german')).subject, 'Order 9', 'no German variant: the language-neutral template');
SELECT is((pg_temp.log('sms')).body_text, 'Order 10 ok', 'sms channel routes to the sms template');
SELECT is((pg_temp.log('sms')).address, '+46701234567', 'sms address is the phone');
SELECT is(pg_temp.st('push'), 'not_taken_into_account', 'no push template');
SELECT is(pg_temp.st('unknown'), 'not_taken_into_account', 'unknown type');
SELECT matches((SELECT last_error FROM mc.rt_event WHERE id = (SELECT id FROM e WHERE name = 'unknown')),
  'no published template for event type "no_such_type" and channel email', 'reason in last_error');
SELECT is(pg_temp.st('no_email'), 'not_taken_into_account', 'no address for the channel');
SELECT results_eq($$SELECT status::text, error_count, process_requested_at > now() FROM mc.rt_event WHERE id = (SELECT id FROM e WHERE name = 'broken')$$,
  $$VALUES ('pending', 1, true)$$, 'a failing render: pending, error_count 1, retried later');
SELECT matches((SELECT last_error FROM mc.rt_event WHERE id = (SELECT id FROM e WHERE name = 'broken')), 'missing_partial', 'the error names the cause');
SELECT is(pg_temp.st('expired'), 'expired', 'past its expiration: expired');
SELECT is(pg_temp.st('later'), 'pending', 'scheduled in the future: still pending');
SELECT is(pg_temp.st('quarantined'), 'pending_delivery', 'quarantined address: processed');
SELECT is((pg_temp.log('quarantined')).status::text, 'ignored', 'its delivery log is ignored');

-- Retries: back to due, fail again until the maximum, then expired.
UPDATE mc.settings SET max_processing_attempts = 2;
UPDATE mc.rt_event SET process_requested_at = now() - interval '1 second' WHERE id = (SELECT id FROM e WHERE name = 'broken');
SELECT is(mc.rt_events_processing(), 1::bigint, 'the retry is due again');
SELECT results_eq($$SELECT status::text, error_count FROM mc.rt_event WHERE id = (SELECT id FROM e WHERE name = 'broken')$$,
  $$VALUES ('expired', 2)$$, 'second failure of two allowed: expired');

-- Paused templates: events wait, no error counted.
SELECT mc.pause_template('order');
SELECT mc.push_event('{"type":"order_confirmed","email":"p@example.com","ctx":{},"externalId":"paused"}');
SELECT is(mc.rt_events_processing(), 1::bigint, 'the paused template''s event is looked at');
SELECT results_eq($$SELECT status::text, error_count FROM mc.rt_event WHERE external_id = 'paused'$$,
  $$VALUES ('pending', 0)$$, 'and waits in pending');
SELECT mc.resume_template('order');
UPDATE mc.rt_event SET process_requested_at = NULL WHERE external_id = 'paused';
SELECT is(mc.rt_events_processing(), 1::bigint, 'resumed: processed');

-- Most recent publication wins; the batch queue uses the _batch copies.
SELECT mc.create_template('order_v2', 'order_confirmed', 'email', subject => 'V2 {{ctx.order.id}}', body_text => 'v2');
SELECT mc.publish_template('order_v2');
SELECT mc.push_event('{"type":"order_confirmed","email":"v@example.com","ctx":{"order":{"id":11}}}', 'batch');
SELECT is(mc.batch_events_processing(), 1::bigint, 'batch processing');
SELECT is((SELECT d.subject FROM mc.delivery_log d JOIN mc.batch_event b ON b.id = d.event_id), 'V2 11',
  'the most recently published template wins');
SELECT is((SELECT p.name FROM mc.batch_event b JOIN mc.published_template p ON p.id = b.template_id), 'order_v2_batch',
  'batch events use the _batch copy');

-- Delivery outcomes copied back onto the events.
CREATE TEMP TABLE claimed AS SELECT * FROM mc.claim_messages('email', 1000, '1 minute');
SELECT mc.report_delivery(c.event_id, 'sent', lease => c.lease_token) FROM claimed c WHERE c.event_id = (SELECT id FROM e WHERE name = 'plain');
SELECT mc.report_delivery(c.event_id, 'failed', 'mailbox_full', c.lease_token) FROM claimed c WHERE c.event_id = (SELECT id FROM e WHERE name = 'french');
SELECT is(mc.update_events_status(), 3::bigint, 'sent, failed and ignored copied');
SELECT results_eq($$SELECT n, pg_temp.st(n) FROM unnest(ARRAY['plain', 'french', 'quarantined']) n$$,
  $$VALUES ('plain', 'sent'), ('french', 'delivery_failed'), ('quarantined', 'ignored')$$, 'statuses copied');
SELECT * FROM finish();
ROLLBACK;
