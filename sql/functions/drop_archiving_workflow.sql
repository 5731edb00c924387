CREATE OR REPLACE FUNCTION mc.drop_archiving_workflow(name text, if_exists boolean DEFAULT false)
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
