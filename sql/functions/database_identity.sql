-- Which database this is, across clusters: a control instance recognises itself when it
-- registers its own database as an execution instance.
CREATE OR REPLACE FUNCTION mc._database_identity() RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' || current_database() $$;
