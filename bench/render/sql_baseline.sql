-- The SQL baseline of bench/render: the same message from the same ctx with chained replace()
-- (the section over line items with string_agg), over a table of 20,000 ctx rows, as renders
-- per second. Expects psql variables tpl (the template), footer (the partial) and ctx.
\set ON_ERROR_STOP on
\set QUIET on
CREATE TEMP TABLE bench_ctx AS SELECT (:'ctx')::jsonb AS doc FROM generate_series(1, 20000);
CREATE TEMP TABLE bench_tpl AS
SELECT split_part(t, E'{{#ctx.order.items}}\n', 1) AS head,
       split_part(split_part(t, E'{{#ctx.order.items}}\n', 2), E'{{/ctx.order.items}}\n', 1) AS row_tpl,
       replace(split_part(t, E'{{/ctx.order.items}}\n', 2), '{{> footer}}', (:'footer')) AS tail
FROM (SELECT (:'tpl')::text AS t) s;

CREATE FUNCTION pg_temp.replace_renders_per_second() RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  total bigint;
BEGIN
  SELECT sum(length(
    replace(replace(replace(replace(replace(replace(replace(replace(
      b.head || (SELECT string_agg(replace(replace(replace(replace(b.row_tpl,
                   '{{name}}', i->>'name'), '{{qty}}', i->>'qty'), '{{price}}', i->>'price'),
                   '{{currency}}', i->>'currency'), '')
                 FROM jsonb_array_elements(c.doc->'ctx'->'order'->'items') i) || b.tail,
      '{{ctx.order.id}}', c.doc->'ctx'->'order'->>'id'),
      '{{ctx.customer.firstName}}', c.doc->'ctx'->'customer'->>'firstName'),
      '{{ctx.customer.lastName}}', c.doc->'ctx'->'customer'->>'lastName'),
      '{{ctx.order.date}}', c.doc->'ctx'->'order'->>'date'),
      '{{ctx.shipping.city}}', c.doc->'ctx'->'shipping'->>'city'),
      '{{ctx.order.total}}', c.doc->'ctx'->'order'->>'total'),
      '{{ctx.order.currency}}', c.doc->'ctx'->'order'->>'currency'),
      '{{ctx.tracking}}', c.doc->'ctx'->>'tracking')))
  INTO total FROM bench_ctx c CROSS JOIN bench_tpl b;
  RETURN 20000 / extract(epoch FROM clock_timestamp() - t0);
END $$;
SELECT 'replace', pg_temp.replace_renders_per_second();
