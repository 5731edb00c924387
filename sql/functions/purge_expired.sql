-- One bounded batch of purging per table: events processed longer ago than their retention
-- (never pending ones), delivery logs and archives not modified for theirs, and never what an
-- archive registered here (mc.archive_cursor) has not taken yet. Each reads an index range of
-- exactly the expired rows (processed_at, last_modified_at, created_at). Returns what it
-- deleted; mc.cleanup() calls it until a batch comes back short.
CREATE OR REPLACE FUNCTION mc.purge_expired(max_rows integer DEFAULT 10000)
  RETURNS TABLE (relation text, purged bigint)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s mc.settings;
  archived timestamptz;
  key text;
  expired text;
BEGIN
  IF max_rows IS NULL OR max_rows < 1 THEN
    RAISE EXCEPTION 'max_rows must be a positive integer, got %', max_rows
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO s FROM mc.settings;
  -- No archive registered: retention alone decides.
  SELECT coalesce(min(c.archived_through), 'infinity') INTO archived FROM mc.archive_cursor c;

  -- Per table: its key, and which rows are past retention and safe to purge. Batches of ids
  -- (not one DELETE of everything) keep each transaction short.
  FOR relation, key, expired IN VALUES
    -- ($1 event, $2 delivery log, $3 archive retention; $4 what the archives have taken)
    ('mc.rt_event', 'id', 'processed_at < LEAST(now() - $1, $4) AND last_modified_at < $4'),
    ('mc.batch_event', 'id', 'processed_at < LEAST(now() - $1, $4) AND last_modified_at < $4'),
    ('mc.delivery_log', 'event_id', 'last_modified_at < LEAST(now() - $2, $4)'),
    -- The archives of a control instance (empty elsewhere).
    ('mc.event_histo', 'id', 'created_at < now() - $3'),
    ('mc.broadlog_event_histo', 'event_id', 'created_at < now() - $3')
  LOOP
    EXECUTE format('DELETE FROM %s WHERE %I = ANY (ARRAY(SELECT %I FROM %s WHERE %s LIMIT $5))',
                   relation, key, key, relation, expired)
      USING s.event_retention, s.delivery_log_retention, s.archive_retention, archived, max_rows;
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN NEXT;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION mc.purge_expired(integer) FROM PUBLIC;
COMMENT ON FUNCTION mc.purge_expired(integer) IS 'Purges one batch of rows past their retention per table';
