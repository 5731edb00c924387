-- mc.push_events_json: the text intake path stores what mc.push_events stores for the same
-- array, refuses what is not JSON as jsonb's input does, and is granted as push_events is.
-- (Its refusals of bad events: 03_refusals.)
BEGIN;
SELECT plan(23);

-- One array of every kind of field and spelling, pushed both ways.
CREATE TEMP TABLE doc AS SELECT $json$ [
  {"type":"order_confirmed","email":"ada@example.com","mobilePhone":"+46 70 123 45 67",
   "externalId":"cust-42","origin":"shop","wishedChannel":"email","language":"fr-CA","country":"SE",
   "scheduled":"2030-01-01T10:00:00+02:00","expiration":"2030-01-02T00:00:00Z",
   "ctx":{"order":{"id":1234,"items":[{"sku":"A","qty":2},{"sku":"B","qty":1.50}]},"b":true,"n":null}},
  {"type":"caf\u00e9 \ud83d\ude00","ctx":{"s":"tab\tand \"quote\" \/ \u20ac"},"externalId":42,"wishedChannel":1},
  {"type":"first","type":"last","ctx":{"k":1,"k":2},"email":null,"externalId":1.50},
  {"ctx":{},"externalId":1E3,"wishedChannel":"41","type":"t"} ,
  {"type":"x","ctx":{"deep":[[[[[{"a":[1,2,{"b":"c"}]}]]]]]},"externalId":-0.0e-2}
] $json$::text AS t;
CREATE TEMP TABLE via_jsonb AS
  SELECT ord, id FROM mc.push_events((SELECT t FROM doc)::jsonb, 'batch') WITH ORDINALITY AS p (id, ord);
CREATE TEMP TABLE via_text AS
  SELECT ord, id FROM mc.push_events_json((SELECT t FROM doc), 'batch') WITH ORDINALITY AS p (id, ord);
SELECT is((SELECT count(*)::int FROM via_text), 5, 'five ids returned');
SELECT ok((SELECT bool_and(a.id < b.id) FROM via_text a JOIN via_text b ON b.ord = a.ord + 1),
  'ids in array order');
SELECT is((SELECT count(*)::int FROM via_text JOIN mc.batch_event USING (id)), 5, 'stored in the batch queue');
SELECT results_eq(
  $$SELECT to_jsonb(e) - 'id' - 'created_at' - 'last_modified_at' FROM via_text v JOIN mc.batch_event e USING (id) ORDER BY v.ord$$,
  $$SELECT to_jsonb(e) - 'id' - 'created_at' - 'last_modified_at' FROM via_jsonb v JOIN mc.batch_event e USING (id) ORDER BY v.ord$$,
  'every column as push_events stores it (escapes, duplicate keys, numbers, channels, times, ctx)');
SELECT is((SELECT event_type FROM via_text JOIN mc.batch_event USING (id) WHERE ord = 3), 'last',
  'a duplicate key: the last value counts, as in jsonb');
SELECT is((SELECT external_id FROM via_text JOIN mc.batch_event USING (id) WHERE ord = 4), '1000',
  'a numeric externalId is written as jsonb writes the number');

SELECT is((SELECT count(*)::int FROM mc.push_events_json('[]')), 0, 'an empty array pushes nothing');
CREATE TEMP TABLE rt_push AS SELECT id FROM mc.push_events_json('[{"type":"r","ctx":{}}]', 'rt') AS p (id);
SELECT is((SELECT count(*)::int FROM rt_push JOIN mc.rt_event USING (id)), 1, 'into the rt queue');
SELECT is((SELECT count(*)::int FROM mc.push_events_json(
  (SELECT json_agg(json_build_object('type', 'many', 'ctx', json_build_object('i', g)))::text FROM generate_series(1, 2500) g))),
  2500, '2,500 events (more than one multi-insert buffer)');

-- Idempotency keys: the same answer as push_events.
CREATE TEMP TABLE keyed AS SELECT id FROM mc.push_events_json(
  '[{"type":"k","ctx":{},"idempotencyKey":"json-k"},{"type":"k","ctx":{},"idempotencyKey":"json-k"}]') p (id);
SELECT is((SELECT count(DISTINCT id)::int FROM keyed), 1, 'a key used twice in one array: one event, its id twice');
SELECT is((SELECT id FROM mc.push_events('[{"type":"k","ctx":{},"idempotencyKey":"json-k"}]') p (id)),
  (SELECT min(id) FROM keyed), 'push_events then returns the same first id');

-- Not JSON: refused as jsonb's input refuses it, nothing stored.
SELECT throws_ok($$SELECT mc.push_events_json('[{"type":"t","ctx":{}}')$$, '22P02', NULL, 'unterminated array');
SELECT throws_ok($$SELECT mc.push_events_json('[{"type":"t","ctx":{"a":}}]')$$, '22P02', NULL, 'malformed ctx');
SELECT throws_ok($$SELECT mc.push_events_json('[{"type":"t","ctx":{}}] x')$$, '22P02', NULL, 'text after the array');
SELECT throws_ok($$SELECT mc.push_events_json(E'[{"type":"a\tb","ctx":{}}]')$$, '22P02', NULL, 'a raw control character in a string');
SELECT throws_ok($$SELECT mc.push_events_json('[{"type":"t","ctx":{"a":"\u0000"}}]')$$, '22P05', NULL, '\u0000, which jsonb cannot hold');
SELECT throws_ok($$SELECT mc.push_events_json('[{"type":"t","ctx":{},"origin":{"x":"\u0000"}}]')$$, '22P05', NULL,
  '\u0000 in any value, as jsonb refuses the whole array');
SELECT throws_ok($$SELECT mc.push_events_json(NULL)$$, '22004', 'events must not be null', 'NULL events');
SELECT throws_ok($$SELECT mc.push_events_json('[]', 'slow')$$, '22023', NULL, 'unknown queue');

-- The ctx size limit, as push_events applies it.
UPDATE mc.settings SET max_ctx_bytes = 64;
SELECT throws_ok(format('SELECT mc.push_events_json(%L)', json_build_array(json_build_object('type', 't', 'ctx', json_build_object('pad', repeat('x', 100))))::text),
  '54000', NULL, 'ctx over max_ctx_bytes refused');
UPDATE mc.settings SET max_ctx_bytes = DEFAULT;

-- Granted as push_events: to mc_event_writer, not to PUBLIC.
CREATE ROLE mc_test_json_writer;
GRANT mc_event_writer TO mc_test_json_writer;
CREATE ROLE mc_test_json_nobody;
SET ROLE mc_test_json_writer;
SELECT lives_ok($$SELECT mc.push_events_json('[{"type":"w","ctx":{}}]')$$, 'a role holding only mc_event_writer pushes');
RESET ROLE;
SET ROLE mc_test_json_nobody;
SELECT throws_ok($$SELECT mc.push_events_json('[{"type":"w","ctx":{}}]')$$, '42501', NULL, 'anyone else is refused');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM mc.event WHERE event_type = 'w'), 1, 'one event stored by the writer, none by the other');

SELECT * FROM finish();
ROLLBACK;
