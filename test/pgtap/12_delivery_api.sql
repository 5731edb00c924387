-- The delivery API: claims under a lease, reports, and their refusals.
BEGIN;
SELECT plan(17);

SELECT mc.create_template('welcome', 'welcome', 'email', subject => 'Hi {{ctx.n}}', body_text => 'Welcome');
SELECT mc.create_template('welcome_sms', 'welcome', 'sms', body_text => 'Welcome {{ctx.n}}');
SELECT mc.publish_template('welcome');
SELECT mc.publish_template('welcome_sms');
SELECT mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'welcome', 'email', format('u%s@example.com', g), 'ctx', jsonb_build_object('n', g)))
                       FROM generate_series(1, 5) g), 'rt');
SELECT mc.push_event('{"type":"welcome","wishedChannel":"sms","mobilePhone":"+46701234567","ctx":{"n":99}}');
SELECT mc.rt_events_processing();

CREATE TEMP TABLE first_claim AS SELECT * FROM mc.claim_messages('email', 3, '1 minute');
SELECT is((SELECT count(*)::int FROM first_claim), 3, 'claims at most max_messages');
SELECT ok((SELECT bool_and(subject LIKE 'Hi %' AND address LIKE 'u%@example.com' AND attempts = 1) FROM first_claim),
  'claimed rows carry the rendered message and address');
SELECT is((SELECT count(*)::int FROM mc.claim_messages('email', 10, '1 minute')), 2, 'leased messages are not claimed twice');
SELECT is((SELECT count(*)::int FROM mc.claim_messages('email', 10, '1 minute')), 0, 'nothing left');
SELECT is((SELECT body_text FROM mc.claim_messages('sms', 10, '1 minute')), 'Welcome 99', 'channels are claimed separately');

-- An expired lease (a crashed sender) makes messages claimable again.
UPDATE mc.delivery_log SET lease_until = clock_timestamp() - interval '1 second'
  WHERE event_id IN (SELECT event_id FROM first_claim);
SELECT is((SELECT count(*)::int FROM mc.claim_messages('email', 10, '1 minute')), 3, 'expired leases come back');
SELECT is((SELECT max(attempts) FROM mc.delivery_log WHERE event_id IN (SELECT event_id FROM first_claim)), 2, 'attempts counted');

SELECT lives_ok(format('SELECT mc.report_delivery(%s, %L)', (SELECT min(event_id) FROM first_claim), 'sent'), 'report sent');
SELECT results_eq(format('SELECT status::text, lease_until IS NULL FROM mc.delivery_log WHERE event_id = %s', (SELECT min(event_id) FROM first_claim)),
  $$VALUES ('sent', true)$$, 'the report is stored and the lease released');
SELECT lives_ok(format('SELECT mc.report_delivery(%s, %L, %L)', (SELECT min(event_id) FROM first_claim), 'failed', 'mailbox_full'),
  'a later bounce replaces sent');
SELECT is((SELECT failure_reason FROM mc.delivery_log WHERE event_id = (SELECT min(event_id) FROM first_claim)), 'mailbox_full', 'with its reason');

SELECT throws_ok($$SELECT mc.report_delivery(-1, 'sent')$$, 'P0002', 'no message for event -1', 'unknown event');
SELECT throws_ok(format('SELECT mc.report_delivery(%s, %L)', (SELECT min(event_id) FROM first_claim), 'delivered'),
  '22023', 'status must be sent, ignored or failed, not "delivered"', 'unknown status');
SELECT throws_ok(format('SELECT mc.report_delivery(%s, %L)', (SELECT min(event_id) FROM first_claim), 'failed'),
  '23502', 'failure_reason is required when status is failed', 'failed needs a reason');
SELECT throws_ok($$SELECT * FROM mc.claim_messages('fax', 1, '1 minute')$$, '22023', NULL, 'unknown channel');
SELECT throws_ok($$SELECT * FROM mc.claim_messages('email', 0, '1 minute')$$, '22023', NULL, 'max_messages must be positive');
SELECT throws_ok($$SELECT * FROM mc.claim_messages('email', 1, '-1 minute')$$, '22023', NULL, 'lease must be positive');

SELECT * FROM finish();
ROLLBACK;
