SELECT mc.push_event('{"type":"order_confirmed","email":"ada@example.com","ctx":{"firstName":"Ada","order":{"id":1234,"items":[{"name":"Pen","qty":2}]}}}');
