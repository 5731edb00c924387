-- Benchmark hook (bench/render): renders per second of a template from jsonb, compiled once,
-- rendered `iterations` times in the backend. partial is the text of {{> footer}}.
CREATE OR REPLACE FUNCTION mc._render_benchmark(template text, ctx jsonb, partial text, iterations integer)
  RETURNS double precision LANGUAGE c AS 'MODULE_PATHNAME', 'mc_render_benchmark';
REVOKE ALL ON FUNCTION mc._render_benchmark(text, jsonb, text, integer) FROM PUBLIC;
