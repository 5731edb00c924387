-- The sending SQL API (spec section 8): providers validated by the delivery core (22023 naming
-- the field), secrets write-only and unreadable by every role, routes, mc.report_bounce with a
-- real DSN, mc.provider_status; each used as the role that may (SET ROLE) and refused to others.
\set dsn `cat test/unit/delivery/fixtures/postfix_user_unknown.eml`
\set ooo `cat test/unit/delivery/fixtures/out_of_office.eml`
BEGIN;
SELECT plan(52);

-- Creation and its refusals.
SELECT lives_ok($$SELECT mc.create_provider('relay', 'email', 'smtp', 'smtp://127.0.0.1:2525', '{"starttls":"off","max_connections":2}')$$,
  'create_provider: an SMTP relay');
SELECT is((SELECT kind || ' ' || url || ' ' || (options->>'max_connections') FROM mc.provider WHERE name = 'relay'),
  'smtp smtp://127.0.0.1:2525 2', 'stored as given');
SELECT throws_ok($$SELECT mc.create_provider('p1', 'email', 'smtp', 'smtp//no-scheme', '{}')$$, '22023', NULL, 'malformed URL: 22023');
SELECT throws_like($$SELECT mc.create_provider('p1', 'email', 'smtp', 'smtp//no-scheme', '{}')$$, '%url%', 'malformed URL: the message names url');
SELECT throws_ok($$SELECT mc.create_provider('p1', 'email', 'smtp', 'ftp://h:21', '{}')$$, '22023', NULL, 'a URL of another scheme: 22023');
SELECT throws_ok($$SELECT mc.create_provider('p1', 'email', 'smtp', 'smtp://h', '{"colour":"red"}')$$, '22023', NULL, 'unknown option: 22023');
SELECT throws_like($$SELECT mc.create_provider('p1', 'email', 'smtp', 'smtp://h', '{"colour":"red"}')$$, '%options.colour%', 'unknown option: named');
SELECT throws_like($$SELECT mc.create_provider('p1', 'email', 'smtp', 'smtp://h', '{"max_connections":0}')$$, '%options.max_connections%', 'out-of-range option: named');
SELECT throws_like($$SELECT mc.create_provider('p1', 'email', 'smtp', 'smtp://h', '{"dkim_domain":"example.test"}')$$, '%dkim%', 'dkim_domain without dkim_selector: named');
SELECT throws_like($$SELECT mc.create_provider('p1', 'email', 'nosuch', 'smtp://h', '{}')$$, '%kind%', 'unknown kind: named');
SELECT throws_like($$SELECT mc.create_provider('p1', 'webhook', 'http', 'http://h/x', '{}')$$, '%url%', 'webhook provider with a URL: named');
SELECT throws_like($$SELECT mc.create_provider('p1', 'email', 'smtp', 'smtp://user:pw@h', '{}')$$, '%url%', 'credentials in the URL refused');
SELECT throws_ok($$SELECT mc.create_provider('relay', 'email', 'smtp', 'smtp://h', '{}')$$, '42710', NULL, 'a second provider of that name: 42710');
SELECT is((SELECT count(*)::int FROM mc.provider), 1, 'nothing stored by a refusal');

