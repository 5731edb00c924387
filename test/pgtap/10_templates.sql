-- Templates: created compiled, refused with line and column, published as <name>_rt/_batch.
BEGIN;
SELECT plan(21);

SELECT ok(mc.create_template('order_confirmation', 'order_confirmed', 'email',
  subject => 'Order {{ctx.order.id}} confirmed',
  body_html => '<p>Hello {{ctx.firstName}}</p>{{#ctx.order.items}}<li>{{name}}</li>{{/ctx.order.items}}{{> footer}}',
  body_text => 'Hello {{ctx.firstName}}', sender => 'shop@example.com') > 0, 'create_template returns an id');
SELECT throws_ok($$SELECT mc.create_template('order_confirmation', 'order_confirmed', 'email', subject => 's', body_text => 't')$$,
  '42710', 'template "order_confirmation" already exists', 'a name is used once');
SELECT throws_ok($$SELECT mc.create_template('broken', 'x', 'email', subject => 'ok', body_html => E'line one\n  {{#items}} never closed')$$,
  '42601', NULL, 'a template that does not parse is refused');
SELECT throws_like($$SELECT mc.create_template('broken3', 'x', 'email', subject => 'ok', body_html => E'line one\n  {{#items}} never closed')$$,
  '%body_html%line 2, column 3%', 'the error names the part, line and column');
SELECT throws_like($$SELECT mc.create_template('broken4', 'x', 'sms', body_text => 'Hi {{name')$$,
  '%body_text%line 1%', 'an unclosed tag is refused');
SELECT throws_ok($$SELECT mc.create_template('nosubject', 'x', 'email', body_text => 'hi')$$,
  '23502', NULL, 'an email template needs a subject');
SELECT throws_ok($$SELECT mc.create_template('nosms', 'x', 'sms')$$, '23502', NULL, 'an sms template needs body_text');
SELECT throws_ok($$SELECT mc.create_template('nohook', 'x', 'webhook', body_text => '{}')$$, '23502', NULL, 'a webhook template needs webhook_url');
SELECT throws_ok($$SELECT mc.create_template('fax', 'x', 'fax', body_text => 'hi')$$, '22023', NULL, 'unknown channel refused');
SELECT throws_ok($$SELECT mc.create_template('bad name!', 'x', 'sms', body_text => 'hi')$$, '23514', NULL, 'template names are identifiers');
SELECT throws_ok($$UPDATE mc.template SET body_text = '{{/oops}}' WHERE name = 'order_confirmation'$$,
  '42601', NULL, 'UPDATE is compiled too');
SELECT throws_ok($$INSERT INTO mc.partial (name, body) VALUES ('bad', '{{#a}}')$$, '42601', NULL, 'partials are compiled');
INSERT INTO mc.partial (name, body) VALUES ('footer', '<footer>{{ctx.shop}}</footer>');

-- Publication.
SELECT lives_ok($$SELECT mc.publish_template('order_confirmation')$$, 'publish');
SELECT results_eq($$SELECT name, queue, event_type, channel::text, paused FROM mc.published_template ORDER BY name$$,
  $$VALUES ('order_confirmation_batch', 'batch', 'order_confirmed', 'email', false),
           ('order_confirmation_rt', 'rt', 'order_confirmed', 'email', false)$$,
  'publishing creates <name>_rt and <name>_batch');
UPDATE mc.template SET subject = 'Your order {{ctx.order.id}}' WHERE name = 'order_confirmation';
SELECT is((SELECT subject FROM mc.published_template WHERE name = 'order_confirmation_rt'), 'Order {{ctx.order.id}} confirmed',
  'editing a template does not change what is published');
SELECT mc.publish_template('order_confirmation');
SELECT results_eq($$SELECT count(*)::int, min(subject) FROM mc.published_template$$,
  $$VALUES (2, 'Your order {{ctx.order.id}}')$$, 're-publishing replaces the copies');
SELECT lives_ok($$SELECT mc.pause_template('order_confirmation')$$, 'pause');
SELECT is((SELECT bool_and(paused) FROM mc.published_template), true, 'both copies paused');
SELECT mc.resume_template('order_confirmation');
SELECT mc.unpublish_template('order_confirmation');
SELECT is((SELECT count(*)::int FROM mc.published_template), 0, 'unpublish removes both copies');
SELECT throws_ok($$SELECT mc.publish_template('nope')$$, '42704', 'template "nope" does not exist', 'unknown template');
SELECT throws_ok($$SELECT mc.pause_template('order_confirmation')$$, '55000', NULL, 'pausing what is not published');

SELECT * FROM finish();
ROLLBACK;
