-- mc.render_template called through SQL, once per row, over the same 20,000 ctx rows as the
-- replace() baseline (sql_baseline.sql), as renders per second: what a query that renders
-- with the extension pays per call (argument passing, the compiled-template lookup, the jsonb
-- data source, the text result). Expects psql variables tpl, footer and ctx.
\set ON_ERROR_STOP on
\set QUIET on
CREATE TEMP TABLE IF NOT EXISTS bench_ctx AS SELECT (:'ctx')::jsonb AS doc FROM generate_series(1, 20000);
CREATE TEMP TABLE bench_render_args AS
SELECT (:'tpl')::text AS tpl, jsonb_build_object('footer', (:'footer')::text) AS partials;

CREATE FUNCTION pg_temp.render_template_renders_per_second() RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  total bigint;
BEGIN
  SELECT sum(length(mc.render_template(a.tpl, c.doc, a.partials)))
  INTO total FROM bench_ctx c CROSS JOIN bench_render_args a;
  RETURN 20000 / extract(epoch FROM clock_timestamp() - t0);
END $$;
SELECT 'sql_render', pg_temp.render_template_renders_per_second();
