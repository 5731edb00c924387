-- List-Unsubscribe from templates (unsubscribe_url, rendered per message with the one-click
-- token of mc.unsubscribe_token, handed to the sender workers' claim) and the soft-failure
-- quarantine (repeated mailbox-full outcomes, mc.settings rule), through the workers' SQL.
BEGIN;
SELECT plan(41);

-- Templates: the part is stored, compiled, refused outside email, published.
SELECT ok(mc.create_template('news', 'news', 'email', subject => 'News', body_text => 'Hello',
  sender => 'news@example.test',
  unsubscribe_url => 'https://gw.example.test/u/{{unsubscribe_token}}?l={{language}}&x={{ctx.list}}') > 0,
  'create_template takes unsubscribe_url');
SELECT throws_ok($$SELECT mc.create_template('bad_sms', 'x', 'sms', body_text => 'b', unsubscribe_url => 'https://x/u')$$,
  '22023', NULL, 'unsubscribe_url on an sms template: 22023');
SELECT throws_like($$SELECT mc.create_template('bad_sms', 'x', 'sms', body_text => 'b', unsubscribe_url => 'https://x/u')$$,
  '%unsubscribe_url%', 'the refusal names unsubscribe_url');
SELECT throws_like($$SELECT mc.create_template('bad_syntax', 'x', 'email', subject => 's', body_text => 'b', unsubscribe_url => 'https://x/u/{{unsubscribe_token')$$,
  '%unsubscribe_url%', 'a syntax error in unsubscribe_url is refused, naming the part');
SELECT is((SELECT count(*)::int FROM mc.template WHERE name LIKE 'bad%'), 0, 'nothing stored by a refusal');
SELECT mc.publish_template('news');
SELECT is((SELECT count(*)::int FROM mc.published_template WHERE unsubscribe_url LIKE 'https://gw.example.test/u/{{unsubscribe_token}}%'),
  2, 'both published copies carry unsubscribe_url');
-- The control -> execution path: a publication applied from the inbox keeps it.
INSERT INTO mc.publication_inbox (action, name, event_type, channel, subject, body_text, paused, published_at, unsubscribe_url)
VALUES ('publish', 'pushed', 'pushed', 'email', 'S', 'B', false, now(), 'https://gw.example.test/p/{{unsubscribe_token}}');
SELECT is((SELECT unsubscribe_url FROM mc.published_template WHERE name = 'pushed_rt'),
  'https://gw.example.test/p/{{unsubscribe_token}}', 'a publication from a control instance carries unsubscribe_url');
SET ROLE mc_template_manager;
SELECT lives_ok($$UPDATE mc.template SET unsubscribe_url = 'https://gw.example.test/v/{{unsubscribe_token}}' WHERE name = 'pushed'$$,
  'the template manager may change it');
RESET ROLE;

-- Processing renders it with the message's token; other templates get none.
SELECT mc.create_template('plain', 'plain', 'email', subject => 'P', body_text => 'p');
SELECT mc.publish_template('plain');
SELECT mc.push_event('{"type":"news","email":"ann@example.org","language":"fr","ctx":{"list":"a b&c"}}') AS news_id \gset
SELECT mc.push_event('{"type":"plain","email":"bob@example.org","ctx":{}}') AS plain_id \gset
SELECT is(mc.rt_events_processing(), 2::bigint, 'both processed');
SELECT is((SELECT unsubscribe_url FROM mc.delivery_log WHERE event_id = :news_id),
  'https://gw.example.test/u/' || mc.unsubscribe_token(:news_id, 'ann@example.org') || '?l=fr&x=a%20b%26c',
  'delivery_log.unsubscribe_url: the token of mc.unsubscribe_token, the rest URL-escaped');
SELECT is((SELECT unsubscribe_url FROM mc.delivery_log WHERE event_id = :plain_id), NULL, 'none without the part');
SELECT ok(mc.unsubscribe(substring((SELECT unsubscribe_url FROM mc.delivery_log WHERE event_id = :news_id)
                                   FROM '/u/([^?]+)')), 'the rendered token is accepted by mc.unsubscribe');
SELECT is((SELECT reason FROM mc.quarantine WHERE address = 'ann@example.org'), 'unsubscribed', 'which quarantines the address');
DELETE FROM mc.quarantine;

-- The workers' claim hands it to the sender (which builds List-Unsubscribe from it).
INSERT INTO mc.sender_worker (slot, run_token) VALUES (1, '00000000-0000-0000-0000-000000000001');
SELECT is((SELECT m.unsubscribe_url FROM mc._sender_claim(1, '00000000-0000-0000-0000-000000000001', '{email}', '{10}', '{NULL}', '{NULL}', '{f}') m
           WHERE m.event_id = :news_id),
  (SELECT unsubscribe_url FROM mc.delivery_log WHERE event_id = :news_id), '_sender_claim returns unsubscribe_url');

-- Soft failures: mailbox full three times, the first at least the span before the latest.
CREATE FUNCTION pg_temp.soft(id bigint) RETURNS integer LANGUAGE sql AS $$
  SELECT mc._sender_record('00000000-0000-0000-0000-000000000001', ARRAY[id], '{deferred}',
    reasons => '{452 4.2.2 Mailbox full}', retry_at => '{0}', softs => '{mailbox_full}',
    providers => '{relay}') $$;
CREATE FUNCTION pg_temp.reclaim() RETURNS void LANGUAGE sql AS $$
  UPDATE mc.delivery_log SET lease_token = '00000000-0000-0000-0000-000000000001', lease_until = now() + interval '1 hour'
  WHERE status = 'pending' $$;
UPDATE mc.settings SET soft_quarantine_span = '0';
SELECT is(pg_temp.soft(:news_id), 1, 'a mailbox-full deferral is recorded');
SELECT is((SELECT failures FROM mc.soft_failure WHERE address = 'ann@example.org'), 1, 'and counted');
SELECT is((SELECT count(*)::int FROM mc.quarantine), 0, 'one soft failure quarantines nothing');
SELECT pg_temp.reclaim();
-- Two failures in one batch count twice.
SELECT mc._sender_record('00000000-0000-0000-0000-000000000001', ARRAY[:news_id, :plain_id]::bigint[],
  '{deferred,failed}', reasons => '{452 4.2.2 full,552 5.2.2 full}', retry_at => '{0,NULL}',
  softs => '{mailbox_full,mailbox_full}');
SELECT is((SELECT failures FROM mc.soft_failure WHERE address = 'ann@example.org'), 2, 'the second one too');
SELECT pg_temp.reclaim();
SELECT is(pg_temp.soft(:news_id), 1, 'the third');
SELECT is((SELECT reason || ' ' || error_count FROM mc.quarantine WHERE address = 'ann@example.org'), 'mailbox_full 3',
  'three soft failures quarantine the address (mailbox_full)');
SELECT is((SELECT count(*)::int FROM mc.soft_failure WHERE address = 'ann@example.org'), 0, 'its count is done with');
SELECT is((SELECT count(*)::int FROM mc.quarantine WHERE address = 'bob@example.org'), 0, 'another address: counted, not quarantined');

-- The span: three failures within it quarantine nothing; a sent message forgets the count.
UPDATE mc.settings SET soft_quarantine_span = '1 day';
DELETE FROM mc.quarantine;
UPDATE mc.delivery_log SET status = 'pending' WHERE event_id = :news_id;
SELECT pg_temp.reclaim(); SELECT pg_temp.soft(:news_id);
SELECT pg_temp.reclaim(); SELECT pg_temp.soft(:news_id);
SELECT pg_temp.reclaim(); SELECT pg_temp.soft(:news_id);
SELECT is((SELECT count(*)::int FROM mc.quarantine), 0, 'three within the span (1 day): no quarantine yet');
SELECT pg_temp.reclaim();
SELECT mc._sender_record('00000000-0000-0000-0000-000000000001', ARRAY[:news_id]::bigint[], '{sent}');
SELECT is((SELECT count(*)::int FROM mc.soft_failure WHERE address = 'ann@example.org'), 0, 'a sent message forgets the soft count');

-- The claim: rows in event order, rt before batch; a message its workers died on
-- max_delivery_attempts times fails in the same pass instead of being returned; a stale run
-- gets one row of NULLs.
UPDATE mc.delivery_log SET status = 'pending', lease_token = NULL, lease_until = NULL, attempts = 0;
SELECT mc.push_event('{"type":"plain","email":"carl@example.org","ctx":{}}', 'batch') AS batch_id \gset
SELECT mc.batch_events_processing();
UPDATE mc.delivery_log SET attempts = 3 WHERE event_id = :plain_id;
UPDATE mc.settings SET max_delivery_attempts = 3;
SELECT is((SELECT array_agg(m.event_id ORDER BY ord) FROM mc._sender_claim(1, '00000000-0000-0000-0000-000000000001', '{email}', '{10}', '{NULL}', '{NULL}', '{f}')
             WITH ORDINALITY AS m (event_id, channel, queue, address, sender, subject, body_html, body_text, push_data,
                                   webhook_url, unsubscribe_url, attempts, max_attempts, valid_until, external_id,
                                   event_type, language, country, ord)),
  ARRAY[:news_id, :batch_id]::bigint[], 'claim: rt first, then batch; the exhausted message is not returned');
SELECT is((SELECT status::text || ': ' || failure_reason FROM mc.delivery_log WHERE event_id = :plain_id),
  'failed: no outcome after 3 delivery attempts', 'it failed in the same pass');
SELECT is((SELECT count(*)::int FROM mc.delivery_log WHERE lease_token IS NOT NULL), 2, 'the two returned are leased to the run');
SELECT is((SELECT count(*)::int || ' ' || bool_and(m.event_id IS NULL)::text
           FROM mc._sender_claim(1, '00000000-0000-0000-0000-000000000002', '{email}', '{10}', '{NULL}', '{NULL}', '{f}') m),
  '1 true', 'a run that no longer holds the slot gets one row of NULLs');
-- The worker's cursors (after_rt, after_batch): only ids above them, per queue.
UPDATE mc.delivery_log SET lease_token = NULL, lease_until = NULL WHERE status = 'pending';
SELECT is((SELECT array_agg(m.event_id) FROM mc._sender_claim(1, '00000000-0000-0000-0000-000000000001', '{email}', '{10}',
                                                             ARRAY[:news_id]::bigint[], ARRAY[:batch_id - 1]::bigint[], '{f}') m),
  ARRAY[:batch_id]::bigint[], 'claim past the cursors: the rt message at the rt cursor is skipped, the batch one above its cursor is not');
UPDATE mc.delivery_log SET lease_token = NULL, lease_until = NULL WHERE status = 'pending';
SELECT is((SELECT count(*)::int FROM mc._sender_claim(1, '00000000-0000-0000-0000-000000000001', '{email}', '{10}',
                                                     ARRAY[:news_id]::bigint[], ARRAY[:batch_id]::bigint[], '{f}') m),
  0, 'claim past both cursors: nothing');

-- with_event: the event's own fields (and the validity end) only for providers that read them.
UPDATE mc.delivery_log SET lease_token = NULL, lease_until = NULL, attempts = 0 WHERE status = 'pending';
SELECT is((SELECT m.event_type || ' ' || (m.valid_until IS NOT NULL)::text
           FROM mc._sender_claim(1, '00000000-0000-0000-0000-000000000001', '{email}', '{10}', '{NULL}', '{NULL}', '{t}') m
           WHERE m.event_id = :batch_id),
  'plain true', 'claim with_event: the event''s fields and the validity end');
UPDATE mc.delivery_log SET lease_token = NULL, lease_until = NULL, attempts = 0 WHERE status = 'pending';
SELECT is((SELECT (m.event_type IS NULL AND m.valid_until IS NULL AND m.address = 'carl@example.org')::text
           FROM mc._sender_claim(1, '00000000-0000-0000-0000-000000000001', '{email}', '{10}', '{NULL}', '{NULL}', '{f}') m
           WHERE m.event_id = :batch_id),
  'true', 'claim without: the message, but neither (the event is not looked up)');
-- The validity end of a deferral is applied when it is recorded: the event's expires_at, else
-- the message's creation plus message_validity.
UPDATE mc.batch_event SET expires_at = now() + interval '1 hour' WHERE id = :batch_id;
CREATE FUNCTION pg_temp.defer(id bigint, retry interval) RETURNS integer LANGUAGE sql AS $$
  UPDATE mc.delivery_log SET lease_token = '00000000-0000-0000-0000-000000000001', lease_until = now() + interval '1 hour'
  WHERE event_id = id;
  SELECT mc._sender_record('00000000-0000-0000-0000-000000000001', ARRAY[id], '{deferred}',
    reasons => '{451 4.3.0 try later}', retry_at => ARRAY[extract(epoch FROM now() + retry)::bigint],
    providers => '{relay}') $$;
SELECT coalesce(sum(deferred), 0) AS d0, coalesce(sum(failed), 0) AS f0 FROM mc.provider_counter WHERE provider = 'relay' \gset
SELECT pg_temp.defer(:batch_id, '10 minutes');
SELECT is((SELECT status::text || ' ' || (lease_until > now() + interval '9 minutes')::text || ' ' || failure_reason
           FROM mc.delivery_log WHERE event_id = :batch_id),
  'pending true 451 4.3.0 try later', 'a deferral within the event''s expires_at: pending until its retry');
SELECT pg_temp.defer(:batch_id, '2 hours');
SELECT is((SELECT status::text || ' ' || (lease_until IS NULL)::text || ': ' || failure_reason
           FROM mc.delivery_log WHERE event_id = :batch_id),
  'failed true: expired while deferred: 451 4.3.0 try later', 'one whose retry comes after it: failed');
UPDATE mc.delivery_log SET status = 'pending', failure_reason = NULL WHERE event_id = :news_id;
UPDATE mc.settings SET message_validity = '1 day';
SELECT pg_temp.defer(:news_id, '20 hours');
SELECT is((SELECT status::text FROM mc.delivery_log WHERE event_id = :news_id), 'pending',
  'without expires_at: within message_validity, pending');
SELECT pg_temp.defer(:news_id, '30 hours');
SELECT is((SELECT status::text || ': ' || failure_reason FROM mc.delivery_log WHERE event_id = :news_id),
  'failed: expired while deferred: 451 4.3.0 try later', 'past message_validity: failed');
SELECT is((SELECT (sum(deferred) - :d0)::int || ' ' || (sum(failed) - :f0)::int FROM mc.provider_counter WHERE provider = 'relay'),
  '2 2', 'the provider counts expired deferrals as failed');

-- provider_error: a message sent after an error is written at once (provider_status compares
-- last_sent_at with last_error_at); more sent within a second of the last write are not.
CREATE FUNCTION pg_temp.sent(id bigint) RETURNS integer LANGUAGE sql AS $$
  UPDATE mc.delivery_log SET status = 'pending', lease_token = '00000000-0000-0000-0000-000000000001',
    lease_until = now() + interval '1 hour' WHERE event_id = id;
  SELECT mc._sender_record('00000000-0000-0000-0000-000000000001', ARRAY[id], '{sent}',
    providers => '{relay}') $$;
SELECT pg_temp.defer(:news_id, '1 minute');
SELECT ok((SELECT last_error_at > coalesce(last_sent_at, '-infinity') FROM mc.provider_error WHERE provider = 'relay'),
  'an error: last_error_at after last_sent_at');
SELECT pg_temp.sent(:news_id);
SELECT ok((SELECT last_sent_at >= last_error_at FROM mc.provider_error WHERE provider = 'relay'),
  'a message sent right after it: last_sent_at written at once');
UPDATE mc.provider_error SET last_sent_at = clock_timestamp() + interval '1 hour' WHERE provider = 'relay'
RETURNING last_sent_at AS recent \gset
SELECT pg_temp.sent(:news_id);
SELECT is((SELECT last_sent_at FROM mc.provider_error WHERE provider = 'relay'), :'recent'::timestamptz,
  'another within the second of the last write (and no error since): last_sent_at not written again');
SELECT is((SELECT status::text FROM mc.delivery_log WHERE event_id = :news_id), 'sent', 'the message itself is recorded');

SELECT * FROM finish();
ROLLBACK;
