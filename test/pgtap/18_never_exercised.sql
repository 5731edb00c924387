-- What no other test exercised: rendering through SQL (mc.render_template, mc.preview_template,
-- as a template manager), refusals of the intake, of the template and instance functions and of
-- processing, and the events a render failure fails (a partial recursing too deep, a part over
-- 1 MiB): retried, then expired, without touching the other events of their batch. Each SQL
-- path runs as the role that uses it (SET ROLE to a role holding only that role): rendering,
-- previews and template calls as a template manager, INSERT as an event writer; processing and
-- the instance functions (granted to no role) as the superuser that owns the pg_cron jobs.
-- (mc.rt_events_loop commits: it is called outside a transaction block, in 19_rt_events_loop.)
BEGIN;
SELECT plan(56);

CREATE ROLE mc_t18_author;
CREATE ROLE mc_t18_writer;
GRANT mc_template_manager TO mc_t18_author;
GRANT mc_event_writer TO mc_t18_writer;

-- --- mc.render_template, as a template manager ------------------------------------------------
SET ROLE mc_t18_author;
SELECT is(mc.render_template('Hi {{name}}', '{"name": "<b>Ada</b> & \"Bob\""}'), 'Hi &lt;b&gt;Ada&lt;/b&gt; &amp; &quot;Bob&quot;',
  'render_template: html escaping by default');
SELECT is(mc.render_template('Hi {{name}}', '{"name": "<b>Ada</b>"}', NULL, 'html'), 'Hi &lt;b&gt;Ada&lt;/b&gt;',
  'escape => html escapes {{x}}');
SELECT is(mc.render_template('Hi {{{name}}} {{&name}}', '{"name": "<b>Ada</b>"}', NULL, 'html'), 'Hi <b>Ada</b> <b>Ada</b>',
  'and not {{{x}}} nor {{&x}}');
SELECT is(mc.render_template('Hi {{name}}', '{"name": "<b>Ada</b>"}', NULL, 'none'), 'Hi <b>Ada</b>',
  'escape => none leaves values as they are');
SELECT is(mc.render_template('https://x.example/?q={{q}}&n={{n}}', '{"q": "a b/c?d=é", "n": 42}', NULL, 'url'),
  'https://x.example/?q=a%20b%2Fc%3Fd%3D%C3%A9&n=42', 'escape => url percent-encodes values, not the template text');
SELECT is(mc.render_template('{{#items}}<{{name}}>{{/items}}{{^none}}!{{/none}}', '{"items": [{"name": "a"}, {"name": "b"}], "none": []}', NULL, 'none'),
  '<a><b>!', 'sections over arrays, inverted section over an empty one');
SELECT is(mc.render_template('{{#f}}x{{/f}}{{#n}}x{{/n}}{{#e}}x{{/e}}{{#z}}x{{/z}}|{{missing}}|{{o.k}}', '{"f": false, "n": null, "e": "", "z": 0, "o": {"k": 1.50}}', NULL, 'none'),
  'x||1.50', 'false, null and "" are falsey, 0 is not; a missing name renders empty; numbers as written');
SELECT is(mc.render_template('a{{> p}}c', '{"x": "<b>"}', '{"p": "[{{x}}]"}', 'html'), 'a[&lt;b&gt;]c',
  'partials given as a JSON object, escaped like the template');
SELECT is(mc.render_template('a{{> nowhere}}c', '{}'), 'ac', 'a partial not given renders empty (preview)');
SELECT is(mc.render_template(NULL, '{}'), NULL, 'a NULL template renders NULL');
SELECT is(mc.render_template('{{a}}', NULL), '', 'a NULL ctx renders as an empty one');
SELECT throws_ok($$SELECT mc.render_template('x', '{}', NULL, 'xml')$$, '22023',
  'escape must be ''html'', ''none'' or ''url'', not "xml"', 'an unknown escape mode is refused');
SELECT throws_ok($$SELECT mc.render_template('x', '{}', '["p"]')$$, '22023', NULL, 'partials must be an object');
SELECT throws_ok($$SELECT mc.render_template('x', '{}', '{"p": 5}')$$, '22023',
  'partial "p" must be a string of template text', 'each partial must be text');
SELECT throws_ok($$SELECT mc.render_template(E'a\n {{#s}}', '{}')$$, '42601', NULL, 'a syntax error is refused (42601)');
SELECT throws_like($$SELECT mc.render_template(E'a\n {{#s}}', '{}')$$, 'template: %unclosed section%',
  'and says what is wrong');
SELECT throws_ok($$SELECT mc.render_template('{{> loop}}', '{}', '{"loop": "x{{> loop}}"}')$$, '54000', NULL,
  'a partial recursing forever is stopped (54000)');
