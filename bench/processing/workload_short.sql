-- The short workload, shared by message_center and its naive baseline: 25 event types, each
-- with a text-only template of three interpolations (SMS, Android push, iOS push in turn: the
-- one-line messages most SMS, push and OTP traffic is), events of ~100 bytes of ctx.
\set ON_ERROR_STOP on
CREATE SCHEMA IF NOT EXISTS bench;

CREATE TABLE IF NOT EXISTS bench.short_template AS
SELECT format('short%s', t) AS event_type,
       (ARRAY['sms', 'push_android', 'push_ios'])[1 + t % 3] AS channel,
       format('Hi {{ctx.firstName}}, your order {{ctx.orderId}} is {{ctx.state}} (%s).', t) AS body_text
FROM generate_series(1, 25) t;

-- n events as JSON documents for mc.push_events (the baseline copies the rows it makes).
CREATE OR REPLACE FUNCTION bench.short_events(n int, first int DEFAULT 1) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_agg(jsonb_build_object(
    'type', format('short%s', 1 + g % 25),
    'wishedChannel', (ARRAY['sms', 'push_android', 'push_ios'])[1 + (1 + g % 25) % 3],
    'mobilePhone', format('+4670%s', lpad(g::text, 7, '0')),
    'externalId', format('u-%s', g),
    'ctx', jsonb_build_object('firstName', 'Ada', 'orderId', g, 'state', 'shipped')))
  FROM generate_series(first, first + n - 1) g
$$;
