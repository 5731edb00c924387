-- Pushes one event (a JSON document with camelCase keys) into the 'rt' or 'batch' queue;
-- returns its id, or the first event's id if its idempotencyKey was already used.
CREATE FUNCTION mc.push_event(event jsonb, queue text DEFAULT 'rt') RETURNS bigint
  LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'mc_push_event';
COMMENT ON FUNCTION mc.push_event(jsonb, text) IS 'Pushes one event; returns its id';

-- Pushes a JSON array of events, all or nothing; returns their ids in array order.
CREATE FUNCTION mc.push_events(events jsonb, queue text DEFAULT 'batch') RETURNS SETOF bigint
  LANGUAGE c VOLATILE ROWS 1000 AS 'MODULE_PATHNAME', 'mc_push_events';
COMMENT ON FUNCTION mc.push_events(jsonb, text) IS 'Pushes an array of events, all or nothing; returns their ids';

REVOKE ALL ON FUNCTION mc.push_event(jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mc.push_events(jsonb, text) FROM PUBLIC;
