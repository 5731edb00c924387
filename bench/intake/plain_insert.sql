-- pgbench script: the baseline, a plain INSERT of the same values as push_event.sql into
-- bench.plain_event (mc.rt_event's columns, defaults and indexes, no CHECK constraint).
INSERT INTO bench.plain_event (event_type, email, external_id, origin, wished_channel, language, country, ctx) VALUES ('order_confirmed', 'customer42@example.com', 'c-42', 'shop', 'email', 'en', 'SE', '{"firstName":"Ada","order":{"id":"SO-100042","items":[{"sku":"TEA-01","name":"Green tea","qty":2},{"sku":"MUG-07","name":"Mug","qty":1},{"sku":"SPN-03","name":"Spoon","qty":2}]}}');
