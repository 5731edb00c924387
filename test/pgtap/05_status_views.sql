-- mc.event, mc.event_status_summary, mc.queue_health.
BEGIN;
SELECT plan(9);

SELECT mc.push_events('[{"type":"a","ctx":{}},{"type":"b","ctx":{}}]', 'rt');
SELECT mc.push_events('[{"type":"c","ctx":{}},{"type":"d","ctx":{}},{"type":"e","ctx":{}}]', 'batch');
UPDATE mc.batch_event SET status = 'sent', processed_at = now() WHERE event_type = 'e';

SELECT results_eq($$SELECT queue, count(*)::int FROM mc.event GROUP BY queue ORDER BY queue$$,
                  $$VALUES ('batch', 3), ('rt', 2)$$, 'mc.event shows both queues with a queue column');
SELECT is((SELECT count(*)::int FROM mc.event_status_summary), 14,
          'summary has a row for every queue and status, zero counts included');
SELECT results_eq($$SELECT queue, status::text, events::int FROM mc.event_status_summary WHERE events > 0 ORDER BY 1, 2$$,
                  $$VALUES ('batch', 'pending', 2), ('batch', 'sent', 1), ('rt', 'pending', 2)$$,
                  'summary counts per queue and status');

SELECT results_eq($$SELECT queue, pending::int, health FROM mc.queue_health ORDER BY queue$$,
                  $$VALUES ('batch', 2, 'Ok'), ('rt', 2, 'Ok')$$, 'both queues Ok under their thresholds');
SELECT is((SELECT message FROM mc.queue_health WHERE queue = 'rt'),
          'Ok: 2 pending events in the rt queue (threshold 1000)', 'the health message states count and threshold');
UPDATE mc.settings SET rt_pending_threshold = 1;
SELECT is((SELECT health FROM mc.queue_health WHERE queue = 'rt'), 'Error', 'rt over its threshold is Error');
SELECT is((SELECT health FROM mc.queue_health WHERE queue = 'batch'), 'Ok', 'batch stays Ok');
SELECT is((SELECT message FROM mc.queue_health WHERE queue = 'rt'),
          'Error: 2 pending events in the rt queue (threshold 1)', 'the Error message');
SELECT ok((SELECT oldest_pending_at = now() FROM mc.queue_health WHERE queue = 'rt'),
          'oldest pending event time is shown');

SELECT * FROM finish();
ROLLBACK;
