-- The delivery API, used as its role does (a login holding only mc_delivery_agent): claims under
-- a lease with a token, reports tied to the lease, bounded leases and attempts, refusals.
BEGIN;
SELECT plan(35);

SELECT mc.create_template('welcome', 'welcome', 'email', subject => 'Hi {{ctx.n}}', body_text => 'Welcome');
SELECT mc.create_template('welcome_sms', 'welcome', 'sms', body_text => 'Welcome {{ctx.n}}');
SELECT mc.publish_template('welcome');
SELECT mc.publish_template('welcome_sms');
SELECT mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'welcome', 'email', format('u%s@example.com', g), 'ctx', jsonb_build_object('n', g)))
                       FROM generate_series(1, 5) g), 'rt');
SELECT mc.push_event('{"type":"welcome","wishedChannel":"sms","mobilePhone":"+46701234567","ctx":{"n":99}}');
SELECT mc.rt_events_processing();
UPDATE mc.settings SET max_delivery_attempts = 3, max_lease = '10 minutes';

CREATE ROLE mc_test_sender LOGIN;
GRANT mc_delivery_agent TO mc_test_sender;
SET ROLE mc_test_sender;

CREATE TEMP TABLE first_claim AS SELECT * FROM mc.claim_messages('email', 3, '1 minute');
SELECT is((SELECT count(*)::int FROM first_claim), 3, 'sender: claims at most max_messages');
SELECT ok((SELECT bool_and(subject LIKE 'Hi %' AND address LIKE 'u%@example.com' AND attempts = 1
                           AND lease_token IS NOT NULL AND lease_until > clock_timestamp()) FROM first_claim),
  'claimed rows carry the rendered message, address, a lease token and its end');
SELECT is((SELECT count(DISTINCT lease_token)::int FROM first_claim), 3, 'each message its own lease token');
SELECT is((SELECT count(*)::int FROM mc.claim_messages('email', 10, '1 minute')), 2, 'leased messages are not claimed twice');
SELECT is((SELECT count(*)::int FROM mc.claim_messages('email', 10, '1 minute')), 0, 'nothing left');
SELECT is((SELECT body_text FROM mc.claim_messages('sms', 10, '1 minute')), 'Welcome 99', 'channels are claimed separately');

-- Reports are tied to the lease.
SELECT lives_ok(format('SELECT mc.report_delivery(%s, %L, lease => %L)', (SELECT min(event_id) FROM first_claim), 'sent',
                       (SELECT lease_token FROM first_claim ORDER BY event_id LIMIT 1)), 'report with the lease');
RESET ROLE;
SELECT results_eq(format('SELECT status::text, lease_until IS NULL, lease_token IS NULL FROM mc.delivery_log WHERE event_id = %s', (SELECT min(event_id) FROM first_claim)),
  $$VALUES ('sent', true, true)$$, 'the report is stored and the lease released');
SET ROLE mc_test_sender;
SELECT throws_ok(format('SELECT mc.report_delivery(%s, %L, lease => %L)', (SELECT min(event_id) FROM first_claim), 'ignored',
                        (SELECT lease_token FROM first_claim ORDER BY event_id LIMIT 1)),
  '55000', NULL, 'the same lease cannot report twice');
SELECT lives_ok(format('SELECT mc.report_delivery(%s, %L, %L)', (SELECT min(event_id) FROM first_claim), 'failed', 'mailbox_full'),
  'a later outcome without a lease (a bounce) replaces sent');
RESET ROLE;
SELECT is((SELECT failure_reason FROM mc.delivery_log WHERE event_id = (SELECT min(event_id) FROM first_claim)), 'mailbox_full', 'the bounce is stored with its reason');
SET ROLE mc_test_sender;

SELECT throws_ok(format('SELECT mc.report_delivery(%s, %L)', (SELECT max(event_id) FROM first_claim), 'sent'),
  '55000', NULL, 'a claimed, unreported message needs its lease');
SELECT throws_ok(format('SELECT mc.report_delivery(%s, %L, lease => %L)', (SELECT max(event_id) FROM first_claim), 'sent', gen_random_uuid()),
  '55000', NULL, 'a wrong lease token is refused');

-- A lease that expired and was taken again: the old holder's late report is refused, the new
-- holder's taken. An expired lease nobody took again is still the message's: its report is taken.
RESET ROLE;
UPDATE mc.delivery_log SET lease_until = clock_timestamp() - interval '1 second'
  WHERE event_id IN (SELECT event_id FROM first_claim);
SET ROLE mc_test_sender;
SELECT lives_ok(format('SELECT mc.report_delivery(%s, %L, lease => %L)',
                       (SELECT event_id FROM first_claim ORDER BY event_id OFFSET 1 LIMIT 1), 'sent',
                       (SELECT lease_token FROM first_claim ORDER BY event_id OFFSET 1 LIMIT 1)),
  'a late report on an expired lease nobody took again is taken');
