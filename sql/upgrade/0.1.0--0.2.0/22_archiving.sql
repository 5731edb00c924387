-- The archiving workflow of a control instance (mcSynch_<name>, spec section 6): pulls, from
-- each execution instance through postgres_fdw, the processed events of both queues, their
-- delivery logs and the quarantine, incrementally and idempotently.
--
-- Incremental: a watermark per instance on the time events left the queue (processed_at) and
-- delivery logs last changed (last_modified_at). It only moves to a horizon read from the
-- instance in a transaction of its own, before the pull: no transaction running then had begun
-- earlier, so any row it had not committed carries a later time and is read by the next run.
-- Idempotent: rows are upserted by id, so reading one again changes nothing and a late change
-- (a bounce after "sent") updates the archived row. A run commits its rows and its watermark
-- together; a crash or a dead instance mid-run leaves the previous watermark.

-- What an archive reads on an execution instance, as views so that the joins and the
-- watermark condition run there, next to the data (postgres_fdw pushes the WHERE clause down):
-- processed events of both queues, with the outcome of their delivery log (the archive never
-- shows an older status than the log it holds, even before updateEventsStatus copied it), and
-- delivery logs with their template.
CREATE VIEW mc.archive_event_feed AS
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

CREATE VIEW mc.archive_log_feed AS
  SELECT l.event_id, l.queue, l.status, l.channel, d.template_name, d.month AS delivery_month,
         l.attempts, l.created_at, l.last_modified_at, l.address, l.sender, l.subject,
         l.body_html, l.body_text, l.push_data, l.webhook_url, l.failure_reason
  FROM mc.delivery_log l LEFT JOIN mc.delivery d ON d.id = l.delivery_id;
COMMENT ON VIEW mc.archive_log_feed IS 'Delivery logs as an archive reads them';

