-- message_center 0.4.0 -> 0.5.0. Hand-written DDL deltas, and "\ir <path>" lines that pull in
-- the current file of each changed function or view (sql/README.md says how).
-- test/e2e/upgrade.sh checks that the result equals a fresh install of 0.5.0.

-- The queue index: work queues are blocks of 128 consecutive ids ((id >> 7) & 7, was id & 7),
-- so that a batch reads neighbouring rows (src/core/work_queues.hpp). The claim statement of
-- 0.5.0 names the new expression; pending events are simply indexed again.
DROP INDEX mc.rt_event_queue;
CREATE INDEX rt_event_queue ON mc.rt_event
  (((id >> 7) & 7), (coalesce(process_requested_at, scheduled_at, created_at)), id)
  WHERE processed_at IS NULL;
DROP INDEX mc.batch_event_expr_coalesce_id_idx;
CREATE INDEX batch_event_expr_coalesce_id_idx ON mc.batch_event
  (((id >> 7) & 7), (coalesce(process_requested_at, scheduled_at, created_at)), id)
  WHERE processed_at IS NULL;
