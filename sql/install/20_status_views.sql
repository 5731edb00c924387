-- Both queues as one relation.
CREATE VIEW mc.event AS
  SELECT 'rt'::text AS queue, e.* FROM mc.rt_event e
  UNION ALL
  SELECT 'batch'::text AS queue, e.* FROM mc.batch_event e;
COMMENT ON VIEW mc.event IS 'Events of both queues, with a queue column';

-- Every queue and status, with zero counts too, so a dashboard never misses a row.
CREATE VIEW mc.event_status_summary AS
  SELECT q.queue, s.status, coalesce(c.events, 0) AS events, c.oldest_created_at,
         c.last_modified_at
  FROM (VALUES ('rt'::text), ('batch'::text)) AS q (queue)
  CROSS JOIN unnest(enum_range(NULL::mc.event_status)) AS s (status)
  LEFT JOIN (SELECT e.queue, e.status, count(*) AS events, min(e.created_at) AS oldest_created_at,
                    max(e.last_modified_at) AS last_modified_at
             FROM mc.event e GROUP BY e.queue, e.status) AS c
    ON c.queue = q.queue AND c.status = s.status;
COMMENT ON VIEW mc.event_status_summary IS 'Event counts per queue and status';

-- The health page of the original product: Ok with the pending count against its threshold,
-- or Error when a queue is over it. Counts read the queue index (unprocessed events only).
CREATE VIEW mc.queue_health AS
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
