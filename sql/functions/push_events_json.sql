-- Pushes a JSON array of events given as text, all or nothing; returns their ids in array order.
-- The same events, validation, refusals and privileges as mc.push_events, without building a
-- jsonb of the whole array first: the text is read once and each ctx alone parsed as jsonb, as
-- COPY parses it. Its own name: an overload of push_events on text or json would make the
-- existing calls with a string literal ambiguous.
CREATE OR REPLACE FUNCTION mc.push_events_json(events text, queue text DEFAULT 'batch')
  RETURNS SETOF bigint LANGUAGE c VOLATILE ROWS 1000 AS 'MODULE_PATHNAME', 'mc_push_events_json';
COMMENT ON FUNCTION mc.push_events_json(text, text) IS
  'Pushes an array of events given as JSON text, all or nothing; returns their ids';
REVOKE ALL ON FUNCTION mc.push_events_json(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mc.push_events_json(text, text) TO mc_event_writer;
