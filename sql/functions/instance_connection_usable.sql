-- An execution instance whose connection breaks in the middle of a push (the instance dies,
-- the network drops): postgres_fdw cannot roll back that remote subtransaction, and then
-- refuses to commit the local transaction at all (reconnecting would lose the remote writes it
-- made; "connection ... cannot be used due to abort cleanup failure"). The publish call used
-- to fail only at commit, by which time postgres_fdw may have committed other instances'
-- remote transactions. Now the push notices it at once and fails the call before anything
-- commits, anywhere: all or nothing, and a clear error naming the instance. (An instance that
-- cannot be reached at all still only stays pending: no connection, nothing to lose.)

-- Whether this transaction can still use its connection to an instance.
CREATE OR REPLACE FUNCTION mc._instance_connection_usable(instance_name text) RETURNS boolean
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
BEGIN
  EXECUTE format('SELECT FROM %I.settings LIMIT 1', i.foreign_schema);
  RETURN true;
EXCEPTION WHEN OTHERS THEN
  RETURN false;
END $$;
REVOKE ALL ON FUNCTION mc._instance_connection_usable(text) FROM PUBLIC;
