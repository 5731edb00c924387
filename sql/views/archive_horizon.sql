-- Where a reader may safely resume: no transaction still running began before it, so no row
-- it has not seen can carry an earlier timestamp (every writer stamps rows with its start
-- time or later). Read through postgres_fdw by archiving, in a transaction of its own.
CREATE VIEW mc.archive_horizon AS
  SELECT LEAST(pg_catalog.clock_timestamp(),
           (SELECT pg_catalog.min(a.xact_start) FROM pg_catalog.pg_stat_activity a
            WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid()
              AND a.datname = pg_catalog.current_database())) AS horizon,
         mc._database_identity() AS database_identity;
COMMENT ON VIEW mc.archive_horizon IS 'Safe resume point for incremental readers of this instance';
GRANT SELECT ON mc.archive_horizon TO mc_control_agent;
