-- Retention and purge (mcCleanup), and what the archive of a control instance needs on an
-- execution instance: a way to find what changed since its last run, and where it has got to.

-- Processed events by the time they left the queue: what archiving pulls (since its watermark)
-- and what mcCleanup purges (before the retention). A btree, not BRIN: once retention applies,
-- purged space is reused and every block range mixes old and new rows, so a BRIN index would
-- match every block (bench/bloat measured it on created_at). It costs one index entry per event,
-- added by the update that sets processed_at, which is not HOT anyway (the event leaves the
-- queue index); later status updates leave processed_at alone and stay HOT. Pending events
-- have no entry.
CREATE INDEX rt_event_processed_at ON mc.rt_event (processed_at) WHERE processed_at IS NOT NULL;
CREATE INDEX batch_event_processed_at ON mc.batch_event (processed_at) WHERE processed_at IS NOT NULL;

-- Written by each control instance that archives this one (through postgres_fdw), after its
-- run has committed: everything processed or modified before archived_through is in its
-- archive, so mcCleanup may purge it.
CREATE TABLE mc.archive_cursor (
  archive text PRIMARY KEY,
  archived_through timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mc.archive_cursor IS 'How far each archiving control instance has taken this instance''s rows';

-- Which database this is, across clusters: a control instance recognises itself when it
-- registers its own database as an execution instance.
CREATE FUNCTION mc._database_identity() RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' || current_database() $$;

-- Where a reader may safely resume: no transaction still running began before it, so no row
-- it has not seen can carry an earlier timestamp (every writer stamps rows with its start
-- time or later). Read through postgres_fdw by archiving, in a transaction of its own.
CREATE VIEW mc.archive_horizon AS
  SELECT LEAST(pg_catalog.clock_timestamp(),
           (SELECT pg_catalog.min(a.xact_start) FROM pg_catalog.pg_stat_activity a
            WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid()
              AND a.datname = pg_catalog.current_database())) AS horizon,
         mc._database_identity() AS database_identity;
COMMENT ON VIEW mc.archive_horizon IS 'Safe resume point for incremental readers of this instance';

-- One bounded batch of purging per table: events processed longer ago than their retention
-- (never pending ones), delivery logs and archives not modified for theirs, and never what an
-- archive registered here (mc.archive_cursor) has not taken yet. Each reads an index range of
-- exactly the expired rows (processed_at, last_modified_at, created_at). Returns what it
-- deleted; mc.cleanup() calls it until a batch comes back short.
CREATE FUNCTION mc.purge_expired(max_rows integer DEFAULT 10000)
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

-- mcCleanup: purges in short transactions (a batch each, committed), so no lock is held for
-- long and autovacuum can hand the space to new rows while the purge goes on. Stops when every
-- table's batch came back short: under steady intake there is always a little more, which the
-- next run (a minute later) takes.
-- (No SET clause: a procedure with one cannot COMMIT. Every name is qualified.)
CREATE PROCEDURE mc.cleanup(batch_rows integer DEFAULT 10000, run_for interval DEFAULT '5 minutes')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() + run_for;
  deleted bigint;  -- the most any table gave in the last batch
BEGIN
  LOOP
    SELECT pg_catalog.max(p.purged) INTO deleted FROM mc.purge_expired(batch_rows) p;
    COMMIT;
    EXIT WHEN deleted < batch_rows OR pg_catalog.clock_timestamp() >= stop_at;
  END LOOP;
END $$;
REVOKE ALL ON PROCEDURE mc.cleanup(integer, interval) FROM PUBLIC;
COMMENT ON PROCEDURE mc.cleanup(integer, interval) IS 'mcCleanup: purges past-retention rows in short batches';
