// Adobe's own client, unmodified, against mc-gateway. Prints TAP-like lines and writes the
// ids it got to RESULTS (JSON) so that gateway.sh can check them in the database.
// usage: node sdk_test.js URL WRITER_TOKEN READER_TOKEN OPS_TOKEN RESULTS
'use strict';
const fs = require('fs');
const sdk = require('@adobe/acc-js-sdk');

const [url, writerToken, readerToken, opsToken, resultsFile] = process.argv.slice(2);
const results = {};
let failed = false;
function check(cond, what, extra) {
  console.log(`${cond ? 'ok' : 'not ok'} - SDK: ${what}`);
  if (!cond) {
    failed = true;
    if (extra !== undefined) console.log(`# ${String(extra).slice(0, 2000)}`);
  }
}
async function clientFor(token, endpoint = url) {
  const client = await sdk.init(sdk.ConnectionParameters.ofSessionToken(endpoint, token));
  await client.logon();
  return client;
}
async function refusal(fn) {
  try {
    await fn();
    return null;
  } catch (e) {
    return e;
  }
}
// The ids document <ids><id>1</id><id>2</id></ids> as the SDK's SimpleJson gives it:
// {"id":[{"$":"1"},{"$":"2"}]} for several, {"$id":"1"} for one.
const idsOf = (doc) => doc && doc.$id !== undefined ? [doc.$id]
  : [].concat((doc && doc.id) || []).map((x) => (typeof x === 'object' ? x.$ : x));
const errorText = (e) => e ? `${e.message} ${e.detail} ${e.faultString} ${e.statusCode}` : 'no error';

(async () => {
  const writer = await clientFor(writerToken);

  const rtId = await writer.NLWS.nmsRtEvent.pushEvent({
    wishedChannel: 0, type: 'welcome', email: 'ada@example.com', externalId: 'cust-42',
    ctx: { $firstName: 'Ada', plain: 'v', $age: 36, order: { id: 'A1', line: [{ sku: 'X' }, { sku: 'Y' }] } },
  });
  check(typeof rtId === 'string' && /^[0-9]+$/.test(rtId), `nmsRtEvent.pushEvent returned an id string (${rtId})`);
  results.rtId = rtId;

  const batchOne = await writer.NLWS.nmsBatchEvent.pushEvent({
    type: 'newsletter', email: 'bob@example.com', ctx: { $week: '48' },
  });
  check(/^[0-9]+$/.test(batchOne), `nmsBatchEvent.pushEvent returned an id string (${batchOne})`);
  results.batchOne = batchOne;

  const batchMany = await writer.NLWS.nmsBatchEvent.pushEvents({
    batchEvent: [
      { type: 'newsletter', email: 'c1@example.com', externalId: 'c1', ctx: { $n: '1' } },
      { type: 'newsletter', email: 'c2@example.com', externalId: 'c2', ctx: { $n: '2' } },
    ],
  });
  // The ids document <ids><id>..</id>..</ids> as the SDK's SimpleJson.
  const many = idsOf(batchMany);
  check(many.length === 2 && many.every((x) => /^[0-9]+$/.test(x)),
    `nmsBatchEvent.pushEvents returned two ids (${JSON.stringify(batchMany)})`);
  results.batchMany = many;

  const rtMany = await writer.NLWS.nmsRtEvent.pushEvents({
    rtEvent: [{ type: 'welcome', mobilePhone: '+46 70 123 45 67', wishedChannel: 1, ctx: {} }],
  });
  const rtManyIds = idsOf(rtMany);
  check(rtManyIds.length === 1, `nmsRtEvent.pushEvents returned one id (${JSON.stringify(rtMany)})`);
  results.rtMany = rtManyIds;

  // A cold client with concurrent first calls: each fetches the schema (contract §2).
  const cold = await clientFor(writerToken);
  const burst = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    cold.NLWS.nmsRtEvent.pushEvent({ type: 'burst', email: `b${i}@example.com`, ctx: { $i: String(i) } })));
  check(new Set(burst).size === 20 && burst.every((x) => /^[0-9]+$/.test(x)), '20 concurrent pushes on a cold client: 20 distinct ids');
  results.burst = burst;

  // An endpoint ending in "/" makes the SDK request //nl/jsp/soaprouter.jsp.
  const slash = await clientFor(writerToken, `${url}/`);
  const slashId = await slash.NLWS.nmsBatchEvent.pushEvent({ type: 'slash', ctx: {} });
  check(/^[0-9]+$/.test(slashId), 'an endpoint with a trailing slash works');

  const bad = await refusal(() => writer.NLWS.nmsRtEvent.pushEvent({ type: 'welcome', email: 'not-an-email', ctx: {} }));
  check(bad && /22P02/.test(errorText(bad)) && /email/.test(errorText(bad)),
    'a malformed email is refused: the SDK error carries SQLSTATE 22P02 and the field', errorText(bad));

  // mcPing reads mc.queue_health as the token's role: mc_status_reader may, a writer may not.
  const ops = await clientFor(opsToken);
  const ping = await ops.mcPing();
  check(ping.status === 'Ok' && /^[0-9]+$/.test(ping.eventQueueSize) && /^[0-9]+$/.test(ping.eventQueueMaxSize),
    `mcPing() is Ok with queue sizes (${JSON.stringify(ping)})`);

  const writerPing = await refusal(() => writer.mcPing());
  check(writerPing && writerPing.statusCode === 403 && /permission denied/.test(errorText(writerPing)),
    'mcPing() by a role that may not read mc.queue_health: 403 from the database', errorText(writerPing));

  const redir = await writer.test();
  check(redir.status === 'OK' && typeof redir.date === 'string' && typeof redir.build === 'string',
    `test() reads /r/test (${JSON.stringify(redir)})`);

  const reader = await clientFor(readerToken);
  const denied = await refusal(() => reader.NLWS.nmsRtEvent.pushEvent({ type: 'welcome', email: 'eve@example.com', ctx: {} }));
  check(denied && /42501/.test(errorText(denied)),
    'a role without mc_event_writer is refused by the database (42501 in the SDK error)', errorText(denied));

  const stranger = await clientFor('mct_not_a_token');
  const unknown = await refusal(() => stranger.NLWS.nmsRtEvent.pushEvent({ type: 'welcome', email: 'mallory@example.com', ctx: {} }));
  check(unknown && unknown.statusCode === 401, `an unknown token gets 401 (${unknown && unknown.errorCode})`, errorText(unknown));
  const unknownPing = await refusal(() => stranger.mcPing());
  check(unknownPing && unknownPing.statusCode === 401, 'mcPing() with an unknown token gets 401', errorText(unknownPing));

  fs.writeFileSync(resultsFile, JSON.stringify(results));
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log(`not ok - SDK test crashed: ${e && (e.stack || e.message)} ${e && e.detail}`);
  process.exit(1);
});
