-- mcCleanup: purges in short transactions (a batch each, committed), so no lock is held for
-- long and autovacuum can hand the space to new rows while the purge goes on. Stops when every
-- table's batch came back short: under steady intake there is always a little more, which the
-- next run (a minute later) takes.
-- (No SET clause: a procedure with one cannot COMMIT. Every name and operator is qualified.)
CREATE OR REPLACE PROCEDURE mc.cleanup(batch_rows integer DEFAULT 10000, run_for interval DEFAULT '5 minutes')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) run_for;
  deleted bigint;  -- the most any table gave in the last batch
BEGIN
  LOOP
    SELECT pg_catalog.max(p.purged) INTO deleted FROM mc.purge_expired(batch_rows) p;
    COMMIT;
    EXIT WHEN deleted OPERATOR(pg_catalog.<) batch_rows
      OR pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>=) stop_at;
  END LOOP;
END $$;
REVOKE ALL ON PROCEDURE mc.cleanup(integer, interval) FROM PUBLIC;
COMMENT ON PROCEDURE mc.cleanup(integer, interval) IS 'mcCleanup: purges past-retention rows in short batches';
