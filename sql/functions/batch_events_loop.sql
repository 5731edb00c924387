-- The batch job drains the queue until nothing is due. A call that found every work queue
-- with due events taken by other workers handles nothing: that is no reason to stop while
-- they still hold events, or a second worker quits as soon as it meets the first one's locks
-- and the backlog is drained by one.
-- (No SET clause: a procedure with one cannot COMMIT. Every name and operator is qualified.)
CREATE OR REPLACE PROCEDURE mc.batch_events_loop(run_for interval DEFAULT '55 seconds')
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) run_for;
BEGIN
  LOOP
    IF mc.batch_events_processing() OPERATOR(pg_catalog.=) 0 THEN
      EXIT WHEN NOT EXISTS (SELECT FROM mc.batch_event e WHERE e.processed_at IS NULL
        AND coalesce(e.process_requested_at, e.scheduled_at, e.created_at) OPERATOR(pg_catalog.<=) pg_catalog.now());
      COMMIT;
      PERFORM pg_catalog.pg_sleep(0.001);
    ELSE
      COMMIT;
    END IF;
    EXIT WHEN pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>=) stop_at;
  END LOOP;
END $$;
REVOKE ALL ON PROCEDURE mc.batch_events_loop(interval) FROM PUBLIC;
