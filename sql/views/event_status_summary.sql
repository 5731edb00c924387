-- Every queue and status, with zero counts too, so a dashboard never misses a row.
CREATE OR REPLACE VIEW mc.event_status_summary AS
  SELECT q.queue, s.status, coalesce(c.events, 0) AS events, c.oldest_created_at,
         c.last_modified_at
  FROM (VALUES ('rt'::text), ('batch'::text)) AS q (queue)
  CROSS JOIN unnest(enum_range(NULL::mc.event_status)) AS s (status)
  LEFT JOIN (SELECT e.queue, e.status, count(*) AS events, min(e.created_at) AS oldest_created_at,
                    max(e.last_modified_at) AS last_modified_at
             FROM mc.event e GROUP BY e.queue, e.status) AS c
    ON c.queue = q.queue AND c.status = s.status;
COMMENT ON VIEW mc.event_status_summary IS 'Event counts per queue and status';
GRANT SELECT ON mc.event_status_summary TO mc_status_reader;
