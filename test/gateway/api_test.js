// The JSON API against its OpenAPI document: the document is validated with
// @apidevtools/swagger-parser, and every answer below against the schema of its status with
// Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
// usage: node api_test.js URL WRITER_TOKEN READER_TOKEN OPS_TOKEN OPENAPI_FILE
'use strict';
const fs = require('fs');
const SwaggerParser = require('@apidevtools/swagger-parser');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const [url, writer, reader, ops, openapiFile] = process.argv.slice(2);
let failed = false;
function check(cond, what, extra) {
  console.log(`${cond ? 'ok' : 'not ok'} - API: ${what}`);
  if (!cond) {
    failed = true;
    if (extra !== undefined) console.log(`# ${String(extra).slice(0, 2000)}`);
  }
}

(async () => {
  const served = await (await fetch(`${url}/api/v1/openapi.json`)).json();
  check(JSON.stringify(served) === JSON.stringify(JSON.parse(fs.readFileSync(openapiFile, 'utf8'))),
    'GET /api/v1/openapi.json serves src/gateway/openapi.json');
  let api;
  try {
    await SwaggerParser.validate(structuredClone(served));
    api = await SwaggerParser.dereference(structuredClone(served));
    check(api.openapi === '3.1.0', 'the OpenAPI 3.1 document is valid (swagger-parser)');
  } catch (e) {
    check(false, 'the OpenAPI 3.1 document is valid (swagger-parser)', e.message);
    process.exit(1);
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);

  // Sends a request and checks the answer against the document's response for its status.
  async function call(method, path, template, { token, body, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const res = await fetch(url + path, { method, headers: h, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)) });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* checked below */ }
    const op = api.paths[template][method.toLowerCase()];
    const spec = op.responses[String(res.status)];
    const type = (res.headers.get('content-type') || '').split(';')[0];
    let valid = false, why = `status ${res.status} not in the document`;
    if (spec && spec.content && spec.content[type]) {
      const validate = ajv.compile(spec.content[type].schema);
      valid = validate(json);
      why = JSON.stringify(validate.errors);
    } else if (spec) {
      why = `content type ${type} not in the document`;
    }
    check(valid, `${method} ${template} -> ${res.status} matches the OpenAPI document`, `${why} ${text}`);
    return { status: res.status, json, headers: res.headers };
  }

  const ev = { type: 'order_confirmed', email: 'api@example.com', externalId: 'api-1', ctx: { order: { id: 1234 } } };
  let r = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { token: writer, body: ev });
  check(r.status === 201 && r.json.ids.length === 1, 'POST /api/v1/events/rt with one event: 201 {"ids":[id]}', JSON.stringify(r.json));
  const rtId = r.json.ids[0];
  check(r.headers.get('location') === `/api/v1/events/${rtId}`, 'and a Location header');

  r = await call('POST', '/api/v1/events/batch', '/api/v1/events/batch', { token: writer, body: [ev, { ...ev, email: 'api2@example.com' }] });
  check(r.status === 201 && r.json.ids.length === 2, 'POST /api/v1/events/batch with an array: 201 and two ids', JSON.stringify(r.json));

  const k1 = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { token: writer, body: ev, headers: { 'Idempotency-Key': 'order-1234' } });
  const k2 = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { token: writer, body: ev, headers: { 'Idempotency-Key': 'order-1234' } });
  check(k1.status === 201 && k2.status === 201 && k1.json.ids[0] === k2.json.ids[0], 'Idempotency-Key: a repeated push returns the first id');

  r = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { token: writer, body: { ...ev, email: 'ada' } });
  check(r.status === 422 && r.json.sqlstate === '22P02' && r.json.field === 'email', 'a malformed email: 422 problem+json, sqlstate 22P02, field email', JSON.stringify(r.json));
  r = await call('POST', '/api/v1/events/batch', '/api/v1/events/batch', { token: writer, body: [ev, { type: 't' }] });
  check(r.status === 422 && r.json.sqlstate === '23502' && r.json.field === 'ctx' && r.json.index === 1, 'an array with a bad event: sqlstate 23502, field ctx, index 1', JSON.stringify(r.json));
  r = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { token: writer, body: { ...ev, colour: 'red' } });
  check(r.status === 422 && r.json.sqlstate === '42703' && r.json.field === 'colour', 'an unknown key: sqlstate 42703, field colour', JSON.stringify(r.json));
  r = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { token: writer, body: '{"type": ' });
  check(r.status === 400, 'malformed JSON: 400 problem+json');

  r = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { token: reader, body: ev });
  check(r.status === 403 && r.json.sqlstate === '42501', 'a role without mc_event_writer: 403, sqlstate 42501 from the database', JSON.stringify(r.json));
  r = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { body: ev });
  check(r.status === 401, 'no token: 401');
  r = await call('POST', '/api/v1/events/rt', '/api/v1/events/rt', { token: 'mct_forged', body: ev });
  check(r.status === 401, 'an unknown token: 401');

  r = await call('GET', `/api/v1/events/${rtId}`, '/api/v1/events/{id}', { token: ops });
  check(r.status === 200 && r.json.id === rtId && r.json.status === 'pending' && r.json.queue === 'rt' && r.json.channel === 'email',
    'GET /api/v1/events/{id}: status, queue, channel', JSON.stringify(r.json));
  r = await call('GET', `/api/v1/events/${rtId}`, '/api/v1/events/{id}', { token: writer });
  check(r.status === 403 && r.json.sqlstate === '42501', 'GET by a role that may not read mc.event: 403 42501', JSON.stringify(r.json));
  r = await call('GET', '/api/v1/events/12345', '/api/v1/events/{id}', { token: ops });
  check(r.status === 404, 'GET of an unknown id: 404');

  fs.writeFileSync(process.env.API_RESULTS || '/dev/null', JSON.stringify({ rtId }));
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log(`not ok - API test crashed: ${e && (e.stack || e.message)}`);
  process.exit(1);
});
