-- mc.push_event and mc.push_events store every field of an event document.
BEGIN;
SELECT plan(22);

SELECT lives_ok($$SELECT mc.push_event('{
  "type": "order_confirmed", "email": "ada@example.com", "mobilePhone": "+46 70 123 45 67",
  "externalId": "cust-42", "origin": "shop", "idempotencyKey": "order-1234",
  "wishedChannel": "sms", "language": "sv", "country": "SE",
  "ctx": {"order": {"id": 1234, "items": [{"sku": "A", "qty": 2}]}},
  "scheduled": "2030-01-01T10:00:00+01:00", "expiration": "2030-01-02T10:00:00Z"}')$$,
  'a complete event is accepted');

SELECT results_eq($$
  SELECT event_type, email, mobile_phone, external_id, origin, idempotency_key, wished_channel::text,
         language, country, ctx, scheduled_at, expires_at, status::text, error_count
  FROM mc.rt_event WHERE idempotency_key = 'order-1234'$$,
  $$VALUES ('order_confirmed', 'ada@example.com', '+46 70 123 45 67', 'cust-42', 'shop', 'order-1234',
            'sms', 'sv', 'SE', '{"order": {"id": 1234, "items": [{"sku": "A", "qty": 2}]}}'::jsonb,
            '2030-01-01 09:00:00+00'::timestamptz, '2030-01-02 10:00:00+00'::timestamptz, 'pending', 0)$$,
  'every field lands in its column, pending with no error');

SELECT ok((SELECT created_at = now() AND last_modified_at = now() FROM mc.rt_event
           WHERE idempotency_key = 'order-1234'), 'created_at and last_modified_at are now()');

-- The queue argument picks the table. (A row a function inserts is visible to the next
-- statement, not to the one that called it: hence the temp tables.)
CREATE TEMP TABLE by_queue AS
  SELECT mc.push_event('{"type":"t","ctx":{}}', 'batch') AS batch_id, mc.push_event('{"type":"t","ctx":{}}') AS default_id;
SELECT ok((SELECT batch_id IN (SELECT id FROM mc.batch_event) FROM by_queue), 'queue batch writes mc.batch_event');
SELECT ok((SELECT default_id IN (SELECT id FROM mc.rt_event) FROM by_queue), 'push_event defaults to the rt queue');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}', 'fast')$$, '22023',
  'queue must be ''rt'' or ''batch'', not "fast"', 'unknown queue refused');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}', NULL)$$, '22004', NULL, 'null queue refused');
SELECT throws_ok($$SELECT mc.push_event(NULL)$$, '22004', 'event must not be null', 'null event refused');

-- Channels: names and the original product's codes, as strings or numbers.
CREATE TEMP TABLE channel_push AS
  SELECT code, name, mc.push_event(format('{"type":"t","ctx":{},"wishedChannel":%s}', code)::jsonb) AS id
  FROM (VALUES ('0', 'email'), ('1', 'sms'), ('41', 'push_ios'), ('42', 'push_android'),
               ('"42"', 'push_android'), ('"webhook"', 'webhook')) AS c (code, name);
SELECT is((SELECT wished_channel::text FROM mc.rt_event e WHERE e.id = p.id), p.name,
          format('wishedChannel %s is %s', p.code, p.name))
FROM channel_push p;
CREATE TEMP TABLE plain_push AS
  SELECT mc.push_event('{"type":"t","ctx":{}}') AS default_channel,
         mc.push_event('{"type":"t","ctx":{},"externalId":9007199254740993}') AS numeric_external_id,
         mc.push_event('{"type":"t","ctx":{},"email":null}') AS null_email;
SELECT is((SELECT wished_channel::text FROM mc.rt_event WHERE id = (SELECT default_channel FROM plain_push)),
          'email', 'the default channel is email');

-- A numeric externalId is kept as its text; JSON null means absent.
SELECT is((SELECT external_id FROM mc.rt_event WHERE id = (SELECT numeric_external_id FROM plain_push)),
          '9007199254740993', 'numeric externalId kept exactly');
SELECT is((SELECT email FROM mc.rt_event WHERE id = (SELECT null_email FROM plain_push)),
          NULL, 'null email is no email');

-- push_events: ids in array order, all in the chosen queue.
CREATE TEMP TABLE batch_push AS
  SELECT p.id, p.ord FROM mc.push_events('[{"type":"a","ctx":{}},{"type":"b","ctx":{}},{"type":"c","ctx":{}}]')
    WITH ORDINALITY AS p (id, ord);
SELECT is((SELECT array_agg(e.event_type ORDER BY ord) FROM batch_push JOIN mc.batch_event e USING (id)),
          ARRAY['a', 'b', 'c'], 'push_events returns the ids in array order');
SELECT is((SELECT count(*)::int FROM mc.push_events('[]')), 0, 'an empty array pushes nothing');
CREATE TEMP TABLE rt_batch_push AS SELECT id FROM mc.push_events('[{"type":"a","ctx":{}}]', 'rt') AS p (id);
SELECT is((SELECT count(*)::int FROM rt_batch_push JOIN mc.rt_event USING (id)), 1, 'push_events into the rt queue');
SELECT is((SELECT count(*)::int FROM mc.push_events(
  (SELECT jsonb_agg(jsonb_build_object('type', 'bulk', 'ctx', jsonb_build_object('n', g))) FROM generate_series(1, 2500) g))),
  2500, 'push_events of 2,500 events (more than one multi-insert buffer)');
SELECT results_eq($$SELECT count(*)::int, count(DISTINCT id)::int, min((ctx->>'n')::int), max((ctx->>'n')::int)
                    FROM mc.batch_event WHERE event_type = 'bulk'$$,
                  $$VALUES (2500, 2500, 1, 2500)$$, 'all 2,500 stored, each once');
SELECT * FROM finish();
ROLLBACK;
