-- The technical workflows of an execution instance (spec section 4), as plain functions that a
-- test or an operator can call, and as pg_cron jobs.

-- Takes due pending events of a queue and turns each into one rendered message. Returns the
-- number of events handled (routed, refused, retried or expired).
CREATE FUNCTION mc.rt_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_rt_events_processing';
CREATE FUNCTION mc.batch_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_batch_events_processing';

-- Where the status copy has got to: rows of mc.delivery_log modified before the watermark have
-- been copied onto their events.
CREATE TABLE mc.workflow_state (
  workflow text PRIMARY KEY,
  watermark timestamptz NOT NULL DEFAULT '-infinity',
  last_run_at timestamptz,
  last_handled bigint
);
INSERT INTO mc.workflow_state (workflow) VALUES ('updateEventsStatus');

-- Copies sent / ignored / failed from the delivery log onto the events, incrementally.
CREATE FUNCTION mc.update_events_status() RETURNS bigint
  LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'mc_update_events_status';

-- The rt job: keeps processing, committing every batch and polling every millisecond when idle,
-- until just after the next minute, when pg_cron starts the next run (pg_cron queues a run
-- whose previous one is still going, so the handover leaves no gap). Real-time latency is
-- milliseconds, not the minute of a cron line.
-- (No SET search_path clause: a procedure with one cannot COMMIT. Every name is qualified.)
CREATE PROCEDURE mc.rt_events_loop(run_for interval DEFAULT NULL)
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := coalesce(pg_catalog.clock_timestamp() + run_for,
    pg_catalog.date_trunc('minute', pg_catalog.clock_timestamp()) + interval '61 seconds');
  handled bigint;
BEGIN
  LOOP
    handled := mc.rt_events_processing();
    COMMIT;
    EXIT WHEN pg_catalog.clock_timestamp() >= stop_at;
    IF handled = 0 THEN
      PERFORM pg_catalog.pg_sleep(0.001);
    END IF;
  END LOOP;
END $$;

-- The batch job: drains the batch queue a batch per transaction, for at most a minute.
CREATE PROCEDURE mc.batch_events_loop(run_for interval DEFAULT '55 seconds')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() + run_for;
BEGIN
  LOOP
    EXIT WHEN mc.batch_events_processing() = 0;
    COMMIT;
    EXIT WHEN pg_catalog.clock_timestamp() >= stop_at;
  END LOOP;
END $$;

-- The pg_cron jobs of the workflows, by name.
CREATE FUNCTION mc._workflow_jobs() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['rtEventsProcessing', 'batchEventsProcessing', 'updateEventsStatus', 'mcCronHistoryPurge']
$$;

CREATE FUNCTION mc._require_pg_cron() RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (SELECT 'pg_cron' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))) THEN
    RAISE EXCEPTION 'pg_cron is not preloaded'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Add pg_cron to shared_preload_libraries in postgresql.conf and restart PostgreSQL.';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Set cron.database_name to this database and run CREATE EXTENSION pg_cron.';
  END IF;
END $$;

-- Creates (or re-creates) the pg_cron jobs of this execution instance.
CREATE FUNCTION mc.start_workflows() RETURNS SETOF text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  job record;
BEGIN
  PERFORM mc._require_pg_cron();
  FOR job IN SELECT * FROM (VALUES
      ('rtEventsProcessing', '* * * * *', 'CALL mc.rt_events_loop()'),
      ('batchEventsProcessing', '* * * * *', 'CALL mc.batch_events_loop()'),
      ('updateEventsStatus', '* * * * *', 'SELECT mc.update_events_status()'),
      -- pg_cron never purges its run history: a row per run, ~5,000 a day here.
      ('mcCronHistoryPurge', '17 * * * *',
       $q$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '3 days'
            AND jobid IN (SELECT jobid FROM cron.job WHERE jobname = ANY (mc._workflow_jobs()))$q$)
    ) AS j (name, schedule, command)
  LOOP
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
      USING job.name, job.schedule, job.command, current_database();
    RETURN NEXT job.name;
  END LOOP;
END $$;

-- Removes the jobs. A running rt loop finishes its current minute.
CREATE FUNCTION mc.stop_workflows() RETURNS SETOF text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  name text;
BEGIN
  PERFORM mc._require_pg_cron();
  FOR name IN EXECUTE $q$SELECT jobname FROM cron.job WHERE database = current_database()
      AND jobname = ANY (mc._workflow_jobs())$q$
  LOOP
    EXECUTE 'SELECT cron.unschedule($1)' USING name;
    RETURN NEXT name;
  END LOOP;
END $$;

-- Each workflow's job, schedule and last run, read from pg_cron (empty without pg_cron).
CREATE FUNCTION mc._workflow_status()
  RETURNS TABLE (workflow text, schedule text, active boolean, last_start timestamptz,
                 last_end timestamptz, last_status text, last_message text)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF to_regclass('cron.job') IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE $q$
    SELECT j.jobname::text, j.schedule::text, j.active, d.start_time, d.end_time, d.status::text,
           d.return_message::text
    FROM cron.job j
    LEFT JOIN LATERAL (SELECT r.start_time, r.end_time, r.status, r.return_message
                       FROM cron.job_run_details r WHERE r.jobid = j.jobid
                       ORDER BY r.runid DESC LIMIT 1) d ON true
    WHERE j.database = current_database() AND j.jobname = ANY (mc._workflow_jobs())
    ORDER BY j.jobname$q$;
END $$;
CREATE VIEW mc.workflow_status AS SELECT * FROM mc._workflow_status();
COMMENT ON VIEW mc.workflow_status IS 'pg_cron jobs of the workflows and their last run';

REVOKE ALL ON FUNCTION mc.rt_events_processing(integer), mc.batch_events_processing(integer),
  mc.update_events_status(), mc.start_workflows(), mc.stop_workflows() FROM PUBLIC;
REVOKE ALL ON PROCEDURE mc.rt_events_loop(interval), mc.batch_events_loop(interval) FROM PUBLIC;
