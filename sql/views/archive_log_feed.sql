CREATE OR REPLACE VIEW mc.archive_log_feed AS
  SELECT l.event_id, l.queue, l.status, l.channel, d.template_name, d.month AS delivery_month,
         l.attempts, l.created_at, l.last_modified_at, l.address, l.sender, l.subject,
         l.body_html, l.body_text, l.push_data, l.webhook_url, l.failure_reason
  FROM mc.delivery_log l LEFT JOIN mc.delivery d ON d.id = l.delivery_id;
COMMENT ON VIEW mc.archive_log_feed IS 'Delivery logs as an archive reads them';
GRANT SELECT ON mc.archive_log_feed TO mc_control_agent;
