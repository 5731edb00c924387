-- The index entries of processing's direct writes (src/processing/event_update.cpp,
-- log_insert.cpp), which bypass the executor's UPDATE and INSERT: amcheck finds an entry for every
-- row version in every btree of the queue and the delivery log (the queue index's new key for a
-- retried event included), a BRIN search by created_at finds every event after the new versions
-- were written without BRIN entries on their old page, and the unique keys whose check the
-- update skips (unchanged id and idempotency key) are still enforced.
BEGIN;
SELECT plan(14);
CREATE EXTENSION IF NOT EXISTS amcheck;

SELECT mc.create_template('ix_ok', 'ix_ok', 'sms', body_text => 'Order {{ctx.n}}');
SELECT mc.create_template('ix_broken', 'ix_broken', 'sms', body_text => '{{> ix_missing_partial}}');
SELECT mc.publish_template('ix_ok');
SELECT mc.publish_template('ix_broken');

-- Full pages (fillfactor 100), so that new versions move to other pages, and one BRIN range per
-- page, so that a version moved to a page whose summary lacks its created_at must add to it.
ALTER TABLE mc.rt_event SET (fillfactor = 100);
ALTER INDEX mc.rt_event_created_at SET (pages_per_range = 1);
REINDEX INDEX mc.rt_event_created_at;
-- 600 events over 100 minutes of created_at (a superuser may set it; writers cannot), some with
-- an idempotency key, 10 whose template fails (retried: they stay queued under a new key), and
-- the BRIN index summarised before processing, so that its ranges hold the old versions' values.
INSERT INTO mc.rt_event (event_type, mobile_phone, wished_channel, idempotency_key, created_at, ctx)
  SELECT CASE WHEN g % 60 = 0 THEN 'ix_broken' ELSE 'ix_ok' END, '+4670123' || lpad(g::text, 4, '0'),
         'sms', CASE WHEN g % 3 = 0 THEN 'ix-key-' || g END,
         now() - interval '100 minutes' + g * interval '10 seconds', jsonb_build_object('n', g)
  FROM generate_series(1, 600) g;
SELECT ok(brin_summarize_new_values('mc.rt_event_created_at') > 1, 'the BRIN ranges are summarised');

SELECT is(mc.rt_events_processing(), 600::bigint, 'every event is handled');
SELECT is((SELECT count(*) FROM mc.rt_event WHERE status = 'pending_delivery'), 590::bigint,
          '590 events leave the queue');
SELECT is((SELECT count(*) FROM mc.rt_event WHERE status = 'pending' AND error_count = 1
             AND process_requested_at > now()), 10::bigint,
          '10 failed events stay queued, to be retried later');

SELECT lives_ok(format('SELECT bt_index_check(%L::regclass, true)', i), format('%s: an entry for every row version', i))
FROM unnest(ARRAY['mc.rt_event_pkey', 'mc.rt_event_idempotency_key', 'mc.rt_event_queue',
                  'mc.rt_event_processed_at', 'mc.delivery_log_pkey', 'mc.delivery_log_last_modified',
                  'mc.delivery_log_pending_queue']) i;

-- Through the BRIN index only (a bitmap scan), in ten slices of created_at: the same events as a
-- sequential scan.
CREATE FUNCTION pg_temp.slices() RETURNS TABLE (slice int, events bigint) LANGUAGE sql AS $$
  SELECT s, (SELECT count(*) FROM mc.rt_event e
             WHERE e.created_at >= now() - interval '100 minutes' + s * interval '10 minutes'
               AND e.created_at < now() - interval '90 minutes' + s * interval '10 minutes')
  FROM generate_series(0, 9) s $$;
CREATE TEMP TABLE by_seqscan AS SELECT * FROM pg_temp.slices();
SET LOCAL enable_seqscan = off;
SET LOCAL enable_indexscan = off;
SELECT ok((SELECT count(DISTINCT (ctid::text::point)[0]) FROM mc.rt_event) > 1
          AND (SELECT count(*) FROM pg_temp.slices() b JOIN by_seqscan s USING (slice, events)) = 10,
          'a BRIN search by created_at finds every processed event');
RESET enable_seqscan;
RESET enable_indexscan;

SELECT throws_ok(format('INSERT INTO mc.rt_event (id, event_type, mobile_phone, wished_channel, ctx) '
                        'VALUES (%s, %L, %L, %L, %L)',
                        (SELECT min(id) FROM mc.rt_event WHERE status = 'pending_delivery'),
                        'ix_ok', '+46700000000', 'sms', '{}'),
                 '23505', NULL, 'a processed event''s id is still unique');
SELECT throws_ok($$INSERT INTO mc.rt_event (event_type, mobile_phone, wished_channel, idempotency_key, ctx)
                   VALUES ('ix_ok', '+46700000000', 'sms', 'ix-key-3', '{}')$$,
                 '23505', NULL, 'a processed event''s idempotency key is still unique');

SELECT * FROM finish();
ROLLBACK;
