-- One archiving pass over an instance, up to horizon (from mc.archive_horizon, read in an
-- earlier transaction). Concurrent passes over the same instance run one after the other.
-- Every statement reads the instance in the same remote transaction (postgres_fdw: one
-- repeatable-read transaction per local one), so the events, their delivery logs and the
-- aggregates below come from one snapshot.
CREATE OR REPLACE FUNCTION mc.archive_instance(instance_name text, horizon timestamptz)
  RETURNS TABLE (events bigint, delivery_logs bigint, quarantined bigint)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  st mc.archive_state;
  -- The feeds as the archive tables take them: %1$I the instance's schema, %2$s the rows.
  event_insert constant text := $sql$
    INSERT INTO mc.event_histo AS h (id, instance_id, queue, status, wished_channel, error_count,
      created_at, last_modified_at, scheduled_at, expires_at, processed_at, template_name,
      event_type, email, mobile_phone, external_id, origin, idempotency_key, language, country,
      last_error, ctx)
    SELECT f.id, $2, f.queue, f.status, f.wished_channel, f.error_count, f.created_at,
           f.last_modified_at, f.scheduled_at, f.expires_at, f.processed_at, f.template_name,
           f.event_type, f.email, f.mobile_phone, f.external_id, f.origin, f.idempotency_key,
           f.language, f.country, f.last_error, f.ctx
    FROM %1$I.archive_event_feed f
    WHERE f.processed_at >= $1 %2$s $sql$;
  log_insert constant text := $sql$
    INSERT INTO mc.broadlog_event_histo AS h (event_id, instance_id, queue, status, channel,
      template_name, delivery_month, attempts, created_at, last_modified_at, address, sender,
      subject, body_html, body_text, push_data, webhook_url, failure_reason)
    SELECT l.event_id, $2, l.queue, l.status, l.channel, l.template_name, l.delivery_month,
           l.attempts, l.created_at, l.last_modified_at, l.address, l.sender, l.subject,
           l.body_html, l.body_text, l.push_data, l.webhook_url, l.failure_reason
    FROM %1$I.archive_log_feed l
    WHERE l.last_modified_at >= $1 %2$s $sql$;
  known boolean;
  n bigint;
  newest timestamptz;
  reach_events timestamptz;  -- the new bounds
  reach_logs timestamptz;
