-- Removes an execution instance: its archiving job, foreign tables, mappings and server, and
-- its cursor on the instance (so that its cleanup no longer waits for this archive). What was
-- archived stays.
CREATE OR REPLACE FUNCTION mc.unregister_execution_instance(name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance($1);
BEGIN
  PERFORM mc.drop_archiving_workflow(i.name, if_exists => true);
  BEGIN
    EXECUTE format('DELETE FROM %I.archive_cursor WHERE archive = $1', i.foreign_schema)
      USING mc._archive_name();
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'could not remove the archive cursor on execution instance "%": %', i.name, SQLERRM
      USING HINT = 'Delete its row from mc.archive_cursor there, or its cleanup keeps waiting for this archive.';
  END;
  EXECUTE format('DROP SCHEMA %I CASCADE', i.foreign_schema);
  EXECUTE format('DROP SERVER %I CASCADE', i.server_name);
  DELETE FROM mc.execution_instance e WHERE e.name = i.name;
END $$;
REVOKE ALL ON FUNCTION mc.unregister_execution_instance(text) FROM PUBLIC;
