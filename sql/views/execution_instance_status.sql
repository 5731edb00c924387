-- Each execution instance and how its archiving and publication stand.
CREATE OR REPLACE VIEW mc.execution_instance_status AS
  SELECT i.name, i.instance_id, i.server_name, i.is_local, i.registered_at, s.watermark AS archived_through,
         s.runs AS archive_runs, s.last_run_at, s.last_events, s.last_logs, s.last_error,
         s.last_error_at,
         (SELECT count(*) FROM mc.instance_publication p
          WHERE p.instance_name = i.name AND p.status = 'pending') AS pending_publications
  FROM mc.execution_instance i LEFT JOIN mc.archive_state s ON s.instance_name = i.name;
COMMENT ON VIEW mc.execution_instance_status IS 'Execution instances, their archiving and pending publications';
GRANT SELECT ON mc.execution_instance_status TO mc_status_reader;