-- Secrets required before routing, named in the refusal.
SELECT mc.create_provider('auth', 'email', 'smtp', 'smtp://127.0.0.1:2525', '{"username":"mc","starttls":"off"}');
SELECT throws_ok($$SELECT mc.route_channel('email', 'auth')$$, '22023', NULL, 'route_channel: a missing SMTP password refused (22023)');
SELECT throws_like($$SELECT mc.route_channel('email', 'auth')$$, '%secret: required by options.username%', 'the refusal names the secret and why');
SELECT mc.create_provider('hooks', 'webhook', 'http', NULL, '{}');
SELECT throws_like($$SELECT mc.route_channel('webhook', 'hooks')$$, '%secret: required by channel webhook%', 'a webhook provider needs its HMAC key');
SELECT mc.create_provider('signed', 'email', 'smtp', 'smtp://127.0.0.1:2525', '{"dkim_domain":"example.test","dkim_selector":"s1","starttls":"off"}');
SELECT throws_like($$SELECT mc.route_channel('email', 'signed')$$, '%secret: required by options.dkim_domain%', 'a DKIM provider needs its key');
SELECT throws_like($$SELECT mc.set_provider_secret('signed:dkim', 'not-a-pem-secret')$$, '%PEM%', 'a DKIM key must be PEM');
CREATE FUNCTION pg_temp.error_of(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN EXECUTE sql; RETURN NULL; EXCEPTION WHEN OTHERS THEN RETURN SQLERRM; END $f$;
SELECT ok(pg_temp.error_of($$SELECT mc.set_provider_secret('signed:dkim', 'not-a-pem-secret')$$) NOT LIKE '%not-a-pem-secret%',
  'and the refusal never quotes the secret');
SELECT lives_ok($$SELECT mc.set_provider_secret('auth', 's3cret')$$, 'set_provider_secret');
SELECT lives_ok($$SELECT mc.route_channel('email', 'auth')$$, 'then the route is taken');
SELECT is((SELECT provider FROM mc.channel_route WHERE channel = 'email'), 'auth', 'routed');
SELECT throws_ok($$SELECT mc.route_channel('sms', 'relay')$$, '22023', NULL, 'a provider serves its own channel only');
SELECT throws_ok($$SELECT mc.drop_provider('auth')$$, '2BP01', NULL, 'a routed provider is not dropped');
SELECT throws_like($$SELECT mc.alter_provider('auth', options => '{"username":"mc","bogus":1}')$$, '%options.bogus%', 'alter_provider validates too');
SELECT lives_ok($$SELECT mc.alter_provider('auth', 'smtp://127.0.0.1:2526')$$, 'alter_provider: a new URL');
SELECT is((SELECT url FROM mc.provider WHERE name = 'auth'), 'smtp://127.0.0.1:2526', 'changed; options kept');
SELECT lives_ok($$SELECT mc.route_channel('email', NULL)$$, 'route_channel NULL: back to external senders');
SELECT lives_ok($$SELECT mc.drop_provider('auth')$$, 'an unrouted provider is dropped');
SELECT is((SELECT count(*)::int FROM mc.provider_secret WHERE provider = 'auth'), 0, 'with its secret');

-- Secrets are unreadable by every role; managing providers is the owner's.
SET ROLE mc_event_writer;
SELECT throws_ok('SELECT * FROM mc.provider_secret', '42501', NULL, 'mc_event_writer cannot read secrets');
SET ROLE mc_status_reader;
SELECT throws_ok('SELECT * FROM mc.provider_secret', '42501', NULL, 'mc_status_reader cannot read secrets');
SELECT is((SELECT count(*)::int FROM mc.provider_status), 3, 'but reads mc.provider_status');
SET ROLE mc_template_manager;
SELECT throws_ok('SELECT * FROM mc.provider_secret', '42501', NULL, 'mc_template_manager cannot read secrets');
SET ROLE mc_control_agent;
SELECT throws_ok('SELECT * FROM mc.provider_secret', '42501', NULL, 'mc_control_agent cannot read secrets');
SET ROLE mc_gateway;
SELECT throws_ok('SELECT * FROM mc.provider_secret', '42501', NULL, 'mc_gateway cannot read secrets');
SET ROLE mc_delivery_agent;
SELECT throws_ok('SELECT * FROM mc.provider_secret', '42501', NULL, 'mc_delivery_agent cannot read secrets');
SELECT throws_ok($$SELECT mc.set_provider_secret('relay', 'x')$$, '42501', NULL, 'nor set one');
SELECT throws_ok($$SELECT mc.create_provider('x', 'email', 'smtp', 'smtp://h', '{}')$$, '42501', NULL, 'nor create a provider');
RESET ROLE;

-- mc.provider_status: the columns of the spec, no secret.
SELECT columns_are('mc', 'provider_status', ARRAY['provider', 'channel', 'kind', 'state', 'in_flight', 'sent_1h',
  'deferred_1h', 'failed_1h', 'last_error', 'last_error_at'], 'mc.provider_status has the columns of the spec');
SELECT is((SELECT state FROM mc.provider_status WHERE provider = 'relay'), 'unrouted', 'an unrouted provider says so');
SELECT is((SELECT sender_workers FROM mc.settings), 1, 'mc.settings.sender_workers defaults to 1');

-- report_bounce with a real DSN (Postfix, 550 5.1.1), as the delivery agent.
SELECT mc.create_template('welcome', 'welcome', 'email', subject => 'Hi', body_text => 'Welcome');
SELECT mc.publish_template('welcome');
-- Two messages to the same address: the bounce's Message-ID names the older one (matching by
-- recipient alone would take the later).
SELECT mc.push_event('{"type":"welcome","email":"nobody@example.org","ctx":{}}');
SELECT mc.push_event('{"type":"welcome","email":"nobody@example.org","ctx":{}}');
SELECT mc.push_event('{"type":"welcome","email":"other@example.org","ctx":{}}');
SELECT mc.rt_events_processing();
SELECT min(event_id) AS nobody_id, max(event_id) AS later_id FROM mc.delivery_log WHERE address = 'nobody@example.org' \gset
-- The sender's Message-IDs: <event_id.random@domain> (src/delivery/mime_message.cpp).
UPDATE mc.delivery_log SET status = 'sent', message_id = '<' || event_id || '.9f3c2a7b1e5d@example.test>'
WHERE address = 'nobody@example.org';
SELECT replace(:'dsn', '<4711.9f3c2a7b1e5d@example.test>', '<' || :nobody_id || '.9f3c2a7b1e5d@example.test>') AS dsn_nobody,
       replace(:'dsn', '<4711.9f3c2a7b1e5d@example.test>', '<' || :nobody_id || '.000000000000@example.test>') AS dsn_forged,
       replace(replace(:'dsn', 'nobody@example.org', 'ghost@example.org'), '<4711.', '<9999999999999999999.') AS dsn_huge \gset
