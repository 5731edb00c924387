-- The safe resume point of this instance for incremental readers (mc._local_archive_horizon),
-- and which database this is. Read through postgres_fdw by archiving, in a transaction of its own.
CREATE OR REPLACE VIEW mc.archive_horizon AS
  SELECT mc._local_archive_horizon() AS horizon, mc._database_identity() AS database_identity;
COMMENT ON VIEW mc.archive_horizon IS 'Safe resume point for incremental readers of this instance';
GRANT SELECT ON mc.archive_horizon TO mc_control_agent;
