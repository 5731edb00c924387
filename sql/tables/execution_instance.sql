-- Control instance: the execution instances it publishes to and archives (spec section 6),
-- each reached through a postgres_fdw server, a user mapping and a schema of foreign tables.
-- No credentials here: they live in the user mapping, which only the mapped user and
-- superusers can read (pg_user_mappings).
CREATE TABLE mc.execution_instance (
  name text PRIMARY KEY CONSTRAINT execution_instance_name_syntax CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
  instance_id smallint NOT NULL UNIQUE CHECK (instance_id BETWEEN 0 AND 255),
  server_name name NOT NULL UNIQUE,
  foreign_schema name NOT NULL UNIQUE,
  -- This very database (minimal architecture, archiving itself): publication skips it, the
  -- templates are already here (and pushing to itself would wait on its own locks).
  is_local boolean NOT NULL DEFAULT false,
  registered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.execution_instance IS 'Execution instances of this control instance (through postgres_fdw)';
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.execution_instance', '');
