-- Each workflow's job, schedule and last run, read from pg_cron (empty without pg_cron).
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
