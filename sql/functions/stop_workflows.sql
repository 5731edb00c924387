-- Removes the jobs and stops the sender workers for good. A running rt loop finishes its
-- current minute; a sender worker records what it has in flight, then exits.
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
  PERFORM mc._stop_senders();
END $$;
REVOKE ALL ON FUNCTION mc.stop_workflows() FROM PUBLIC;
