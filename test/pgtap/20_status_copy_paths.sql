-- The status copy's two paths: a copy small against its table runs the UPDATE statement (index
-- probes), a large one the direct heap pass (src/status/direct_copy.cpp). Both copy the same
-- outcomes and touch nothing else in the row.
BEGIN;
SELECT plan(11);

SELECT mc.create_template('spc', 'spc_event', 'email', subject => 'S {{ctx.n}}', body_text => 't');
SELECT mc.publish_template('spc');
-- 300 events of ~1.6 kB (two rows a page at fillfactor 45: ~150 pages).
SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', 'spc_event',
  'email', format('u%s@example.com', g), 'ctx', jsonb_build_object('n', g,
  'pad', (SELECT string_agg(md5(g::text || k::text), '') FROM generate_series(1, 50) k))))
  FROM generate_series(1, 300) g), 'batch');
SELECT is(mc.batch_events_processing(1000), 300::bigint, 'processed');
UPDATE mc.workflow_state SET watermark = '-infinity' WHERE workflow = 'updateEventsStatus';
CREATE TEMP TABLE before AS SELECT * FROM mc.batch_event;
CREATE TEMP TABLE claimed AS SELECT * FROM mc.claim_messages('email', 1000, '10 minutes');
SELECT cmp_ok((SELECT pg_relation_size('mc.batch_event') / 8192), '>', 30::bigint,
  'the table is large against 15 outcomes');
-- update_events_status reads at most (pages of both queues) / 2 changed rows through its
-- statement; 285 over that: the large copy reads the delivery log's heap directly.
SELECT cmp_ok((SELECT (pg_relation_size('mc.batch_event') + pg_relation_size('mc.rt_event')) / 8192 / 2), '<', 285::bigint,
  'and small enough that 285 outcomes are read from the delivery log directly');

-- 15 outcomes: the statement path.
SELECT count(mc.report_delivery(event_id, CASE WHEN event_id % 3 = 0 THEN 'failed' ELSE 'sent' END,
  CASE WHEN event_id % 3 = 0 THEN 'mailbox_full' END, lease_token))
FROM (SELECT * FROM claimed ORDER BY event_id LIMIT 15) c;
SELECT is(mc.update_events_status(), 15::bigint, 'a small copy: 15 copied');
-- The other 285: the direct path.
SELECT count(mc.report_delivery(event_id, CASE WHEN event_id % 3 = 0 THEN 'failed' ELSE 'sent' END,
  CASE WHEN event_id % 3 = 0 THEN 'mailbox_full' END, lease_token))
FROM (SELECT * FROM claimed ORDER BY event_id OFFSET 15) c;
CREATE TEMP TABLE upd_before AS SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'mc.batch_event'::regclass;
SELECT is(mc.update_events_status(), 285::bigint, 'a large copy: 285 copied');
-- In this one transaction the versions processing left cannot be pruned: pages are full, and
-- some of the copy's new versions go to other pages (not HOT), with their index entries.
SELECT cmp_ok((SELECT (s.n_tup_upd - b.n_tup_upd) - (s.n_tup_hot_upd - b.n_tup_hot_upd)
               FROM pg_stat_xact_user_tables s, upd_before b WHERE s.relid = 'mc.batch_event'::regclass),
              '>', 0::bigint, 'the direct path wrote versions that are not HOT');
SELECT is(mc.update_events_status(), 0::bigint, 'nothing left to copy');

SELECT is((SELECT count(*) FROM mc.batch_event e
           WHERE e.status = CASE WHEN e.id % 3 = 0 THEN 'delivery_failed' ELSE 'sent' END::mc.event_status),
          300::bigint, 'every event carries its outcome');
SELECT is((SELECT count(*) FROM mc.batch_event e JOIN before b USING (id)
           WHERE e.last_modified_at > b.last_modified_at OR e.last_modified_at = now()),
          300::bigint, 'last_modified_at set by the copy');
-- Every other column as it was.
SELECT is((SELECT count(*) FROM mc.batch_event e JOIN before b USING (id)
           WHERE (to_jsonb(e) - 'status' - 'last_modified_at') = (to_jsonb(b) - 'status' - 'last_modified_at')),
          300::bigint, 'nothing else in the rows changed');
-- The indexes still find every row (HOT or not, each version reachable by its keys).
SET LOCAL enable_seqscan = off;
SELECT is((SELECT count(*) FROM mc.batch_event e JOIN before b ON e.id = b.id), 300::bigint,
  'every event found through the primary key');

SELECT * FROM finish();
ROLLBACK;
