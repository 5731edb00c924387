-- Every intake refusal: its SQLSTATE, a message naming the field, and nothing stored.
BEGIN;
SELECT plan(104);

CREATE TEMP TABLE refusal (doc jsonb, sqlstate text, message text);
INSERT INTO refusal VALUES
  ('{"ctx":{}}', '23502', 'field "type" is required'),
  ('{"type":"","ctx":{}}', '22023', 'field "type" is empty'),
  ('{"type":"a\nb","ctx":{}}', '22P02', 'field "type" contains a control character'),
  ('{"type":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","ctx":{}}', '22001', 'field "type" is longer than 64 bytes'),
  ('{"type":42,"ctx":{}}', '22023', 'field "type" must be a string'),
  ('{"type":"t"}', '23502', 'field "ctx" is required'),
  ('{"type":"t","ctx":null}', '23502', 'field "ctx" is required'),
  ('{"type":"t","ctx":[1,2]}', '22023', 'field "ctx" must be a JSON object'),
  ('{"type":"t","ctx":"{}"}', '22023', 'field "ctx" must be a JSON object'),
  ('{"type":"t","ctx":{},"email":"ada"}', '22P02', 'field "email" is not a valid email address: there is no @'),
  ('{"type":"t","ctx":{},"email":"ada@example"}', '22P02', 'field "email" is not a valid email address: the domain has no dot (a top-level domain is required)'),
  ('{"type":"t","ctx":{},"email":"a..b@example.com"}', '22P02', 'field "email" is not a valid email address: the part before @ has two dots in a row'),
  ('{"type":"t","ctx":{},"email":["ada@example.com"]}', '22023', 'field "email" must be a string'),
  ('{"type":"t","ctx":{},"mobilePhone":"12"}', '22P02', 'field "mobilePhone" is not a valid phone number: there are fewer than 6 digits'),
  ('{"type":"t","ctx":{},"mobilePhone":"+46 70 abc"}', '22P02', 'field "mobilePhone" is not a valid phone number: a character is not a digit, +, space, dot, dash or parenthesis'),
  ('{"type":"t","ctx":{},"wishedChannel":"fax"}', '22023', 'field "wishedChannel" is not a channel: use email, sms, push_ios, push_android, webhook or the codes 0, 1, 41, 42'),
  ('{"type":"t","ctx":{},"wishedChannel":7}', '22023', 'field "wishedChannel" is not a channel: use email, sms, push_ios, push_android, webhook or the codes 0, 1, 41, 42'),
  ('{"type":"t","ctx":{},"wishedChannel":true}', '22023', 'field "wishedChannel" must be a string or a number'),
  ('{"type":"t","ctx":{},"language":"french"}', '22P02', 'field "language" is not a language tag such as "fr" or "pt-BR"'),
  ('{"type":"t","ctx":{},"country":"SWE"}', '22P02', 'field "country" is not a two-letter ISO 3166 country code'),
  ('{"type":"t","ctx":{},"externalId":""}', '22023', 'field "externalId" is empty'),
  ('{"type":"t","ctx":{},"idempotencyKey":""}', '22023', 'field "idempotencyKey" is empty'),
  ('{"type":"t","ctx":{},"scheduled":"tomorrow"}', '22007', 'field "scheduled" is not an ISO 8601 timestamp such as "2026-11-23T10:15:00Z"'),
  ('{"type":"t","ctx":{},"expiration":"2026-02-30T10:00:00Z"}', '22007', 'field "expiration" is not an ISO 8601 timestamp such as "2026-11-23T10:15:00Z"'),
  ('{"type":"t","ctx":{},"scheduled":"2030-01-02T00:00:00Z","expiration":"2030-01-01T00:00:00Z"}', '22008', 'field "expiration" must be later than scheduled'),
  ('{"type":"t","ctx":{},"Type":"x"}', '42703', 'field "Type" is not an event field'),
  ('{"type":"t","ctx":{},"event_type":"x"}', '42703', 'field "event_type" is not an event field');

-- push_event: each refusal as a single event.
SELECT throws_ok(format('SELECT mc.push_event(%L)', doc), sqlstate, 'invalid event: ' || message,
                 'push_event refuses ' || doc::text)
FROM refusal;

-- push_events: the same refusal at index 2 of a batch, and the two valid events before it
-- are not stored either.
SELECT throws_ok(
  format('SELECT mc.push_events(%L)', jsonb_build_array('{"type":"ok","ctx":{}}'::jsonb, '{"type":"ok","ctx":{}}'::jsonb, doc)),
  sqlstate, 'invalid event at index 2: ' || message, 'push_events names index 2 for ' || doc::text)
FROM refusal;

-- push_events_json (the text path): the same refusals, at index 2 of a batch too.
SELECT throws_ok(
  format('SELECT mc.push_events_json(%L)', jsonb_build_array('{"type":"ok","ctx":{}}'::jsonb, '{"type":"ok","ctx":{}}'::jsonb, doc)::text),
  sqlstate, 'invalid event at index 2: ' || message, 'push_events_json names index 2 for ' || doc::text)
FROM refusal;
SELECT throws_ok($$SELECT mc.push_events_json('{"type":"t","ctx":{}}')$$, '22023',
  'invalid argument: field "events" must be a JSON array of event objects', 'push_events_json wants an array');
SELECT throws_ok($$SELECT mc.push_events_json('[{"type":"t","ctx":{}}, 5]')$$, '22023',
  'invalid event at index 1: an event must be a JSON object', 'push_events_json: each element must be an object');