BEGIN
  IF horizon IS NULL THEN
    RAISE EXCEPTION 'horizon must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO st FROM mc.archive_state s WHERE s.instance_name = i.name FOR UPDATE;
  events := 0;
  delivery_logs := 0;
  known := st.events_through IS NOT NULL AND st.logs_through IS NOT NULL;
  reach_events := greatest(st.events_through, st.watermark);
  reach_logs := greatest(st.logs_through, st.watermark);

  -- Rows beyond the bounds, plainly. An archived row there means the bounds were wrong (say,
  -- an instance's clock set back): this pass then upserts everything, as without bounds.
  IF known THEN
    BEGIN
      EXECUTE format('WITH n AS (' || event_insert || ' RETURNING h.processed_at) '
                     'SELECT count(*), max(n.processed_at) FROM n',
                     i.foreign_schema, 'AND f.processed_at > $3')
        INTO n, newest USING st.watermark, i.instance_id, st.events_through;
      events := n;
      reach_events := greatest(reach_events, newest);
      EXECUTE format('WITH n AS (' || log_insert || ' RETURNING h.created_at) '
                     'SELECT count(*), max(n.created_at) FROM n',
                     i.foreign_schema, 'AND l.created_at > $3')
        INTO n, newest USING st.watermark, i.instance_id, st.logs_through;
      delivery_logs := n;
      reach_logs := greatest(reach_logs, newest);
    EXCEPTION WHEN unique_violation THEN
      known := false;
      events := 0;
      delivery_logs := 0;
      reach_events := st.watermark;
      reach_logs := st.watermark;
    END;
  END IF;

  -- Events that may be archived already: processed within the bounds, since the watermark.
  IF NOT known OR (st.events_through >= st.watermark AND st.events_through > '-infinity') THEN
    EXECUTE format(event_insert || $sql$
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, error_count = excluded.error_count,
        last_modified_at = excluded.last_modified_at, processed_at = excluded.processed_at,
        template_name = excluded.template_name, last_error = excluded.last_error,
        archived_at = now()
      WHERE (h.status, h.last_modified_at) IS DISTINCT FROM (excluded.status, excluded.last_modified_at)
      $sql$, i.foreign_schema, CASE WHEN known THEN 'AND f.processed_at <= $3' ELSE '' END)
      USING st.watermark, i.instance_id, st.events_through;
    GET DIAGNOSTICS n = ROW_COUNT;
    events := events + n;
  END IF;

  -- Delivery logs that may be archived already (a bounce after "sent" changes an old one), and
  -- the outcome they carry onto the archived events.
  IF NOT known OR st.logs_through > '-infinity' THEN
    EXECUTE format($sql$
      WITH pulled AS ($sql$ || log_insert || $sql$
        ON CONFLICT (event_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
          last_modified_at = excluded.last_modified_at, failure_reason = excluded.failure_reason,
          archived_at = now()
        WHERE (h.status, h.last_modified_at) IS DISTINCT FROM (excluded.status, excluded.last_modified_at)
        -- xmax = 0: a row this statement inserted. Its event came with the same outcome from
        -- the event feed (same remote snapshot); only a changed log has anything to carry over.
        RETURNING h.event_id, h.status, h.xmax = 0 AS inserted),
      outcome AS (
        UPDATE mc.event_histo e
        SET status = CASE p.status WHEN 'sent' THEN 'sent' WHEN 'ignored' THEN 'ignored'
                                   ELSE 'delivery_failed' END::mc.event_status
        FROM pulled p
        WHERE e.id = p.event_id AND NOT p.inserted AND p.status <> 'pending'
          AND e.status IS DISTINCT FROM CASE p.status WHEN 'sent' THEN 'sent' WHEN 'ignored' THEN 'ignored'
                                                      ELSE 'delivery_failed' END::mc.event_status)
      SELECT count(*) FROM pulled
      $sql$, i.foreign_schema, CASE WHEN known THEN 'AND l.created_at <= $3' ELSE '' END)
      INTO n USING st.watermark, i.instance_id, st.logs_through;
    delivery_logs := delivery_logs + n;
  END IF;

  -- Without bounds, the newest rows read (archived or not) give them; aggregates run remotely.
  IF NOT known THEN
    EXECUTE format('SELECT max(f.processed_at) FROM %I.archive_event_feed f WHERE f.processed_at >= $1',
                   i.foreign_schema) INTO newest USING st.watermark;
    reach_events := greatest(reach_events, newest);
    EXECUTE format('SELECT max(l.created_at) FROM %I.archive_log_feed l WHERE l.last_modified_at >= $1',
                   i.foreign_schema) INTO newest USING st.watermark;
    reach_logs := greatest(reach_logs, newest);
  END IF;

  -- The instance's quarantine joins this one (a small table: read whole when it changed).
  EXECUTE format($sql$
    INSERT INTO mc.quarantine AS x (channel, address, reason, error_count, created_at, updated_at)
    SELECT q.channel, q.address, q.reason, q.error_count, q.created_at, q.updated_at
    FROM %I.quarantine q WHERE q.updated_at >= $1
    ON CONFLICT (channel, address) DO UPDATE SET reason = excluded.reason,
      error_count = greatest(x.error_count, excluded.error_count), updated_at = excluded.updated_at
    WHERE excluded.updated_at > x.updated_at
    $sql$, i.foreign_schema)
    USING st.watermark;
  GET DIAGNOSTICS quarantined = ROW_COUNT;

  UPDATE mc.archive_state s
  SET watermark = greatest(s.watermark, horizon), runs = s.runs + 1, last_run_at = now(),
      last_events = events, last_logs = delivery_logs, last_quarantine = quarantined,
      last_error = NULL, last_error_at = NULL,
      events_through = reach_events, logs_through = reach_logs
  WHERE s.instance_name = i.name;
  RETURN NEXT;
END $$;
REVOKE ALL ON FUNCTION mc.archive_instance(text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION mc.archive_instance(text, timestamptz) IS 'One archiving pass over an execution instance, up to a horizon';
