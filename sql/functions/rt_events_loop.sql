-- The rt job: keeps processing, committing every batch and polling every millisecond when idle,
-- until just after the next minute, when pg_cron starts the next run (pg_cron queues a run
-- whose previous one is still going, so the handover leaves no gap). Real-time latency is
-- milliseconds, not the minute of a cron line.
-- (No SET search_path clause: a procedure with one cannot COMMIT. Every name and operator is
-- qualified, so no schema on the caller's search path can capture one.)
CREATE OR REPLACE PROCEDURE mc.rt_events_loop(run_for interval DEFAULT NULL)
  LANGUAGE plpgsql AS $$
DECLARE
  stop_at constant timestamptz := coalesce(pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) run_for,
    pg_catalog.date_trunc('minute', pg_catalog.clock_timestamp()) OPERATOR(pg_catalog.+) interval '61 seconds');
  handled bigint;
BEGIN
  LOOP
    handled := mc.rt_events_processing();
    COMMIT;
    EXIT WHEN pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>=) stop_at;
    IF handled OPERATOR(pg_catalog.=) 0 THEN
      PERFORM pg_catalog.pg_sleep(0.001);
    END IF;
  END LOOP;
END $$;
REVOKE ALL ON PROCEDURE mc.rt_events_loop(interval) FROM PUBLIC;