CREATE TEMP TABLE second_claim AS SELECT * FROM mc.claim_messages('email', 10, '1 minute');
SELECT is((SELECT count(*)::int FROM second_claim), 1, 'the expired, unreported lease comes back');
SELECT is((SELECT attempts FROM second_claim), 2, 'attempts counted');
SELECT throws_ok(format('SELECT mc.report_delivery(%s, %L, lease => %L)', (SELECT event_id FROM second_claim), 'sent',
                        (SELECT f.lease_token FROM first_claim f JOIN second_claim s USING (event_id))),
  '55000', NULL, 'the first holder''s late report is refused once the message was claimed again');
SELECT lives_ok(format('SELECT mc.report_delivery(%s, %L, %L, %L)', (SELECT event_id FROM second_claim), 'failed', 'user_unknown',
                       (SELECT lease_token FROM second_claim)), 'the new holder reports');

-- Bounded attempts: a message claimed max_delivery_attempts (3) times without a report fails.
RESET ROLE;
UPDATE mc.delivery_log SET lease_until = clock_timestamp() - interval '1 second' WHERE channel = 'sms';
SET ROLE mc_test_sender;
SELECT is((SELECT attempts FROM mc.claim_messages('sms', 10, '1 minute')), 2, 'sms: claimed a second time');
RESET ROLE;
UPDATE mc.delivery_log SET lease_until = clock_timestamp() - interval '1 second' WHERE channel = 'sms';
SET ROLE mc_test_sender;
SELECT is((SELECT attempts FROM mc.claim_messages('sms', 10, '1 minute')), 3, 'sms: claimed a third time');
RESET ROLE;
UPDATE mc.delivery_log SET lease_until = clock_timestamp() - interval '1 second' WHERE channel = 'sms';
SET ROLE mc_test_sender;
SELECT is((SELECT count(*)::int FROM mc.claim_messages('sms', 10, '1 minute')), 0, 'sms: not claimed a fourth time');
RESET ROLE;
SELECT results_eq($$SELECT status::text, failure_reason FROM mc.delivery_log WHERE channel = 'sms'$$,
  $$VALUES ('failed', 'no report after 3 delivery attempts')$$, 'it failed, with the reason');
SET ROLE mc_test_sender;

-- The quarantine is the sender's to write.
SELECT lives_ok($$INSERT INTO mc.quarantine (channel, address, reason) VALUES ('email', 'x@example.com', 'denylisted')$$,
  'sender: INSERT INTO mc.quarantine');
SELECT lives_ok($$DELETE FROM mc.quarantine WHERE address = 'x@example.com'$$, 'sender: lifts a quarantine');

-- Refusals.
SELECT throws_ok($$SELECT mc.report_delivery(-1, 'sent')$$, 'P0002', 'no message for event -1', 'unknown event');
SELECT throws_ok(format('SELECT mc.report_delivery(%s, %L)', (SELECT min(event_id) FROM first_claim), 'delivered'),
  '22023', 'status must be sent, ignored or failed, not "delivered"', 'unknown status');
SELECT throws_ok(format('SELECT mc.report_delivery(%s, %L)', (SELECT min(event_id) FROM first_claim), 'failed'),
  '23502', 'failure_reason is required when status is failed', 'failed needs a reason');
SELECT throws_ok($$SELECT * FROM mc.claim_messages('fax', 1, '1 minute')$$, '22023', NULL, 'unknown channel');
SELECT throws_ok($$SELECT * FROM mc.claim_messages('email', 0, '1 minute')$$, '22023', NULL, 'max_messages must be positive');
SELECT throws_ok($$SELECT * FROM mc.claim_messages('email', 1, '-1 minute')$$, '22023', NULL, 'lease must be positive');
SELECT throws_ok($$SELECT * FROM mc.claim_messages('email', 1, '11 minutes')$$, '22023', NULL, 'lease at most max_lease');
-- The sender's role goes no further.
SELECT throws_ok($$SELECT * FROM mc.delivery_log$$, '42501', NULL, 'sender: cannot read the log table');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}')$$, '42501', NULL, 'sender: cannot push');
RESET ROLE;

-- Oldest first across the two queues (a merge of the rt and batch passes).
UPDATE mc.delivery_log SET status = 'sent' WHERE status = 'pending';
SELECT mc.push_event('{"type":"welcome","email":"b1@example.com","ctx":{"n":1}}', 'batch') AS b1 \gset
SELECT mc.push_event('{"type":"welcome","email":"r1@example.com","ctx":{"n":2}}', 'rt') AS r1 \gset
SELECT mc.push_event('{"type":"welcome","email":"b2@example.com","ctx":{"n":3}}', 'batch') AS b2 \gset
SELECT mc.push_event('{"type":"welcome","email":"r2@example.com","ctx":{"n":4}}', 'rt') AS r2 \gset
SELECT mc.rt_events_processing();
SELECT mc.batch_events_processing();
SET ROLE mc_test_sender;
SELECT is((SELECT array_agg(event_id ORDER BY event_id) FROM mc.claim_messages('email', 3, '1 minute')),
  ARRAY[:b1, :r1, :b2]::bigint[], 'claims the oldest messages of both queues, in event order');
SELECT is((SELECT array_agg(event_id) FROM mc.claim_messages('email', 3, '1 minute')),
  ARRAY[:r2]::bigint[], 'then the rest: rows locked but not claimed by the first call were left unleased');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
