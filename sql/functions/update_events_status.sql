-- Copies sent / ignored / failed from the delivery log onto the events, incrementally.
CREATE OR REPLACE FUNCTION mc.update_events_status() RETURNS bigint
  LANGUAGE c SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET work_mem = '64MB'
  AS 'MODULE_PATHNAME', 'mc_update_events_status';
-- A large copy hashes the changed delivery-log rows (a whole backlog's outcomes at once):
-- let the hash table stay in memory rather than spill to temporary files.
REVOKE ALL ON FUNCTION mc.update_events_status() FROM PUBLIC;
