-- What the archive of this control instance is called on the execution instances
-- (mc.archive_cursor there).
CREATE OR REPLACE FUNCTION mc._archive_name() RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT 'control ' || current_database() || ' port ' || current_setting('port') $$;
