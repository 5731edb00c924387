-- Tells the instance how far its archive has got (the watermark of the last committed run),
-- so that its cleanup never purges what this archive has not taken. postgres_fdw has no
-- ON CONFLICT DO UPDATE: update, else insert; runs are serialised by the archive_state lock.
CREATE OR REPLACE FUNCTION mc._advance_archive_cursor(instance_name text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  i mc.execution_instance := mc._execution_instance(instance_name);
  w timestamptz;
  updated bigint;
BEGIN
  SELECT s.watermark INTO w FROM mc.archive_state s WHERE s.instance_name = i.name FOR UPDATE;
  EXECUTE format('UPDATE %I.archive_cursor SET archived_through = $2, updated_at = now() WHERE archive = $1',
                 i.foreign_schema) USING mc._archive_name(), w;
  GET DIAGNOSTICS updated = ROW_COUNT;  -- (EXECUTE does not set FOUND)
  IF updated = 0 THEN
    EXECUTE format('INSERT INTO %I.archive_cursor (archive, archived_through, updated_at) VALUES ($1, $2, now())',
                   i.foreign_schema) USING mc._archive_name(), w;
  END IF;
END $$;
REVOKE ALL ON FUNCTION mc._advance_archive_cursor(text) FROM PUBLIC;
