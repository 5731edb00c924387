CREATE OR REPLACE FUNCTION mc._require_pg_cron() RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (SELECT 'pg_cron' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))) THEN
    RAISE EXCEPTION 'pg_cron is not preloaded'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Add pg_cron to shared_preload_libraries in postgresql.conf and restart PostgreSQL.';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Set cron.database_name to this database and run CREATE EXTENSION pg_cron.';
  END IF;
END $$;
