-- Throughput of the processing and status-copy workflows.

-- An event row is written three times: at intake, when processing moves it out of the queue,
-- and when the status copy brings its delivery outcome. Each update needs room for the new
-- version on the row's own page: processing's then stays on the page, and the status copy's,
-- which changes no indexed column, is HOT (no index entry, no page elsewhere). The status copy
-- updates every row of a page in the same transaction, whose old versions cannot be pruned
-- before it ends: a page must keep as much free as it holds. Under half full leaves that room
-- (at 85, five rows in six moved to a new page and were indexed again: half the speed).
-- Applies to pages written from now on.
ALTER TABLE mc.rt_event SET (fillfactor = 45);
ALTER TABLE mc.batch_event SET (fillfactor = 45);

-- A large copy hashes the changed delivery-log rows (a whole backlog's outcomes at once):
-- let the hash table stay in memory rather than spill to temporary files.
ALTER FUNCTION mc.update_events_status() SET work_mem = '64MB';

-- The batch job drains the queue until nothing is due. A call that found every work queue
-- with due events taken by other workers handles nothing: that is no reason to stop while
-- they still hold events, or a second worker quits as soon as it meets the first one's locks
-- and the backlog is drained by one.
CREATE OR REPLACE PROCEDURE mc.batch_events_loop(run_for interval DEFAULT '55 seconds')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() + run_for;
BEGIN
  LOOP
    IF mc.batch_events_processing() = 0 THEN
      EXIT WHEN NOT EXISTS (SELECT FROM mc.batch_event e WHERE e.processed_at IS NULL
        AND coalesce(e.process_requested_at, e.scheduled_at, e.created_at) <= pg_catalog.now());
      COMMIT;
      PERFORM pg_catalog.pg_sleep(0.001);
    ELSE
      COMMIT;
    END IF;
    EXIT WHEN pg_catalog.clock_timestamp() >= stop_at;
  END LOOP;
END $$;
