-- Both queues as one relation.
CREATE OR REPLACE VIEW mc.event AS
  SELECT 'rt'::text AS queue, e.* FROM mc.rt_event e
  UNION ALL
  SELECT 'batch'::text AS queue, e.* FROM mc.batch_event e;
COMMENT ON VIEW mc.event IS 'Events of both queues, with a queue column';
GRANT SELECT ON mc.event TO mc_status_reader;
