-- C++ knows the queue tables' columns by name (src/intake/event_writer.cpp): their order does not
-- matter, and a column intake writes that is missing is an error naming it, not a shifted write.
BEGIN;
SELECT plan(4);

-- A column intake does not write, gone (renamed: its views and constraints follow): the remaining
-- columns are still found by name (the table is no longer exactly the extension's, so events take
-- the prepared INSERT).
ALTER TABLE mc.batch_event RENAME COLUMN last_error TO last_error_elsewhere;
SELECT lives_ok($$SELECT mc.push_event('{"type":"t","ctx":{"a":1},"email":"a@example.com"}', 'batch')$$,
                'a table without a column intake does not write still takes events');
SELECT is((SELECT (email, ctx) FROM mc.batch_event ORDER BY id DESC LIMIT 1),
          ('a@example.com'::text, '{"a":1}'::jsonb), 'each value lands in its own column');

-- A column intake writes, gone: a loud error that names it.
ALTER TABLE mc.rt_event RENAME COLUMN origin TO origin_elsewhere;
SELECT throws_ok($$SELECT mc.push_event('{"type":"t","ctx":{}}', 'rt')$$, '42703',
                 'column "origin" of table mc.rt_event is missing', 'a missing column is named');
SELECT throws_ok($$SELECT mc.push_events('[{"type":"t","ctx":{}}]', 'rt')$$, '42703',
                 'column "origin" of table mc.rt_event is missing', 'by push_events too');

SELECT * FROM finish();
ROLLBACK;
