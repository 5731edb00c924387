-- Where a reader may safely resume (mc.archive_horizon): no transaction still running in this
-- database began before it, so no row it has not seen can carry an earlier timestamp (every
-- writer stamps rows with its transaction's start time or later). SECURITY DEFINER, owned by
-- the extension's owner: pg_stat_activity shows other roles' xact_start only to a superuser
-- (or pg_read_all_stats), and the control instance connects as a plain mc_control_agent
-- login; read as that login, the horizon would be "now" while another role's transaction is
-- still open, and rows it commits later would never be archived. Every backend type counts
-- (client backends, pg_cron's and the extension's background workers), except autovacuum,
-- which writes no row of ours. A prepared transaction's start is unknown (only when it was
-- prepared): while one is pending here the horizon is -infinity, so archiving keeps its
-- watermark (it still copies rows, idempotently) until the transaction is resolved.
CREATE OR REPLACE FUNCTION mc._local_archive_horizon() RETURNS timestamptz
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE
    WHEN EXISTS (SELECT FROM pg_prepared_xacts p WHERE p.database = current_database())
      THEN '-infinity'::timestamptz
    ELSE LEAST(clock_timestamp(),
               (SELECT min(a.xact_start) FROM pg_stat_activity a
                WHERE a.pid <> pg_backend_pid() AND a.datname = current_database()
                  AND a.backend_type <> 'autovacuum worker'))
  END
$$;
REVOKE ALL ON FUNCTION mc._local_archive_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc._local_archive_horizon() TO mc_control_agent;
