-- mc.render_template keeps what it compiled for the calls that follow in the backend (the
-- template, keyed by its exact bytes, also as a compressed column value; the partials, keyed
-- by their jsonb): a cached compile never changes what a call renders.
BEGIN;
SELECT plan(10);

-- Row after row: the same template, each row's ctx.
SELECT is((SELECT string_agg(mc.render_template('<{{n}}>', jsonb_build_object('n', g)), '' ORDER BY g)
           FROM generate_series(1, 5) g), '<1><2><3><4><5>', 'one template, each row its ctx');
-- Alternating templates, more of them than the cache holds (16): each renders as itself.
SELECT is((SELECT string_agg(mc.render_template(format('%s:{{n}};', g % 40), jsonb_build_object('n', g)), '' ORDER BY g)
           FROM generate_series(1, 120) g),
          (SELECT string_agg(format('%s:%s;', g % 40, g), '' ORDER BY g) FROM generate_series(1, 120) g),
          '40 templates in turn, 120 calls: each call renders its own template');
-- Texts that differ by one byte at the end, or by length only.
SELECT is(mc.render_template(repeat('x', 3000) || '{{a}}', '{"a": 1}') || '|' ||
          mc.render_template(repeat('x', 3000) || '{{b}}', '{"b": 2}') || '|' ||
          mc.render_template(repeat('x', 3000) || '{{a}}!', '{"a": 3}'),
          repeat('x', 3000) || '1|' || repeat('x', 3000) || '2|' || repeat('x', 3000) || '3!',
          'near-identical long templates are told apart');

-- A template read from a table, stored compressed inline: same result as the literal.
CREATE TEMP TABLE tpl (name text, body text);
INSERT INTO tpl VALUES ('a', repeat('<p>{{ctx.name}} ', 400) || '{{#ctx.items}}[{{.}}]{{/ctx.items}}'),
                       ('b', repeat('<p>{{ctx.name}} ', 400) || '{{#ctx.items}}({{.}}){{/ctx.items}}');
SELECT ok((SELECT pg_column_compression(body) IS NOT NULL FROM tpl WHERE name = 'a'), 'the table stores the template compressed');
SELECT is((SELECT string_agg(mc.render_template(t.body, jsonb_build_object('ctx', jsonb_build_object('name', 'N' || g, 'items', jsonb_build_array(g)))), '#' ORDER BY g, t.name)
           FROM generate_series(1, 3) g CROSS JOIN tpl t),
          (SELECT string_agg(mc.render_template(t.body || '', jsonb_build_object('ctx', jsonb_build_object('name', 'N' || g, 'items', jsonb_build_array(g)))), '#' ORDER BY g, t.name)
           FROM generate_series(1, 3) g CROSS JOIN tpl t),
          'compressed column values render as the same texts passed plainly');
SELECT is((SELECT right(mc.render_template(body, '{"ctx": {"name": "z", "items": [1, 2]}}'), 11) FROM tpl WHERE name = 'b'),
          '<p>z (1)(2)', 'two compressed templates told apart');

-- Partials: a changed partials object renders the new partial.
SELECT is(mc.render_template('a{{> p}}c', '{}', '{"p": "1"}') || mc.render_template('a{{> p}}c', '{}', '{"p": "2"}')
          || mc.render_template('a{{> p}}c', '{}', '{"p": "1"}'), 'a1ca2ca1c', 'partials keyed by their content');
-- A template that does not compile after one that did, and the good one still renders.
SELECT throws_ok($$SELECT mc.render_template('{{#s}}', '{}')$$, '42601', NULL, 'a bad template is refused');
SELECT is(mc.render_template('<{{n}}>', '{"n": 7}'), '<7>', 'and the cached one still renders');
-- The escape mode is per call, not cached with the template.
SELECT is(mc.render_template('{{v}}', '{"v": "<&>"}', NULL, 'html') || mc.render_template('{{v}}', '{"v": "<&>"}', NULL, 'none'),
          '&lt;&amp;&gt;<&>', 'the escape mode of each call applies');

SELECT * FROM finish();
ROLLBACK;
