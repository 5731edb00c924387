-- Pushes one event (a JSON document with camelCase keys) into the 'rt' or 'batch' queue;
-- returns its id, or the first event's id if its idempotencyKey was already used.
CREATE OR REPLACE FUNCTION mc.push_event(event jsonb, queue text DEFAULT 'rt') RETURNS bigint
  LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'mc_push_event';
COMMENT ON FUNCTION mc.push_event(jsonb, text) IS 'Pushes one event; returns its id';
REVOKE ALL ON FUNCTION mc.push_event(jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.push_event(jsonb, text) TO mc_event_writer;
