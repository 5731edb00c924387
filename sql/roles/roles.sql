-- Six roles, created once per cluster (roles are not database objects, so DROP EXTENSION
-- leaves them). Grant them to login roles: GRANT mc_event_writer TO app; what each may do is
-- granted beside each object, and summed up in the README.
--   mc_event_writer      pushes events (functions, INSERT, COPY)
--   mc_status_reader     reads the status views and reports
--   mc_template_manager  writes templates and publishes them
--   mc_delivery_agent    an external sender: claims messages and reports outcomes
--   mc_control_agent     what a control instance connects as (its user mapping) on an execution
--                        instance: reads the archive feeds, moves its cursor, drops publications
--   mc_gateway           mc-gateway's login: maps API tokens to roles, unsubscribes
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['mc_event_writer', 'mc_status_reader', 'mc_template_manager', 'mc_delivery_agent',
                           'mc_control_agent', 'mc_gateway'] LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;
