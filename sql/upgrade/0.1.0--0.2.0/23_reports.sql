-- Reports of a control instance over the archive (spec section 6).

-- Every archived event with its message and outcome, and the instance it ran on.
CREATE VIEW mc.event_history AS
  SELECT e.id, i.name AS instance_name, e.instance_id, e.queue, e.event_type, e.wished_channel,
         e.language, e.status, e.template_name, e.email, e.mobile_phone, e.external_id, e.origin,
         e.created_at, e.scheduled_at, e.processed_at, e.error_count, e.last_error,
         l.address, l.subject, l.status AS delivery_status, l.failure_reason,
         l.last_modified_at AS delivery_reported_at, e.ctx
  FROM mc.event_histo e
  LEFT JOIN mc.broadlog_event_histo l ON l.event_id = e.id
  LEFT JOIN mc.execution_instance i ON i.instance_id = e.instance_id;
COMMENT ON VIEW mc.event_history IS 'Archived events with their message and delivery outcome';

-- Service level per hour, instance, queue, event type and channel: incoming events, outgoing
-- messages (reported sent), time in queue (due -> processed), delivery time (processed ->
-- outcome reported) and the error rate (delivery failed, expired or not taken into account).
CREATE VIEW mc.service_level AS
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

-- Each execution instance and how its archiving and publication stand.
CREATE VIEW mc.execution_instance_status AS
  SELECT i.name, i.instance_id, i.server_name, i.is_local, i.registered_at, s.watermark AS archived_through,
         s.runs AS archive_runs, s.last_run_at, s.last_events, s.last_logs, s.last_error,
         s.last_error_at,
         (SELECT count(*) FROM mc.instance_publication p
          WHERE p.instance_name = i.name AND p.status = 'pending') AS pending_publications
  FROM mc.execution_instance i LEFT JOIN mc.archive_state s ON s.instance_name = i.name;
COMMENT ON VIEW mc.execution_instance_status IS 'Execution instances, their archiving and pending publications';
