-- Registers an execution instance: a postgres_fdw server from conninfo's host/port/dbname...,
-- a user mapping with its credentials (for the caller and for the extension owner, who runs
-- publication), and a schema mc_exec_<name> of foreign tables onto the instance's mc schema.
-- Checks that the instance answers, runs message_center and carries instance_id. All or
-- nothing: any refusal leaves no server, mapping or schema behind. The server, the schema and
-- its foreign tables then belong to the extension's owner, not to the caller: publication and
-- archiving (SECURITY DEFINER) write through them, and an owner could otherwise change what
-- they write to (ALTER FOREIGN TABLE ... OPTIONS, a trigger) and have the owner's code run it.
CREATE OR REPLACE FUNCTION mc.register_execution_instance(name text, instance_id integer, conninfo text)
  RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  instance_name constant text := $1;
  wanted_id constant integer := $2;
  server constant text := 'mc_exec_' || $1;
  foreign_schema constant text := 'mc_exec_' || $1;
  server_options text;
  mapping_options text;
  mapped_user text;
  remote_id integer;
  remote_identity text;
  reason text;
  owner_name name;
  foreign_table name;
BEGIN
  IF instance_name IS NULL OR instance_name !~ '^[a-z][a-z0-9_]{0,39}$' THEN
    RAISE EXCEPTION 'name must be 1 to 40 lower-case letters, digits or _, starting with a letter, not "%"', instance_name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF wanted_id IS NULL OR wanted_id NOT BETWEEN 0 AND 255 THEN
    RAISE EXCEPTION 'instance_id must be between 0 and 255, got %', wanted_id
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF conninfo IS NULL THEN
    RAISE EXCEPTION 'conninfo must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') THEN
    RAISE EXCEPTION 'postgres_fdw is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION postgres_fdw on the control instance.';
  END IF;
  IF EXISTS (SELECT FROM mc.execution_instance i WHERE i.name = instance_name) THEN
    RAISE EXCEPTION 'execution instance "%" is already registered', instance_name
      USING ERRCODE = 'duplicate_object';
  END IF;
  IF EXISTS (SELECT FROM mc.execution_instance i WHERE i.instance_id = wanted_id) THEN
    RAISE EXCEPTION 'instance_id % is already used by execution instance "%"', wanted_id,
      (SELECT i.name FROM mc.execution_instance i WHERE i.instance_id = wanted_id)
      USING ERRCODE = 'unique_violation';
  END IF;

  -- Defaults a remote archive wants, unless conninfo says otherwise: a bounded wait on a dead
  -- instance, large fetches, and a name in the instance's pg_stat_activity.
  WITH given AS (SELECT * FROM mc._conninfo_options(conninfo))
  SELECT string_agg(format('%I %L', o.keyword, o.value), ', ') FILTER (WHERE NOT o.user_mapping),
         string_agg(format('%I %L', o.keyword, o.value), ', ') FILTER (WHERE o.user_mapping)
  INTO server_options, mapping_options
  FROM (SELECT g.keyword, g.value, g.user_mapping FROM given g
        UNION ALL
        SELECT d.keyword, d.value, false FROM (VALUES ('connect_timeout', '10'), ('fetch_size', '10000'),
                                                      ('application_name', 'message_center control'))
                                              AS d (keyword, value)
        WHERE NOT EXISTS (SELECT FROM given g WHERE g.keyword = d.keyword)) o;

  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw%s', server,
                 coalesce(' OPTIONS (' || server_options || ')', ''));
  FOR mapped_user IN
    SELECT DISTINCT u FROM (VALUES (current_user::text),
      ((SELECT r.rolname::text FROM pg_extension x JOIN pg_roles r ON r.oid = x.extowner
        WHERE x.extname = 'message_center'))) AS m (u)
  LOOP
    EXECUTE format('CREATE USER MAPPING FOR %I SERVER %I%s', mapped_user, server,
                   coalesce(' OPTIONS (' || mapping_options || ')', ''));
  END LOOP;
  EXECUTE format('CREATE SCHEMA %I', foreign_schema);
  EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', foreign_schema);

  BEGIN
    EXECUTE format($q$IMPORT FOREIGN SCHEMA mc LIMIT TO (settings, quarantine, archive_cursor,
        archive_horizon, archive_event_feed, archive_log_feed, publication_inbox)
      FROM SERVER %I INTO %I$q$, server, foreign_schema);
    EXECUTE format('SELECT instance_id FROM %I.settings', foreign_schema) INTO remote_id;
    EXECUTE format('SELECT database_identity FROM %I.archive_horizon', foreign_schema) INTO remote_identity;
  EXCEPTION WHEN fdw_schema_not_found THEN
    RAISE EXCEPTION 'execution instance "%" does not run message_center (no schema mc there)', instance_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION message_center on it.';
  WHEN sqlclient_unable_to_establish_sqlconnection OR connection_exception
                 OR connection_failure OR invalid_authorization_specification
                 OR invalid_password OR fdw_unable_to_establish_connection THEN
    GET STACKED DIAGNOSTICS reason = PG_EXCEPTION_DETAIL;
    RAISE EXCEPTION 'cannot connect to execution instance "%": %', instance_name,
      coalesce(nullif(reason, ''), SQLERRM)
      USING ERRCODE = 'sqlclient_unable_to_establish_sqlconnection',
            HINT = 'Check conninfo (host, port, dbname, user, password) and that the instance is up.';
  END;
  -- IMPORT creates only what exists: a missing table means no (or an old) message_center.
  IF (SELECT count(*) FROM pg_class c WHERE c.relnamespace = foreign_schema::regnamespace) < 7 THEN
    RAISE EXCEPTION 'execution instance "%" does not run message_center 0.2.0 or later', instance_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Run CREATE EXTENSION message_center (or ALTER EXTENSION message_center UPDATE) on it.';
  END IF;
  IF remote_id IS DISTINCT FROM wanted_id THEN
    RAISE EXCEPTION 'instance_id % does not match execution instance "%", whose instance id is %',
      wanted_id, instance_name, remote_id
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Run SELECT mc.set_instance_id(%s) on the execution instance, or register it with instance_id %s.',
                          wanted_id, remote_id);
  END IF;

  SELECT r.rolname INTO owner_name FROM pg_extension x JOIN pg_roles r ON r.oid = x.extowner
  WHERE x.extname = 'message_center';
  EXECUTE format('ALTER SERVER %I OWNER TO %I', server, owner_name);
  EXECUTE format('ALTER SCHEMA %I OWNER TO %I', foreign_schema, owner_name);
  FOR foreign_table IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = foreign_schema::regnamespace LOOP
    EXECUTE format('ALTER FOREIGN TABLE %I.%I OWNER TO %I', foreign_schema, foreign_table, owner_name);
  END LOOP;

  INSERT INTO mc.execution_instance (name, instance_id, server_name, foreign_schema, is_local)
  VALUES (instance_name, wanted_id, server, foreign_schema, remote_identity = mc._database_identity());
  INSERT INTO mc.archive_state (instance_name) VALUES (instance_name);
  -- A new instance gets every template published so far.
  INSERT INTO mc.instance_publication (instance_name, template_name)
  SELECT instance_name, t.name FROM mc.template t
  WHERE EXISTS (SELECT FROM mc.published_template p WHERE p.template_id = t.id)
    AND remote_identity IS DISTINCT FROM mc._database_identity();
  PERFORM mc.retry_publications(instance_name);
END $$;
REVOKE ALL ON FUNCTION mc.register_execution_instance(text, integer, text) FROM PUBLIC;
COMMENT ON FUNCTION mc.register_execution_instance(text, integer, text) IS 'Registers an execution instance reached through postgres_fdw; checks its instance id';