SELECT throws_ok($$SELECT mc.render_template('{{#a}}{{#a}}{{#a}}{{p}}{{/a}}{{/a}}{{/a}}',
    jsonb_build_object('a', (SELECT jsonb_agg(g) FROM generate_series(1, 11) g), 'p', repeat('x', 1000)))$$,
  '54000', NULL, 'an output over 1 MiB is refused (54000): 11^3 x 1000 bytes');
SELECT is(length(mc.render_template('{{#a}}{{#a}}{{#a}}{{p}}{{/a}}{{/a}}{{/a}}',
    jsonb_build_object('a', (SELECT jsonb_agg(g) FROM generate_series(1, 10) g), 'p', repeat('x', 1000)))), 1000000,
  'an output under 1 MiB is not: 10^3 x 1000 bytes');
RESET ROLE;

-- --- mc.preview_template, as a template manager ------------------------------------------------
SET ROLE mc_t18_author;
INSERT INTO mc.partial (name, body) VALUES ('t18_sig', '<i>{{ctx.shop}}</i>');
SELECT mc.create_template('t18_mail', 't18_order', 'email', sender => '{{ctx.from}}', subject => 'Order {{ctx.id}} for {{ctx.name}}',
  body_html => '<p>{{ctx.name}}</p>{{> t18_sig}}', body_text => 'Hi {{ctx.name}} <{{email}}>');
SELECT mc.create_template('t18_hook', 't18_order', 'webhook', webhook_url => 'https://hook.example/o?name={{ctx.name}}',
  body_text => '{{ctx.name}}');
INSERT INTO mc.seed_address (template_id, email, ctx)
SELECT id, e, jsonb_build_object('id', n, 'name', 'A&B', 'shop', 'S<1>', 'from', 'shop@example.com')
FROM mc.template, (VALUES ('s1@example.com', 1), ('s2@example.com', 2)) v (e, n) WHERE name = 't18_mail';
SELECT results_eq($$SELECT address, sender, subject, body_html, body_text, push_data, webhook_url
                    FROM mc.preview_template('t18_mail') ORDER BY address$$,
  $$VALUES ('s1@example.com', 'shop@example.com', 'Order 1 for A&B', '<p>A&amp;B</p><i>S&lt;1&gt;</i>', 'Hi A&B <s1@example.com>', NULL::text, NULL::text),
           ('s2@example.com', 'shop@example.com', 'Order 2 for A&B', '<p>A&amp;B</p><i>S&lt;1&gt;</i>', 'Hi A&B <s2@example.com>', NULL, NULL)$$,
  'preview: one row per seed address; html part escaped (partial too), subject and text not; event fields at the root');
SELECT results_eq($$SELECT seed_id, address, subject, body_text FROM mc.preview_template('t18_mail', '{"id": 9, "name": "<Z>"}')$$,
  $$VALUES (NULL::bigint, NULL::text, 'Order 9 for <Z>', 'Hi <Z> <>')$$,
  'preview with a ctx: one row from that ctx, not the seeds');
SELECT is((SELECT webhook_url FROM mc.preview_template('t18_hook', '{"name": "a b&c"}')), 'https://hook.example/o?name=a%20b%26c',
  'preview: the webhook_url part is percent-encoded');
SELECT is((SELECT count(*)::int FROM mc.preview_template('t18_hook')), 0, 'a template without seed addresses previews nothing');
SELECT throws_ok($$SELECT * FROM mc.preview_template('t18_nope')$$, '42704', 'template "t18_nope" does not exist',
  'preview of an unknown template is refused');
SELECT is((SELECT count(*)::int FROM mc.published_template WHERE name LIKE 't18%'), 0, 'previewing publishes nothing');
-- Resume, pause and unpublish of a template that does not exist.
SELECT throws_ok($$SELECT mc.resume_template('t18_nope')$$, '42704', 'template "t18_nope" does not exist',
  'resume of an unknown template is refused');
SELECT throws_ok($$SELECT mc.unpublish_template('t18_nope')$$, '42704', 'template "t18_nope" does not exist',
  'unpublish of an unknown template is refused');
SELECT throws_ok($$SELECT mc.resume_template('t18_mail')$$, '55000', 'template "t18_mail" is not published',
  'resume of a template that is not published is refused');
RESET ROLE;

-- --- intake: externalId, origin and idempotencyKey are limited to 255 bytes (not characters) ---
SELECT throws_ok(format('SELECT mc.push_event(%L)', jsonb_build_object('type', 't', 'ctx', '{}'::jsonb, 'externalId', repeat('x', 256))),
  '22001', 'invalid event: field "externalId" is longer than 255 bytes', 'push_event: externalId of 256 bytes refused (22001)');
