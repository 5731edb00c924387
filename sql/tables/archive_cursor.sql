-- Written by each control instance that archives this one (through postgres_fdw), after its
-- run has committed: everything processed or modified before archived_through is in its
-- archive, so mcCleanup may purge it.
CREATE TABLE mc.archive_cursor (
  archive text PRIMARY KEY,
  archived_through timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.archive_cursor IS 'How far each archiving control instance has taken this instance''s rows';
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.archive_cursor TO mc_control_agent;
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.archive_cursor', '');