SET ROLE mc_delivery_agent;
SELECT is(mc.report_bounce(:'dsn_huge'), NULL,
  'report_bounce: a Message-ID starting with a number beyond bigint matches nothing, no error');
SELECT is(mc.report_bounce(:'dsn_nobody'), :nobody_id::bigint,
  'report_bounce: matched by the Message-ID on the log (not the later message to the address), returns the event id');
SELECT is(mc.report_bounce(:'dsn_forged'), :later_id::bigint,
  'a Message-ID with the right event id but another random part is no match: the recipient''s latest message is');
SELECT is(mc.report_bounce(:'ooo'), NULL, 'an out-of-office reply is no bounce');
SELECT throws_ok($$SELECT event_id FROM mc.delivery_log$$, '42501', NULL, 'the delivery agent still cannot read the log');
RESET ROLE;
SELECT is((SELECT status::text || ' ' || failure_reason FROM mc.delivery_log WHERE event_id = :nobody_id) LIKE 'failed 550 5.1.1%', true,
  'a late bounce after sent: failed with the diagnostic');
SELECT is((SELECT reason FROM mc.quarantine WHERE address = 'nobody@example.org'), 'user_unknown', 'and the address quarantined');
SELECT is((SELECT status::text FROM mc.delivery_log WHERE address = 'other@example.org'), 'pending', 'other messages untouched');
SELECT mc.update_events_status();
SELECT is((SELECT status::text FROM mc.rt_event WHERE id = :nobody_id), 'delivery_failed', 'the status copy makes the event delivery_failed');

SELECT * FROM finish();
ROLLBACK;