SELECT throws_ok($$SELECT mc.push_events('{"type":"t","ctx":{}}')$$, '22023',
  'invalid argument: field "events" must be a JSON array of event objects', 'push_events wants an array');
SELECT throws_ok($$SELECT mc.push_events('[{"type":"t","ctx":{}}, 5]')$$, '22023',
  'invalid event at index 1: an event must be a JSON object', 'each element must be an object');
SELECT throws_ok($$SELECT mc.push_event('"text"')$$, '22023',
  'invalid event: an event must be a JSON object', 'push_event wants an object');

-- The ctx size limit comes from mc.settings and applies as soon as it changes.
UPDATE mc.settings SET max_ctx_bytes = 64;
SELECT throws_ok($$SELECT mc.push_event(jsonb_build_object('type', 't', 'ctx', jsonb_build_object('pad', repeat('x', 100))))$$,
  '54000', NULL, 'ctx over max_ctx_bytes refused');
SELECT lives_ok($$SELECT mc.push_event('{"type":"t","ctx":{"small":1}}')$$, 'ctx under the limit accepted');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx) VALUES ('t', jsonb_build_object('pad', repeat('x', 100)))$$,
  '54000', NULL, 'INSERT applies the same limit');
UPDATE mc.settings SET max_ctx_bytes = DEFAULT;

-- INSERT: the CHECK constraint runs the same validation and names the column.
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, email, ctx) VALUES ('t', 'ada', '{}')$$,
  '22P02', 'invalid event row: field "email" is not a valid email address: there is no @', 'INSERT: bad email');
SELECT throws_ok($$INSERT INTO mc.batch_event (event_type, mobile_phone, ctx) VALUES ('t', '12', '{}')$$,
  '22P02', 'invalid event row: field "mobile_phone" is not a valid phone number: there are fewer than 6 digits', 'INSERT: bad phone');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx) VALUES ('t', '[]')$$,
  '22023', 'invalid event row: field "ctx" must be a JSON object', 'INSERT: ctx not an object');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type) VALUES ('t')$$, '23502', NULL, 'INSERT: ctx missing');
SELECT throws_ok($$INSERT INTO mc.rt_event (ctx) VALUES ('{}')$$, '23502', NULL, 'INSERT: event_type missing');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx, wished_channel) VALUES ('t', '{}', 'fax')$$,
  '22P02', NULL, 'INSERT: unknown channel');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx, language) VALUES ('t', '{}', 'english')$$,
  '22P02', 'invalid event row: field "language" is not a language tag such as "fr" or "pt-BR"', 'INSERT: bad language');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx, scheduled_at, expires_at) VALUES ('t', '{}', now(), now() - interval '1 hour')$$,
  '22008', 'invalid event row: field "expires_at" must be later than scheduled_at', 'INSERT: expiry before schedule');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx) VALUES ('ok', '{}'), ('t', '{}'), ('bad', '5')$$,
  '22023', NULL, 'INSERT of several rows: one bad row refuses the statement');

-- COPY (the multi-insert path) validates through the same constraint.
COPY (SELECT * FROM (VALUES ('ok', 'ada@example.com', '{}'), ('t', 'not-an-email', '{}')) v)
  TO '/tmp/mc_refusal_copy.tsv';
SELECT throws_ok($$COPY mc.batch_event (event_type, email, ctx) FROM '/tmp/mc_refusal_copy.tsv'$$,
  '22P02', 'invalid event row: field "email" is not a valid email address: there is no @', 'COPY: bad email refuses the COPY');
COPY (SELECT * FROM (VALUES ('ok', 'ada@example.com', '{}'), ('ok2', 'bob@example.org', '{"a":1}')) v)
  TO '/tmp/mc_valid_copy.tsv';
SELECT lives_ok($$COPY mc.batch_event (event_type, email, ctx) FROM '/tmp/mc_valid_copy.tsv'$$, 'COPY: valid rows accepted');

-- A refused statement is rolled back with its savepoint, so counting rows right after it
-- proves nothing. What can remain is state in the backend: the direct insert path buffers
-- rows (push_events writes them the way COPY does) and caches its prepared statements; a
-- refusal in the middle of a batch must leave neither rows that a later push flushes nor a
-- broken statement. So: after all the refusals above, in the same backend, one more batch
-- (keyed and not) goes through and stores exactly its own rows, and a refused key is free.
SELECT throws_ok($$SELECT mc.push_events('[{"type":"ok","ctx":{},"idempotencyKey":"k-refused"},{"type":"t","ctx":{},"email":"x"}]')$$,
  '22P02', NULL, 'a batch with a keyed event is refused as a whole');
SELECT isnt((SELECT mc.push_event('{"type":"after_3","ctx":{},"idempotencyKey":"k-refused"}')), NULL,
  'the key of the refused batch is free: a push with it stores a new event');
SELECT lives_ok($$SELECT mc.push_events('[{"type":"after_1","ctx":{}},{"type":"after_2","ctx":{},"idempotencyKey":"k-after"}]')$$,
  'after the refusals, a batch in the same backend is accepted');
SELECT results_eq($$SELECT event_type, count(*)::int FROM mc.event GROUP BY 1 ORDER BY 1$$,
  $$VALUES ('after_1', 1), ('after_2', 1), ('after_3', 1), ('ok', 1), ('ok2', 1), ('t', 1)$$,
  'only what was accepted is stored: no row of a refused batch (type ok, at indexes 0 and 1) came along with it');

SELECT * FROM finish();
ROLLBACK;
