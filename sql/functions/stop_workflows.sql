-- Removes the jobs. A running rt loop finishes its current minute.
CREATE OR REPLACE FUNCTION mc.stop_workflows() RETURNS SETOF text
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
REVOKE ALL ON FUNCTION mc.stop_workflows() FROM PUBLIC;
