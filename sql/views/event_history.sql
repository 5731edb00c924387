-- Every archived event with its message and outcome, and the instance it ran on.
CREATE OR REPLACE VIEW mc.event_history AS
  SELECT e.id, i.name AS instance_name, e.instance_id, e.queue, e.event_type, e.wished_channel,
         e.language, e.status, e.template_name, e.email, e.mobile_phone, e.external_id, e.origin,
         e.created_at, e.scheduled_at, e.processed_at, e.error_count, e.last_error,
         l.address, l.subject, l.status AS delivery_status, l.failure_reason,
         l.last_modified_at AS delivery_reported_at, e.ctx
  FROM mc.event_histo e
  LEFT JOIN mc.broadlog_event_histo l ON l.event_id = e.id
  LEFT JOIN mc.execution_instance i ON i.instance_id = e.instance_id;
COMMENT ON VIEW mc.event_history IS 'Archived events with their message and delivery outcome';
GRANT SELECT ON mc.event_history TO mc_status_reader;
