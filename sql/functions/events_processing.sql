-- Takes due pending events of a queue and turns each into one rendered message. Returns the
-- number of events handled (routed, refused, retried or expired).
CREATE FUNCTION mc.rt_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_rt_events_processing';
CREATE FUNCTION mc.batch_events_processing(max_events integer DEFAULT NULL) RETURNS bigint
  LANGUAGE c AS 'MODULE_PATHNAME', 'mc_batch_events_processing';
REVOKE ALL ON FUNCTION mc.rt_events_processing(integer), mc.batch_events_processing(integer) FROM PUBLIC;
