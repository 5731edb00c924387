-- mc_control_agent: what the user a control instance connects as (its user mapping) needs on
-- an execution instance, and nothing more: read the archive feeds and quarantine, move its
-- archive cursor, drop publications into the inbox.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'mc_control_agent') THEN
    CREATE ROLE mc_control_agent NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA mc TO mc_control_agent;
GRANT SELECT ON mc.settings, mc.quarantine, mc.archive_horizon, mc.archive_event_feed,
  mc.archive_log_feed TO mc_control_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON mc.archive_cursor TO mc_control_agent;
GRANT INSERT ON mc.publication_inbox TO mc_control_agent;

-- Status readers also read the reports of a control instance.
GRANT SELECT ON mc.event_history, mc.service_level, mc.execution_instance_status,
  mc.publication_status TO mc_status_reader;
