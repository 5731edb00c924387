-- Pushes a JSON array of events, all or nothing; returns their ids in array order.
CREATE OR REPLACE FUNCTION mc.push_events(events jsonb, queue text DEFAULT 'batch') RETURNS SETOF bigint
  LANGUAGE c VOLATILE ROWS 1000 AS 'MODULE_PATHNAME', 'mc_push_events';
COMMENT ON FUNCTION mc.push_events(jsonb, text) IS 'Pushes an array of events, all or nothing; returns their ids';
REVOKE ALL ON FUNCTION mc.push_events(jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.push_events(jsonb, text) TO mc_event_writer;
