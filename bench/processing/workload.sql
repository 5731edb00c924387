-- The processing benchmark's workload, shared by message_center and the baselines:
-- 25 event types, each with an email template of a subject and an HTML and a text body with
-- ten interpolations and a section over the order's line items; events of ~330 bytes of ctx.
\set ON_ERROR_STOP on
CREATE SCHEMA IF NOT EXISTS bench;

-- The template texts, in Mustache; the baselines translate them to replace() chains.
CREATE TABLE IF NOT EXISTS bench.workload_template AS
SELECT format('type%s', t) AS event_type,
       format('Order {{ctx.order.id}} confirmed (%s)', t) AS subject,
       '<h1>Hello {{ctx.customer.firstName}} {{ctx.customer.lastName}}</h1>'
       '<p>Order {{ctx.order.id}} of {{ctx.order.date}}: {{ctx.order.total}} {{ctx.order.currency}}.</p>'
       '<ul>{{#ctx.order.items}}<li>{{name}} x{{qty}}</li>{{/ctx.order.items}}</ul>'
       '<p>Ship to {{ctx.shipping.city}}, {{ctx.shipping.country}}. Track: {{ctx.tracking}}</p>' AS body_html,
       'Hello {{ctx.customer.firstName}}, order {{ctx.order.id}}: {{ctx.order.total}} {{ctx.order.currency}}' AS body_text
FROM generate_series(1, 25) t;

-- n events as JSON documents for mc.push_events (and their columns for the baselines).
CREATE OR REPLACE FUNCTION bench.workload_events(n int, first int DEFAULT 1) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_agg(jsonb_build_object(
    'type', format('type%s', 1 + g % 25),
    'email', format('customer%s@example.com', g),
    'externalId', format('c-%s', g),
    'ctx', jsonb_build_object(
      'customer', jsonb_build_object('firstName', 'Ada', 'lastName', format('Lovelace%s', g)),
      'order', jsonb_build_object('id', g, 'date', '2026-11-23', 'total', '129.90', 'currency', 'EUR',
        'items', jsonb_build_array(jsonb_build_object('name', 'Notebook', 'qty', 2),
                                   jsonb_build_object('name', 'Pen', 'qty', 5))),
      'shipping', jsonb_build_object('city', 'Lund', 'country', 'SE'),
      'tracking', format('TRK%s', g))))
  FROM generate_series(first, first + n - 1) g
$$;
