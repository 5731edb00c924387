-- Idempotency keys: a second push with a used key returns the first id and stores nothing.
BEGIN;
SELECT plan(10);

CREATE TEMP TABLE first AS SELECT mc.push_event('{"type":"t","ctx":{"n":1},"idempotencyKey":"k-1"}') AS id;
SELECT is(mc.push_event('{"type":"other","ctx":{"n":2},"idempotencyKey":"k-1"}'), (SELECT id FROM first),
          'the same key returns the first event''s id');
SELECT results_eq($$SELECT event_type, ctx FROM mc.rt_event WHERE idempotency_key = 'k-1'$$,
                  $$VALUES ('t', '{"n":1}'::jsonb)$$, 'the first event is kept unchanged');

-- Keys are scoped to their queue (each queue is its own unique index).
SELECT isnt(mc.push_event('{"type":"t","ctx":{},"idempotencyKey":"k-1"}', 'batch'), (SELECT id FROM first),
            'the same key in the batch queue is another event');

-- In a batch: a key seen earlier in the same array, and one from a previous push.
CREATE TEMP TABLE keyed_batch AS SELECT p.id, p.ord FROM mc.push_events(
  '[{"type":"a","ctx":{},"idempotencyKey":"b-1"},
    {"type":"b","ctx":{}},
    {"type":"c","ctx":{},"idempotencyKey":"b-1"},
    {"type":"d","ctx":{},"idempotencyKey":"k-1"}]', 'rt') WITH ORDINALITY p (id, ord);
SELECT is((SELECT array_agg(id ORDER BY ord) FROM keyed_batch WHERE ord IN (1, 3, 4)),
          ARRAY[(SELECT id FROM mc.rt_event WHERE idempotency_key = 'b-1'),
                (SELECT id FROM mc.rt_event WHERE idempotency_key = 'b-1'), (SELECT id FROM first)],
          'duplicate keys in a batch resolve to the first event');
SELECT is((SELECT count(*)::int FROM mc.rt_event WHERE event_type IN ('a', 'b', 'c', 'd')), 2,
          'a batch with repeated keys stores only the new events');

-- Plain INSERT meets the same unique index.
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, ctx, idempotency_key) VALUES ('t', '{}', 'k-1')$$,
                 '23505', NULL, 'INSERT of a used key is a unique violation');
SELECT lives_ok($$INSERT INTO mc.rt_event (event_type, ctx, idempotency_key) VALUES ('t', '{}', 'k-1')
                  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING$$,
                'INSERT ... ON CONFLICT DO NOTHING works on the key');

-- Events without keys are never deduplicated.
SELECT isnt(mc.push_event('{"type":"t","ctx":{}}'), mc.push_event('{"type":"t","ctx":{}}'),
            'two pushes without a key are two events');

-- Once the first event is purged, the key is free again.
DELETE FROM mc.rt_event WHERE idempotency_key = 'k-1';
SELECT isnt(mc.push_event('{"type":"t","ctx":{},"idempotencyKey":"k-1"}'), (SELECT id FROM first),
            'after the first event is gone, the key makes a new event');
SELECT is((SELECT count(*)::int FROM mc.rt_event WHERE idempotency_key = 'k-1'), 1, 'exactly one event holds the key');

SELECT * FROM finish();
ROLLBACK;
