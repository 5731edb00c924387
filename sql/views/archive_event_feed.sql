-- The archiving workflow of a control instance (mcSynch_<name>, spec section 6): pulls, from
-- each execution instance through postgres_fdw, the processed events of both queues, their
-- delivery logs and the quarantine, incrementally and idempotently.
--
-- Incremental: a watermark per instance on the time events left the queue (processed_at) and
-- delivery logs last changed (last_modified_at). It only moves to a horizon read from the
-- instance in a transaction of its own, before the pull: no transaction running then had begun
-- earlier, so any row it had not committed carries a later time and is read by the next run.
-- Idempotent: rows beyond what the archive holds (mc.archive_state.events_through and
-- logs_through) are inserted plainly and the others upserted by id, so reading one again
-- changes nothing and a late change (a bounce after "sent") updates the archived row. A run commits its rows and its watermark
-- together; a crash or a dead instance mid-run leaves the previous watermark.

-- What an archive reads on an execution instance, as views so that the joins and the
-- watermark condition run there, next to the data (postgres_fdw pushes the WHERE clause down):
-- processed events of both queues, with the outcome of their delivery log (the archive never
-- shows an older status than the log it holds, even before updateEventsStatus copied it), and
-- delivery logs with their template.
CREATE OR REPLACE VIEW mc.archive_event_feed AS
  SELECT e.id, e.queue,
         CASE l.status WHEN 'sent' THEN 'sent' WHEN 'ignored' THEN 'ignored'
                       WHEN 'failed' THEN 'delivery_failed' ELSE e.status END::mc.event_status AS status,
         e.wished_channel, e.error_count, e.created_at, e.last_modified_at, e.scheduled_at,
         e.expires_at, e.processed_at, d.template_name, e.event_type, e.email, e.mobile_phone,
         e.external_id, e.origin, e.idempotency_key, e.language, e.country, e.last_error, e.ctx
  FROM mc.event e  -- both queues; the planner pushes the watermark condition into each
  LEFT JOIN mc.delivery_log l ON l.event_id = e.id
  LEFT JOIN mc.delivery d ON d.id = e.delivery_id
  WHERE e.processed_at IS NOT NULL;
COMMENT ON VIEW mc.archive_event_feed IS 'Processed events as an archive reads them';
GRANT SELECT ON mc.archive_event_feed TO mc_control_agent;
