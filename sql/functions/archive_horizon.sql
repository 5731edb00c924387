-- The instance's horizon (mc.archive_horizon there). Call it in a transaction that has not
-- read from the instance yet: postgres_fdw keeps one remote transaction per local one.
CREATE OR REPLACE FUNCTION mc.archive_horizon(instance_name text) RETURNS timestamptz
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  h timestamptz;
BEGIN
  EXECUTE format('SELECT horizon FROM %I.archive_horizon', i.foreign_schema) INTO h;
  RETURN h;
END $$;
REVOKE ALL ON FUNCTION mc.archive_horizon(text) FROM PUBLIC;