SELECT throws_ok(format('SELECT mc.push_event(%L)', jsonb_build_object('type', 't', 'ctx', '{}'::jsonb, 'externalId', repeat('é', 128))),
  '22001', 'invalid event: field "externalId" is longer than 255 bytes', 'push_event: 128 two-byte characters are 256 bytes: refused');
SELECT lives_ok(format('SELECT mc.push_event(%L)', jsonb_build_object('type', 't18_limit', 'ctx', '{}'::jsonb, 'externalId', repeat('x', 255))),
  'push_event: externalId of 255 bytes accepted');
SELECT throws_ok(format('SELECT mc.push_events(%L)', jsonb_build_array(jsonb_build_object('type', 't', 'ctx', '{}'::jsonb, 'externalId', repeat('x', 256)))),
  '22001', 'invalid event at index 0: field "externalId" is longer than 255 bytes', 'push_events: the same refusal');
SELECT throws_ok(format('SELECT mc.push_event(%L)', jsonb_build_object('type', 't', 'ctx', '{}'::jsonb, 'origin', repeat('o', 256))),
  '22001', 'invalid event: field "origin" is longer than 255 bytes', 'origin over 255 bytes refused');
SELECT throws_ok(format('SELECT mc.push_event(%L)', jsonb_build_object('type', 't', 'ctx', '{}'::jsonb, 'idempotencyKey', repeat('k', 256))),
  '22001', 'invalid event: field "idempotencyKey" is longer than 255 bytes', 'idempotencyKey over 255 bytes refused');
SET ROLE mc_t18_writer;
SELECT throws_ok(format($$INSERT INTO mc.rt_event (event_type, ctx, external_id) VALUES ('t', '{}', %L)$$, repeat('x', 256)),
  '22001', NULL, 'a writer''s INSERT with external_id over 255 bytes is refused too');
SELECT lives_ok(format($$INSERT INTO mc.rt_event (event_type, ctx, external_id) VALUES ('t18_limit', '{}', %L)$$, repeat('é', 127)),
  'and one of 254 bytes accepted');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM mc.event WHERE event_type = 't18_limit'), 2, 'the two accepted events are stored');

-- --- unknown execution instances, processing arguments ------------------------------------------
SELECT throws_ok($$SELECT mc.unregister_execution_instance('t18_nope')$$, '42704',
  'execution instance "t18_nope" is not registered', 'unregister of an unknown instance is refused');
SELECT throws_ok($$CALL mc.synchronize_instance('t18_nope')$$, '42704',
  'execution instance "t18_nope" is not registered', 'synchronize of an unknown instance is refused');
SELECT throws_ok($$SELECT mc.drop_archiving_workflow('t18_nope')$$, '42704',
  'no archiving workflow for execution instance "t18_nope"', 'drop_archiving_workflow of an unknown instance is refused');
SELECT lives_ok($$SELECT mc.drop_archiving_workflow('t18_nope', if_exists => true)$$, 'unless if_exists');
SELECT throws_ok($$SELECT mc.create_archiving_workflow('t18_nope')$$, '42704', NULL,
  'create_archiving_workflow of an unknown instance is refused');
SELECT throws_ok($$SELECT mc.batch_events_processing(0)$$, '22023', 'max_events must be at least 1, got 0',
  'batch_events_processing(0) is refused');
SELECT throws_ok($$SELECT mc.rt_events_processing(-1)$$, '22023', 'max_events must be at least 1, got -1',
  'rt_events_processing(-1) is refused');

-- --- render failures fail their event, never the batch -----------------------------------------
-- One batch: two good events, one whose template's partial recurses forever, one whose html
-- part renders to 1.6 MB (40 x 40 x 1000 bytes), one whose part renders to 0.9 MB (under).
DELETE FROM mc.batch_event;
UPDATE mc.settings SET max_processing_attempts = 3;
SET ROLE mc_t18_author;
INSERT INTO mc.partial (name, body) VALUES ('t18_loop', 'x{{> t18_loop}}');
SELECT mc.create_template('t18_good', 't18_good', 'email', subject => 'Good {{ctx.n}}', body_text => 'ok {{ctx.n}}');
SELECT mc.create_template('t18_deep', 't18_deep', 'email', subject => 'Deep', body_text => '{{> t18_loop}}');
SELECT mc.create_template('t18_big', 't18_big', 'email', subject => 'Big',
  body_html => '{{#ctx.a}}{{#ctx.a}}{{ctx.p}}{{/ctx.a}}{{/ctx.a}}', body_text => 'b');
