-- The pg_cron jobs of an instance, with mcCleanup and the publication retry of a control
-- instance added. The archiving jobs (mcSynch_<name>) have their own functions and show in
-- mc.workflow_status too.
CREATE OR REPLACE FUNCTION mc._workflow_jobs() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['rtEventsProcessing', 'batchEventsProcessing', 'updateEventsStatus', 'mcCleanup',
               'mcPublicationRetry', 'mcCronHistoryPurge']
$$;

CREATE OR REPLACE FUNCTION mc.start_workflows() RETURNS SETOF text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  job record;
BEGIN
  PERFORM mc._require_pg_cron();
  FOR job IN SELECT * FROM (VALUES
      ('rtEventsProcessing', '* * * * *', 'CALL mc.rt_events_loop()'),
      ('batchEventsProcessing', '* * * * *', 'CALL mc.batch_events_loop()'),
      ('updateEventsStatus', '* * * * *', 'SELECT mc.update_events_status()'),
      -- Small batches often: space freed by a purge is reused before the table grows.
      ('mcCleanup', '* * * * *', 'CALL mc.cleanup()'),
      -- A control instance: publications an execution instance missed while it was down.
      ('mcPublicationRetry', '* * * * *', 'SELECT mc.retry_publications()'),
      -- pg_cron never purges its run history: a row per run, ~7,000 a day here.
      ('mcCronHistoryPurge', '17 * * * *',
       $q$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '3 days'
            AND jobid IN (SELECT jobid FROM cron.job WHERE jobname = ANY (mc._workflow_jobs())
                          OR jobname LIKE 'mcSynch\_%')$q$)
    ) AS j (name, schedule, command)
  LOOP
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
      USING job.name, job.schedule, job.command, current_database();
    RETURN NEXT job.name;
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION mc._workflow_status()
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
    WHERE j.database = current_database()
      AND (j.jobname = ANY (mc._workflow_jobs()) OR j.jobname LIKE 'mcSynch\_%')
    ORDER BY j.jobname$q$;
END $$;