CREATE TABLE mc.event_histo (
  id bigint PRIMARY KEY,  -- ids carry their instance id in the high byte: unique across instances
  instance_id smallint NOT NULL,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  status mc.event_status NOT NULL,
  wished_channel mc.channel NOT NULL,
  error_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  last_modified_at timestamptz NOT NULL,
  scheduled_at timestamptz,
  expires_at timestamptz,
  processed_at timestamptz,
  template_name text,
  event_type text NOT NULL,
  email text,
  mobile_phone text,
  external_id text,
  origin text,
  idempotency_key text,
  language text,
  country text,
  last_error text,
  ctx jsonb NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
-- (btree: purged space is reused, which would leave a BRIN index matching every block)
CREATE INDEX event_histo_created_at ON mc.event_histo (created_at);
COMMENT ON TABLE mc.event_histo IS 'Archived events of every execution instance, both queues';

CREATE TABLE mc.broadlog_event_histo (
  event_id bigint PRIMARY KEY,
  instance_id smallint NOT NULL,
  queue text NOT NULL CHECK (queue IN ('rt', 'batch')),
  status mc.delivery_status NOT NULL,
  channel mc.channel NOT NULL,
  template_name text,
  delivery_month date,
  attempts integer NOT NULL,
  created_at timestamptz NOT NULL,
  last_modified_at timestamptz NOT NULL,
  address text NOT NULL,
  sender text,
  subject text,
  body_html text,
  body_text text,
  push_data text,
  webhook_url text,
  failure_reason text,
  archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broadlog_event_histo_created_at ON mc.broadlog_event_histo (created_at);
COMMENT ON TABLE mc.broadlog_event_histo IS 'Archived delivery logs of every execution instance';

CREATE TABLE mc.archive_state (
  instance_name text PRIMARY KEY REFERENCES mc.execution_instance (name) ON DELETE CASCADE,
  watermark timestamptz NOT NULL DEFAULT '-infinity',
  runs bigint NOT NULL DEFAULT 0,
  last_run_at timestamptz,
  last_events bigint,
  last_logs bigint,
  last_quarantine bigint,
  last_error text,
  last_error_at timestamptz
);
COMMENT ON TABLE mc.archive_state IS 'How far archiving has got on each execution instance';

-- The instance's horizon (mc.archive_horizon there). Call it in a transaction that has not
-- read from the instance yet: postgres_fdw keeps one remote transaction per local one.
CREATE FUNCTION mc.archive_horizon(instance_name text) RETURNS timestamptz
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  h timestamptz;
BEGIN
  EXECUTE format('SELECT horizon FROM %I.archive_horizon', i.foreign_schema) INTO h;
  RETURN h;
END $$;
REVOKE ALL ON FUNCTION mc.archive_horizon(text) FROM PUBLIC;

-- One archiving pass over an instance, up to horizon (from mc.archive_horizon, read in an
-- earlier transaction). Concurrent passes over the same instance run one after the other.
CREATE FUNCTION mc.archive_instance(instance_name text, horizon timestamptz)
  RETURNS TABLE (events bigint, delivery_logs bigint, quarantined bigint)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  st mc.archive_state;
BEGIN
  IF horizon IS NULL THEN
    RAISE EXCEPTION 'horizon must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO st FROM mc.archive_state s WHERE s.instance_name = i.name FOR UPDATE;
  EXECUTE format($sql$
    INSERT INTO mc.event_histo AS h (id, instance_id, queue, status, wished_channel, error_count,
      created_at, last_modified_at, scheduled_at, expires_at, processed_at, template_name,
      event_type, email, mobile_phone, external_id, origin, idempotency_key, language, country,
      last_error, ctx)
    SELECT f.id, $2, f.queue, f.status, f.wished_channel, f.error_count, f.created_at,
           f.last_modified_at, f.scheduled_at, f.expires_at, f.processed_at, f.template_name,
           f.event_type, f.email, f.mobile_phone, f.external_id, f.origin, f.idempotency_key,
           f.language, f.country, f.last_error, f.ctx
    FROM %I.archive_event_feed f
    WHERE f.processed_at >= $1
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, error_count = excluded.error_count,
      last_modified_at = excluded.last_modified_at, processed_at = excluded.processed_at,
      template_name = excluded.template_name, last_error = excluded.last_error,
      archived_at = now()
    WHERE (h.status, h.last_modified_at) IS DISTINCT FROM (excluded.status, excluded.last_modified_at)
    $sql$, i.foreign_schema)
    USING st.watermark, i.instance_id;
  GET DIAGNOSTICS events = ROW_COUNT;

  -- Delivery logs changed since the watermark, and the outcome they carry onto the archived
  -- events (a bounce after "sent" turns the event to delivery_failed).
  EXECUTE format($sql$
    WITH pulled AS (
      INSERT INTO mc.broadlog_event_histo AS h (event_id, instance_id, queue, status, channel,
        template_name, delivery_month, attempts, created_at, last_modified_at, address, sender,
        subject, body_html, body_text, push_data, webhook_url, failure_reason)
      SELECT l.event_id, $2, l.queue, l.status, l.channel, l.template_name, l.delivery_month,
             l.attempts, l.created_at, l.last_modified_at, l.address, l.sender, l.subject,
             l.body_html, l.body_text, l.push_data, l.webhook_url, l.failure_reason
      FROM %I.archive_log_feed l
      WHERE l.last_modified_at >= $1
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
    $sql$, i.foreign_schema)
    INTO delivery_logs USING st.watermark, i.instance_id;

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
      last_error = NULL, last_error_at = NULL
  WHERE s.instance_name = i.name;
  RETURN NEXT;
END $$;
REVOKE ALL ON FUNCTION mc.archive_instance(text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION mc.archive_instance(text, timestamptz) IS 'One archiving pass over an execution instance, up to a horizon';

-- Tells the instance how far its archive has got (the watermark of the last committed run),
-- so that its cleanup never purges what this archive has not taken. postgres_fdw has no
-- ON CONFLICT DO UPDATE: update, else insert; runs are serialised by the archive_state lock.
CREATE FUNCTION mc._advance_archive_cursor(instance_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  w timestamptz;
  updated bigint;
BEGIN
  SELECT s.watermark INTO w FROM mc.archive_state s WHERE s.instance_name = i.name FOR UPDATE;
  EXECUTE format('UPDATE %I.archive_cursor SET archived_through = $2, updated_at = now() WHERE archive = $1',
                 i.foreign_schema) USING mc._archive_name(), w;
  GET DIAGNOSTICS updated = ROW_COUNT;  -- (EXECUTE does not set FOUND)
  IF updated = 0 THEN
    EXECUTE format('INSERT INTO %I.archive_cursor (archive, archived_through, updated_at) VALUES ($1, $2, now())',
                   i.foreign_schema) USING mc._archive_name(), w;
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc._advance_archive_cursor(text) FROM PUBLIC;

-- What the mcSynch_<name> job runs: pending publications, then one archiving pass, each step
-- in its own transaction. A failed pass is recorded in mc.archive_state and raised again, so
-- that pg_cron's run history shows it too.
-- (No SET clause: a procedure with one cannot COMMIT. Every name is qualified.)
CREATE PROCEDURE mc.synchronize_instance(instance_name text)
  LANGUAGE plpgsql AS $$
DECLARE
  h timestamptz;
  failure text;
  failure_state text;
BEGIN
  PERFORM mc._execution_instance(instance_name);
  -- (retry_publications keeps an unreachable instance's publications pending itself.)
  PERFORM mc.retry_publications(instance_name);
  COMMIT;
  BEGIN
    h := mc.archive_horizon(instance_name);
  EXCEPTION WHEN OTHERS THEN
    failure := SQLERRM;
    failure_state := SQLSTATE;
  END;
  COMMIT;
  IF failure IS NULL THEN
    BEGIN
      PERFORM mc.archive_instance(instance_name, h);
    EXCEPTION WHEN OTHERS THEN
      failure := SQLERRM;
      failure_state := SQLSTATE;
    END;
  END IF;
  IF failure IS NOT NULL THEN
    -- A fresh transaction: when the instance died mid-pass, postgres_fdw refuses to commit the
    -- one that used its connection ("cannot be used due to abort cleanup failure").
    ROLLBACK;
    UPDATE mc.archive_state s SET last_error = failure, last_error_at = pg_catalog.now()
    WHERE s.instance_name = synchronize_instance.instance_name;
    COMMIT;
    RAISE EXCEPTION 'archiving execution instance "%" failed: %', instance_name, failure
      USING ERRCODE = failure_state;
  END IF;
  COMMIT;
  BEGIN
    PERFORM mc._advance_archive_cursor(instance_name);
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'execution instance "%": archive cursor not advanced: %', instance_name, SQLERRM;
  END;
  COMMIT;
END $$;
REVOKE ALL ON PROCEDURE mc.synchronize_instance(text) FROM PUBLIC;

-- Creates (or reschedules) and starts the archiving job mcSynch_<name>; hourly by default.
CREATE FUNCTION mc.create_archiving_workflow(name text, schedule text DEFAULT '0 * * * *')
  RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance($1);
  job bigint;
BEGIN
  PERFORM mc._require_pg_cron();
  IF schedule IS NULL THEN
    RAISE EXCEPTION 'schedule must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)' INTO job
    USING 'mcSynch_' || i.name, schedule,
          format('CALL mc.synchronize_instance(%L)', i.name), current_database();
  RETURN job;
END $$;
REVOKE ALL ON FUNCTION mc.create_archiving_workflow(text, text) FROM PUBLIC;
COMMENT ON FUNCTION mc.create_archiving_workflow(text, text) IS 'Creates and starts the pg_cron job mcSynch_<name> archiving an execution instance';

CREATE FUNCTION mc.drop_archiving_workflow(name text, if_exists boolean DEFAULT false)
  RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  job text := 'mcSynch_' || $1;
BEGIN
  IF to_regclass('cron.job') IS NOT NULL THEN
    EXECUTE 'SELECT jobname FROM cron.job WHERE jobname = $1 AND database = current_database()'
      INTO job USING job;
    IF job IS NOT NULL THEN
      EXECUTE 'SELECT cron.unschedule($1)' USING job;
      RETURN;
    END IF;
  END IF;
  IF NOT if_exists THEN
    RAISE EXCEPTION 'no archiving workflow for execution instance "%"', $1
      USING ERRCODE = 'undefined_object';
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc.drop_archiving_workflow(text, boolean) FROM PUBLIC;
