-- Creates (or re-creates) the pg_cron jobs of this execution instance and starts the sender
-- workers (mc.settings.sender_workers); the mcSenders job restarts any that is gone within a
-- minute.
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
                          OR jobname LIKE 'mcSynch\_%')$q$),
      -- The sender workers: a killed or crashed one is back within a minute.
      ('mcSenders', '* * * * *', 'SELECT mc._ensure_senders()')
    ) AS j (name, schedule, command)
  LOOP
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
      USING job.name, job.schedule, job.command, current_database();
    RETURN NEXT job.name;
  END LOOP;
  PERFORM mc._ensure_senders();
END $$;
REVOKE ALL ON FUNCTION mc.start_workflows() FROM PUBLIC;
