-- Takes due pending events of a queue and turns each into one rendered message. Returns the
-- number of events handled (routed, refused, retried or expired). The path is pinned: the
-- SQL they run must resolve to pg_catalog and mc whoever's session (and "$user" schema) runs
-- them under pg_cron.
CREATE OR REPLACE FUNCTION mc.rt_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'mc_rt_events_processing';
CREATE OR REPLACE FUNCTION mc.batch_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'mc_batch_events_processing';
REVOKE ALL ON FUNCTION mc.rt_events_processing(integer), mc.batch_events_processing(integer) FROM PUBLIC;
