-- Archiving without ON CONFLICT for the rows the archive cannot hold yet. An upsert costs about
-- a third more than a plain insert (speculative insertion: a second index probe and one more
-- WAL record per row), and most rows of a pass are new: only those read again after the
-- previous pass's horizon, and delivery logs changed since they were archived, can be in the
-- archive already. How far the archive reaches on each instance, in the instance's own clock
-- (times taken from archived rows, never from the control's clock):
--   events_through: no archived event of the instance was processed after it;
--   logs_through: no archived delivery log of the instance was created after it.
-- A pass inserts the rows beyond them plainly and upserts the others. NULL: not known (an
-- archive from before 0.3.0): that pass upserts every row and learns the bounds.
CREATE TABLE mc.archive_state (
  instance_name text PRIMARY KEY REFERENCES mc.execution_instance (name) ON DELETE CASCADE,
  watermark timestamptz NOT NULL DEFAULT '-infinity',
  runs bigint NOT NULL DEFAULT 0,
  last_run_at timestamptz,
  last_events bigint,
  last_logs bigint,
  last_quarantine bigint,
  last_error text,
  last_error_at timestamptz,
  events_through timestamptz DEFAULT '-infinity',
  logs_through timestamptz DEFAULT '-infinity'
);
COMMENT ON TABLE mc.archive_state IS 'How far archiving has got on each execution instance';
-- User data: pg_dump keeps it (an extension's tables are otherwise dumped as definitions only).
SELECT pg_catalog.pg_extension_config_dump('mc.archive_state', '');
