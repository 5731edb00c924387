-- mc.set_instance_id: every new event id carries the instance id in its high byte.
BEGIN;
SELECT plan(8);

SELECT lives_ok('SELECT mc.set_instance_id(7)', 'instance id 7 on an empty instance');
SELECT is((mc.push_event('{"type":"t","ctx":{}}') >> 56)::int, 7, 'push_event ids carry 7 in the high byte');
SELECT is((SELECT (id >> 56)::int FROM mc.push_events('[{"type":"t","ctx":{}}]') id), 7, 'push_events ids too');
INSERT INTO mc.batch_event (event_type, ctx) VALUES ('t', '{}');
SELECT is((SELECT max(id) >> 56 FROM mc.batch_event)::int, 7, 'plain INSERT ids too');
SELECT is((SELECT instance_id::int FROM mc.settings), 7, 'settings show the instance id');
SELECT throws_ok('SELECT mc.set_instance_id(8)', '55006', NULL, 'refused once the queues hold events of another id');
SELECT throws_ok('SELECT mc.set_instance_id(256)', '22023', 'instance id must be between 0 and 255, got 256', 'out of range');
DELETE FROM mc.rt_event;
DELETE FROM mc.batch_event;
SELECT mc.set_instance_id(200);
SELECT is(((mc.push_event('{"type":"t","ctx":{}}') >> 56) & 255)::int, 200, 'ids of instance 200 (negative bigints) still carry it');

SELECT * FROM finish();
ROLLBACK;
