-- Names and JSON keys never reach SQL text: hostile input is data, not code.
BEGIN;
SELECT plan(6);

SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}', 'rt; DROP TABLE mc.rt_event; --')$$,
  '22023', NULL, 'a queue name is never interpolated');
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{},"email); DROP TABLE mc.rt_event; --":"x"}')$$,
  '42703', NULL, 'an unknown key is refused, not used');
SELECT lives_ok($$SELECT mc.push_event('{"type":"t''); DROP TABLE mc.rt_event; --","ctx":{"k''\"":"v''; DROP"},"idempotencyKey":"''; DROP TABLE x; --","externalId":"1 OR 1=1"}')$$,
  'quotes in values are stored as data');
SELECT is((SELECT event_type FROM mc.rt_event WHERE external_id = '1 OR 1=1'), 't''); DROP TABLE mc.rt_event; --',
  'the value is stored verbatim');
SELECT is(mc.push_event('{"type":"x","ctx":{},"idempotencyKey":"''; DROP TABLE x; --"}'),
          (SELECT id FROM mc.rt_event WHERE external_id = '1 OR 1=1'), 'a hostile idempotency key is a bound parameter');
SELECT has_table('mc', 'rt_event', 'the table is still there');

SELECT * FROM finish();
ROLLBACK;