SELECT mc.publish_template(n) FROM unnest(ARRAY['t18_good', 't18_deep', 't18_big']) n;
RESET ROLE;
CREATE TEMP TABLE ev AS SELECT * FROM (VALUES
  ('good1', mc.push_event('{"type":"t18_good","email":"g1@example.com","ctx":{"n":1}}', 'batch')),
  ('deep',  mc.push_event('{"type":"t18_deep","email":"d@example.com","ctx":{}}', 'batch')),
  ('big',   mc.push_event(jsonb_build_object('type', 't18_big', 'email', 'b@example.com',
              'ctx', jsonb_build_object('a', (SELECT jsonb_agg(g) FROM generate_series(1, 40) g), 'p', repeat('x', 1000))), 'batch')),
  ('under', mc.push_event(jsonb_build_object('type', 't18_big', 'email', 'u@example.com',
              'ctx', jsonb_build_object('a', (SELECT jsonb_agg(g) FROM generate_series(1, 30) g), 'p', repeat('x', 1000))), 'batch')),
  ('good2', mc.push_event('{"type":"t18_good","email":"g2@example.com","ctx":{"n":2}}', 'batch'))
) AS t (name, id);
CREATE FUNCTION pg_temp.state(n text) RETURNS text AS $$
  SELECT e.status || '/' || e.error_count || '/' || (SELECT count(*) FROM mc.delivery_log d WHERE d.event_id = e.id)
  FROM mc.batch_event e WHERE e.id = (SELECT id FROM ev WHERE name = n) $$ LANGUAGE sql;
CREATE FUNCTION pg_temp.due() RETURNS void AS $$
  UPDATE mc.batch_event SET process_requested_at = now() - interval '1 second'
  WHERE id IN (SELECT id FROM ev WHERE name IN ('deep', 'big')) $$ LANGUAGE sql;

SELECT is(mc.batch_events_processing(), 5::bigint, 'one call handles the whole batch of 5');
SELECT results_eq($$SELECT n, pg_temp.state(n) FROM unnest(ARRAY['good1', 'good2', 'under', 'deep', 'big']) n$$,
  $$VALUES ('good1', 'pending_delivery/0/1'), ('good2', 'pending_delivery/0/1'), ('under', 'pending_delivery/0/1'),
           ('deep', 'pending/1/0'), ('big', 'pending/1/0')$$,
  'the good events (and the one just under 1 MiB) are processed; the two failures are pending with error_count 1 and no message');
SELECT is(length((SELECT body_html FROM mc.delivery_log WHERE event_id = (SELECT id FROM ev WHERE name = 'under'))), 900000,
  'the part under the limit is whole');
SELECT ok((SELECT bool_and(process_requested_at > now()) FROM mc.batch_event WHERE id IN (SELECT id FROM ev WHERE name IN ('deep', 'big'))),
  'both failures are retried later (back-off)');
SELECT is((SELECT last_error FROM mc.batch_event WHERE id = (SELECT id FROM ev WHERE name = 'deep')),
  'template "t18_deep_batch": partials nested deeper than 32 (a partial that includes itself?)', 'the recursion failure is in last_error');
SELECT is((SELECT last_error FROM mc.batch_event WHERE id = (SELECT id FROM ev WHERE name = 'big')),
  'template "t18_big_batch": rendered output larger than 1048576 bytes', 'the size failure is in last_error');
SELECT is(mc.batch_events_processing(), 0::bigint, 'not due yet: nothing handled');
SELECT pg_temp.due();
SELECT is(mc.batch_events_processing(), 2::bigint, 'due again: the two failures are retried');
SELECT results_eq($$SELECT n, pg_temp.state(n) FROM unnest(ARRAY['deep', 'big']) n$$,
  $$VALUES ('deep', 'pending/2/0'), ('big', 'pending/2/0')$$, 'second failure: error_count 2, still pending');
SELECT pg_temp.due();
SELECT is(mc.batch_events_processing(), 2::bigint, 'the third attempt');
SELECT results_eq($$SELECT n, pg_temp.state(n) FROM unnest(ARRAY['deep', 'big', 'good1', 'good2', 'under']) n$$,
  $$VALUES ('deep', 'expired/3/0'), ('big', 'expired/3/0'), ('good1', 'pending_delivery/0/1'), ('good2', 'pending_delivery/0/1'),
           ('under', 'pending_delivery/0/1')$$,
  'after max_processing_attempts (3) the failures are expired; the other events were never touched again');
SELECT ok((SELECT bool_and(processed_at IS NOT NULL) FROM mc.batch_event WHERE id IN (SELECT id FROM ev)),
  'every event of the batch has left the queue');

SELECT * FROM finish();
ROLLBACK;
