-- The sender workers wanted (one row per slot, 1..mc.settings.sender_workers) and the process
-- running each. A worker whose row is gone exits 0 (for good); one that finds another live
-- process on its slot exits 0 too. run_token is the lease token of everything the slot's
-- current run claimed: a new run releases the leases of the run before it (a killed worker's
-- messages are sent again at once, not after the lease). Processing's commit wakes the pids
-- listed here (SetLatch).
CREATE TABLE mc.sender_worker (
  slot integer PRIMARY KEY CHECK (slot BETWEEN 1 AND 64),
  pid integer,
  run_token uuid,
  started_at timestamptz,
  heartbeat_at timestamptz
);
COMMENT ON TABLE mc.sender_worker IS 'Sender worker slots and their processes (mc.start_workflows / mc.stop_workflows)';
