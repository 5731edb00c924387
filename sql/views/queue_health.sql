-- The health page of the original product: Ok with the pending count against its threshold,
-- or Error when a queue is over it. Counts read the queue index (unprocessed events only).
CREATE OR REPLACE VIEW mc.queue_health AS
  SELECT p.queue, p.pending, p.threshold, p.oldest_pending_at,
         CASE WHEN p.pending > p.threshold THEN 'Error' ELSE 'Ok' END AS health,
         format('%s: %s pending events in the %s queue (threshold %s)',
                CASE WHEN p.pending > p.threshold THEN 'Error' ELSE 'Ok' END,
                p.pending, p.queue, p.threshold) AS message
  FROM (SELECT 'rt'::text AS queue,
               (SELECT count(*) FROM mc.rt_event WHERE processed_at IS NULL) AS pending,
               (SELECT min(created_at) FROM mc.rt_event WHERE processed_at IS NULL) AS oldest_pending_at,
               s.rt_pending_threshold AS threshold
        FROM mc.settings s
        UNION ALL
        SELECT 'batch'::text,
               (SELECT count(*) FROM mc.batch_event WHERE processed_at IS NULL),
               (SELECT min(created_at) FROM mc.batch_event WHERE processed_at IS NULL),
               s.batch_pending_threshold
        FROM mc.settings s) AS p;
COMMENT ON VIEW mc.queue_health IS 'Ok/Error per queue: pending events against the threshold';
GRANT SELECT ON mc.queue_health TO mc_status_reader;
