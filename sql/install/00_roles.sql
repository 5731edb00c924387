-- Four roles, created once per cluster (roles are not database objects, so DROP EXTENSION
-- leaves them). Grant them to login roles: GRANT mc_event_writer TO app;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['mc_event_writer', 'mc_status_reader', 'mc_template_manager', 'mc_delivery_agent'] LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;
