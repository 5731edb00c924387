-- Service level per hour, instance, queue, event type and channel: incoming events, outgoing
-- messages (reported sent), time in queue (due -> processed), delivery time (processed ->
-- outcome reported) and the error rate (delivery failed, expired or not taken into account).
CREATE OR REPLACE VIEW mc.service_level AS
  SELECT date_trunc('hour', e.created_at) AS hour,
         coalesce(i.name, 'instance ' || e.instance_id) AS instance_name,
         e.queue, e.event_type, e.wished_channel AS channel,
         count(*) AS incoming,
         count(*) FILTER (WHERE l.status = 'sent') AS outgoing,
         avg(e.processed_at - greatest(e.created_at, e.scheduled_at)) AS avg_time_in_queue,
         avg(l.last_modified_at - e.processed_at) FILTER (WHERE l.status <> 'pending') AS avg_delivery_time,
         round(count(*) FILTER (WHERE e.status IN ('delivery_failed', 'expired', 'not_taken_into_account'))::numeric
               / count(*), 4) AS error_rate
  FROM mc.event_histo e
  LEFT JOIN mc.broadlog_event_histo l ON l.event_id = e.id
  LEFT JOIN mc.execution_instance i ON i.instance_id = e.instance_id
  GROUP BY 1, 2, 3, 4, 5;
COMMENT ON VIEW mc.service_level IS 'Throughput, time in queue, delivery time and error rate per hour';
GRANT SELECT ON mc.service_level TO mc_status_reader;
