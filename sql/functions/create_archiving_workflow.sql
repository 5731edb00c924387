-- Creates (or reschedules) and starts the archiving job mcSynch_<name>; hourly by default.
CREATE OR REPLACE FUNCTION mc.create_archiving_workflow(name text, schedule text DEFAULT '0 * * * *')
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
