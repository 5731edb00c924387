-- pgbench script: one event through mc.push_event into the 'rt' queue (run with -M prepared).
-- The same values as plain_insert.sql; a ~335-byte document, an order with three line items.
SELECT mc.push_event('{"type":"order_confirmed","email":"customer42@example.com","externalId":"c-42","origin":"shop","wishedChannel":"email","language":"en","country":"SE","ctx":{"firstName":"Ada","order":{"id":"SO-100042","items":[{"sku":"TEA-01","name":"Green tea","qty":2},{"sku":"MUG-07","name":"Mug","qty":1},{"sku":"SPN-03","name":"Spoon","qty":2}]}}}');
