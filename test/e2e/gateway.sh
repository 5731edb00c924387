#!/usr/bin/env bash
# mc-gateway end to end, inside pg_virtualenv (PGHOST, PGPORT, PGUSER, PGPASSWORD set), on
# loopback only: the extension and the gateway's SQL, token roles, the gateway on a free port,
# then Adobe's own SDK, the JSON API against its OpenAPI document, one-click unsubscribe,
# metrics, bad input (malformed XML, an XML bomb, 100 MB bodies, a stalled client) with the
# gateway's memory watched, and a graceful SIGTERM. Every wait is bounded.
#   pg_virtualenv -t -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
#     bash test/e2e/gateway.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
# The gateway: $MC_GATEWAY, else the one `make install` put next to PostgreSQL's programs, else
# the one in build/.
gw_bin=${MC_GATEWAY:-$(pg_config --bindir)/mc-gateway}
[ -n "${MC_GATEWAY:-}" ] || [ -x "$gw_bin" ] || gw_bin=$root/build/mc-gateway
echo "# mc-gateway: $gw_bin"
db=mc_gateway_test
work=$(mktemp -d)
failures=0
gw_pid=
gw2_pid=
cleanup() {
  [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null
  [ -n "$gw2_pid" ] && kill "$gw2_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$gw_pid/status"; }
alive() { kill -0 "$gw_pid" 2>/dev/null && curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/r/test" | grep -q 200; }

[ -x "$gw_bin" ] || { echo "not ok - $gw_bin is not built (make && make install, or cmake --build build --target mc-gateway)"; exit 1; }
[ -d test/gateway/node_modules ] || (cd test/gateway && npm ci --no-audit --no-fund >/dev/null) ||
  { echo "not ok - npm ci in test/gateway"; exit 1; }

# --- database: the extension (its SQL includes the gateway's: tokens, unsubscribe), roles
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q "CREATE EXTENSION message_center"
[ "$(q "SELECT count(*) FROM pg_proc WHERE oid IN ('mc.create_api_token(name, text)'::regprocedure,
      'mc.api_token_role(text)'::regprocedure, 'mc.unsubscribe(text)'::regprocedure)")" = 3 ] ||
  { echo "not ok - the extension has no gateway functions"; exit 1; }
ok "CREATE EXTENSION message_center brings the gateway's SQL (tokens, unsubscribe)"
# Roles are cluster-wide: drop what an earlier run left (their database is gone).
psql -X -q -d postgres -c "DROP ROLE IF EXISTS gw_login, shop_writer, shop_reader, shop_ops" >/dev/null
q "CREATE ROLE shop_writer LOGIN; GRANT mc_event_writer TO shop_writer"   # only mc_event_writer
q "CREATE ROLE shop_reader LOGIN; GRANT mc_status_reader TO shop_reader"  # no mc_event_writer
q "CREATE ROLE shop_ops LOGIN; GRANT mc_status_reader TO shop_ops; GRANT SELECT ON mc.delivery_log TO shop_ops"
# The gateway's login: mc_gateway (token lookup, unsubscribe), a member of each token role (to
# SET ROLE to it), and mc_status_reader for the queue depths of /metrics.
q "CREATE ROLE gw_login LOGIN PASSWORD 'gw-secret' IN ROLE mc_gateway, shop_writer, shop_reader, shop_ops, mc_status_reader"
writer_token=$(q "SELECT mc.create_api_token('shop_writer', 'shop writer')")
reader_token=$(q "SELECT mc.create_api_token('shop_reader', 'shop reader')")
ops_token=$(q "SELECT mc.create_api_token('shop_ops', 'ops')")
check "a token is returned once and only its SHA-256 is stored" \
  test "$(q "SELECT count(*) FROM mc.api_token t WHERE t.token_sha256 = sha256(convert_to('$writer_token', 'UTF8')) AND position('$writer_token' IN t::text) = 0")" = 1
check "mc.create_api_token is refused to PUBLIC" \
  bash -c "! psql -X -q -d $db -c \"SET ROLE shop_writer; SELECT mc.create_api_token('shop_writer', 'x')\" 2>/dev/null"
check "a token for a superuser is refused" \
  bash -c "! psql -X -q -d $db -c \"SELECT mc.create_api_token('$PGUSER', 'su')\" 2>/dev/null"
check "mc.api_token is not readable by token roles" \
  bash -c "! psql -X -q -d $db -c 'SET ROLE shop_ops; SELECT * FROM mc.api_token' 2>/dev/null"

check "the SECURITY DEFINER functions pin search_path" test "$(q "SELECT count(*) FROM pg_proc
  WHERE pronamespace = 'mc'::regnamespace AND prosecdef
    AND proname IN ('api_token_role', 'unsubscribe_token', 'unsubscribe')
    AND proconfig = ARRAY['search_path=pg_catalog, mc, pg_temp']")" = 3
check "only mc_gateway's members may look tokens up or unsubscribe" test "$(q "SELECT string_agg(r || ':' ||
    has_function_privilege(r, 'mc.api_token_role(text)', 'EXECUTE') || has_function_privilege(r, 'mc.unsubscribe(text)', 'EXECUTE'), ' ' ORDER BY r)
  FROM unnest(ARRAY['gw_login', 'mc_event_writer', 'mc_status_reader']) r")" = "gw_login:truetrue mc_event_writer:falsefalse mc_status_reader:falsefalse"
check "token roles cannot build unsubscribe tokens (only mc_delivery_agent)" test "$(q "SELECT
    has_function_privilege('shop_ops', 'mc.unsubscribe_token(bigint, text)', 'EXECUTE')::text ||
    has_function_privilege('mc_delivery_agent', 'mc.unsubscribe_token(bigint, text)', 'EXECUTE')::text")" = falsetrue

# --- the gateway on a free port (port 0: it prints the one it got)
conninfo="host=${PGHOST:-localhost} port=${PGPORT:-5432} dbname=$db user=gw_login password=gw-secret"
"$gw_bin" --listen 127.0.0.1:0 --conninfo "$conninfo" --pool-size 4 --threads 8 \
  --max-body-bytes 1048576 --read-timeout-s 2 2>"$work/gw.log" &
gw_pid=$!
port=
for _ in $(seq 50); do
  port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/gw.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "not ok - mc-gateway did not start"; cat "$work/gw.log"; exit 1; }
base="http://127.0.0.1:$port"
ok "mc-gateway listens on 127.0.0.1:$port"
rss_start=$(rss_kb)

# --- Adobe's SDK, unmodified
before=$(q "SELECT count(*) FROM mc.event")
node test/gateway/sdk_test.js "$base" "$writer_token" "$reader_token" "$ops_token" "$work/sdk.json" || failures=$((failures + 1))
if [ -s "$work/sdk.json" ]; then
  rt_id=$(node -e "console.log(require('$work/sdk.json').rtId)")
  batch_one=$(node -e "console.log(require('$work/sdk.json').batchOne)")
  batch_many=$(node -e "console.log(require('$work/sdk.json').batchMany.join(','))")
  check "the SDK's rt event is in mc.rt_event with its fields, its id the one returned" \
    test "$(q "SELECT concat_ws('|', event_type, email, external_id, wished_channel, ctx::text) FROM mc.rt_event WHERE id = $rt_id")" \
    = 'welcome|ada@example.com|cust-42|email|{"age": "36", "order": {"id": "A1", "line": [{"sku": "X"}, {"sku": "Y"}]}, "plain": "v", "firstName": "Ada"}'
  check "the SDK's batch events are in mc.batch_event, ids as returned, in order" \
    test "$(q "SELECT string_agg(email, ',' ORDER BY id) FROM mc.batch_event WHERE id IN ($batch_one, $batch_many)")" \
    = "bob@example.com,c1@example.com,c2@example.com"
  rt_many=$(node -e "console.log(require('$work/sdk.json').rtMany.join(','))")
  check "nmsRtEvent.pushEvents: the sms event is in mc.rt_event (wishedChannel 1 -> sms)" \
    test "$(q "SELECT concat_ws('|', event_type, mobile_phone, wished_channel, ctx::text) FROM mc.rt_event WHERE id = $rt_many")" \
    = 'welcome|+46 70 123 45 67|sms|{}'
  check "pushEvents ids follow the array order" \
    test "$(q "SELECT string_agg(external_id, ',' ORDER BY array_position(ARRAY[$batch_many]::bigint[], id)) FROM mc.batch_event WHERE id IN ($batch_many)")" = "c1,c2"
fi
check "refused and unauthenticated pushes stored nothing (26 events from the SDK)" \
  test "$(q "SELECT count(*) - $before FROM mc.event")" = 26
check "the 20 concurrent pushes are all stored" test "$(q "SELECT count(DISTINCT email) FROM mc.rt_event WHERE event_type = 'burst'")" = 20
check "no event of the refused roles or tokens" \
  test "$(q "SELECT count(*) FROM mc.event WHERE email IN ('eve@example.com', 'mallory@example.com', 'not-an-email')")" = 0

# --- JSON API against the OpenAPI document
node test/gateway/api_test.js "$base" "$writer_token" "$reader_token" "$ops_token" src/gateway/openapi.json ||
  failures=$((failures + 1))

# --- revocation. The gateway remembers looked-up tokens (token_cache.hpp): the reader token
# was used just above, so it is remembered; the revocation must still win, through the
# notification (trigger api_token_changed -> LISTEN mc_api_token_changed), however the token
# is removed.
check "the reader token works before its revocation" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Session-Token: $reader_token" "$base/nl/jsp/mcPing.jsp")" = 200
q "SELECT mc.revoke_api_token('shop reader')" >/dev/null
check "a revoked token gets 401" test "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Session-Token: $reader_token" "$base/nl/jsp/mcPing.jsp")" = 401
spare_token=$(q "SELECT mc.create_api_token('shop_writer', 'spare')")
check "a new token works (and is now remembered)" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $spare_token" -H 'Content-Type: application/json' --data-binary '{"type":"spare","email":"spare@example.com","ctx":{}}' "$base/api/v1/events/rt")" = 201
q "DELETE FROM mc.api_token WHERE label = 'spare'" >/dev/null
check "a token deleted by hand (not through mc.revoke_api_token) gets 401 too" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $spare_token" -H 'Content-Type: application/json' --data-binary '{"type":"spare","email":"spare2@example.com","ctx":{}}' "$base/api/v1/events/rt")" = 401
check "the gateway listens for token changes (its cache is on)" \
  test "$(q "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE query = 'LISTEN mc_api_token_changed'")" = 1

# --- one-click unsubscribe (RFC 8058): a processed event has a delivery-log row
# (Its unsubscribe_url points at this gateway: the List-Unsubscribe URL the sender would send.)
q "SELECT mc.create_template('welcome_mail', 'welcome', 'email', subject => 'Hi', body_text => 'Hi {{ctx.firstName}}', unsubscribe_url => '$base/u/{{unsubscribe_token}}')" >/dev/null
q "SELECT mc.publish_template('welcome_mail')" >/dev/null
q "SELECT mc.rt_events_processing()" >/dev/null
if [ -n "${rt_id:-}" ]; then
  token=$(q "SELECT mc.unsubscribe_token($rt_id, 'ada@example.com')")
  key=$(q "SELECT encode(key, 'hex') FROM mc.unsubscribe_key")
  expected=$(printf '%s\n%s' "$rt_id" "ada@example.com" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" | awk '{print $NF}')
  check "the unsubscribe token is <id>.<HMAC-SHA256(key, id LF address)> (checked with openssl)" test "$token" = "$rt_id.$expected"
  forged="$rt_id.$(printf '%s' "$expected" | tr '0-9a-f' '1-9a-f0')"
  check "a forged unsubscribe token is refused (403)" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -d 'List-Unsubscribe=One-Click' "$base/u/$forged")" = 403
  check "another event's id with this HMAC is refused" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -d 'List-Unsubscribe=One-Click' "$base/u/$batch_one.$expected")" = 403
  check "nothing was quarantined by them" test "$(q "SELECT count(*) FROM mc.quarantine")" = 0
  url=$(q "SELECT unsubscribe_url FROM mc.delivery_log WHERE event_id = $rt_id")
  check "the message's rendered List-Unsubscribe URL is this gateway's /u/{token}" test "$url" = "$base/u/$token"
  check "POST of that URL with List-Unsubscribe=One-Click: 200" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -d 'List-Unsubscribe=One-Click' "$url")" = 200
  check "the address is in mc.quarantine for its channel, reason unsubscribed" \
    test "$(q "SELECT concat_ws('|', channel, address, reason) FROM mc.quarantine")" = "email|ada@example.com|unsubscribed"
  # The delivery outcome through GET /api/v1/events/{id}, for a role that may read mc.delivery_log.
  # A first outcome is reported with the lease of the claim (report_delivery refuses it without).
  q "SELECT count(mc.report_delivery(event_id, 'sent', lease => lease_token))
     FROM mc.claim_messages('email', 100, '5 minutes') WHERE event_id = $rt_id" >/dev/null
  q "SELECT mc.update_events_status()" >/dev/null
  got=$(curl -s -H "Authorization: Bearer $ops_token" "$base/api/v1/events/$rt_id" |
    python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["status"], e["channel"], e["delivery"] and e["delivery"]["status"], e["processedAt"] is not None)')
  check "GET /api/v1/events/{id} shows the outcome: sent, with the delivery-log row ($got)" test "$got" = "sent email sent True"
  check "token roles cannot read the unsubscribe key" \
    bash -c "! psql -X -q -d $db -c 'SET ROLE shop_ops; SELECT * FROM mc.unsubscribe_key' 2>/dev/null"
fi

# --- metrics
curl -s "$base/metrics" >"$work/metrics"
check "/metrics counts requests by route and code" grep -q 'mc_gateway_requests_total{route="soap",code="200"}' "$work/metrics"
check "/metrics has the latency histogram" grep -q 'mc_gateway_request_duration_seconds_bucket{route="events_push",le="+Inf"}' "$work/metrics"
check "/metrics labels the trailing-slash SOAP calls as soap too" bash -c "! grep -q 'route=\"other\",code=\"200\"' $work/metrics"
check "/metrics has pool usage" grep -q 'mc_gateway_pool_connections{state="in_use"}' "$work/metrics"
check "/metrics has the queue depths" grep -q '^mc_queue_pending_events{queue="batch"} [0-9]' "$work/metrics"

# --- bad input
soap() { curl -s -m 10 -o "$work/soap.out" -w '%{http_code}' -H 'Content-Type: text/xml' \
  -H "X-Session-Token: $writer_token" --data-binary "@$1" "$base/nl/jsp/soaprouter.jsp"; }
printf '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><m:PushEvent xmlns:m="urn:nms:rtEvent"><rtEvent type="x"' >"$work/malformed.xml"
check "malformed XML: HTTP 500 with a SOAP-ENV:Client fault" test "$(soap "$work/malformed.xml")" = 500
check "and the fault says why" grep -q '<faultcode>SOAP-ENV:Client</faultcode><faultstring xsi:type="xsd:string">MCG-100001 malformed XML' "$work/soap.out"
{
  echo '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
  prev=lol
  for i in 1 2 3 4 5 6 7 8 9; do
    echo "<!ENTITY lol$i \"$(for _ in 1 2 3 4 5 6 7 8 9 10; do printf '&%s;' "$prev"; done)\">"
    prev=lol$i
  done
  echo ']><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
  echo '<m:PushEvent xmlns:m="urn:nms:rtEvent"><sessiontoken/><domEvent><rtEvent type="&lol9;"><ctx/></rtEvent></domEvent></m:PushEvent></SOAP-ENV:Body></SOAP-ENV:Envelope>'
} >"$work/bomb.xml"
start=$SECONDS
check "an XML bomb (billion laughs) is refused: a DOCTYPE is not allowed" test "$(soap "$work/bomb.xml")" = 500
check "at once" test $((SECONDS - start)) -le 2
check "and nothing was stored" test "$(q "SELECT count(*) FROM mc.event WHERE event_type LIKE 'lol%' OR event_type LIKE '&%'")" = 0
printf '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><m:PushEvent xmlns:m="urn:nms:rtEvent"><sessiontoken/><domEvent><rtEvent type="t" origin="&e;"><ctx/></rtEvent></domEvent></m:PushEvent></SOAP-ENV:Body></SOAP-ENV:Envelope>' >"$work/xxe.xml"
check "an external entity is refused" test "$(soap "$work/xxe.xml")" = 500
check "nothing from /etc/passwd was stored" test "$(q "SELECT count(*) FROM mc.event WHERE origin LIKE '%root%'")" = 0
python3 -c "print('<a>' * 100 + '</a>' * 100)" >"$work/deep_ctx"
{ printf '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><m:PushEvent xmlns:m="urn:nms:rtEvent"><sessiontoken/><domEvent><rtEvent type="t"><ctx>'
  cat "$work/deep_ctx"; printf '</ctx></rtEvent></domEvent></m:PushEvent></SOAP-ENV:Body></SOAP-ENV:Envelope>'; } >"$work/deep.xml"
check "a ctx nested 100 deep is refused (MCG-100004)" bash -c "[ \"\$(curl -s -H 'X-Session-Token: $writer_token' --data-binary @$work/deep.xml $base/nl/jsp/soaprouter.jsp | grep -c MCG-100004)\" = 1 ]"
python3 -c "print('[' * 100000 + ']' * 100000)" >"$work/deep.json"
check "a JSON body nested 100,000 deep: 400" test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $writer_token" -H 'Content-Type: application/json' --data-binary "@$work/deep.json" "$base/api/v1/events/rt")" = 400

head -c 104857600 /dev/zero | tr '\0' 'x' >"$work/100mb"
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -H 'Content-Type: text/xml' -H "X-Session-Token: $writer_token" \
  --data-binary "@$work/100mb" "$base/nl/jsp/soaprouter.jsp")
check "a 100 MB body (Content-Length) is refused with 413 before it is read (got $code)" test "$code" = 413
code=$(head -c 104857600 /dev/zero | curl -s -m 30 -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
  -H "Authorization: Bearer $writer_token" -H 'Content-Type: application/json' -T - -X POST "$base/api/v1/events/rt")
check "a 100 MB chunked body is refused with 411 (got $code)" test "$code" = 411
rm -f "$work/100mb"
# A POST without Content-Length would be read to EOF: refused before.
python3 - "$port" <<'PY' >"$work/nolength.out" 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"POST /api/v1/events/rt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + b"x" * 65536)
print(s.recv(100).split(b"\r\n")[0].decode())
PY
check "a POST without Content-Length is refused with 411 ($(cat "$work/nolength.out"))" grep -q "^HTTP/1.1 411" "$work/nolength.out"

# A client that sends half a request and stalls is dropped after the read timeout (2 s here);
# others are served meanwhile.
python3 - "$port" <<'PY' >"$work/slow.out" 2>&1 &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
s.sendall(b"POST /api/v1/events/rt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"type\":")
start = time.time()
try:
    data = s.recv(4096)
    print("closed after %.1f s: %r" % (time.time() - start, data[:40]))
except socket.timeout:
    print("still open after 15 s")
PY
slow_pid=$!
sleep 0.5
check "another client is served while one stalls" bash -c "[ \"\$(curl -s -m 3 -o /dev/null -w '%{http_code}' $base/r/test)\" = 200 ]"
wait "$slow_pid"
check "the stalled client is dropped within the read timeout ($(cat "$work/slow.out"))" \
  grep -Eq 'closed after [0-3]\.[0-9] s' "$work/slow.out"

# Many requests of every kind, then memory.
for i in $(seq 200); do
  curl -s -o /dev/null -H 'X-Session-Token: x' --data-binary "@$work/bomb.xml" "$base/nl/jsp/soaprouter.jsp"
done
rss_end=$(rss_kb)
check "the gateway's RSS stays bounded (${rss_start} kB at start, ${rss_end} kB after all the above)" \
  test "$rss_end" -lt $((rss_start + 65536))
check "the gateway is still up after the bad input" alive

# --- the database going away and coming back
push_code() { curl -s -m 10 -o "$work/push.out" -w '%{http_code}' -H "Authorization: Bearer $writer_token" \
  -H 'Content-Type: application/json' -d '{"type":"t","ctx":{}}' "$base/api/v1/events/rt"; }
cluster_version=$(pg_lsclusters -h | awk '$2 == "regress" {print $1; exit}')
if [ -n "$cluster_version" ]; then
  pg_ctlcluster "$cluster_version" regress stop -m fast
  code=$(push_code)
  check "database down: a push gets 503 problem+json with an 08xxx sqlstate (got $code)" \
    grep -q '"sqlstate":"08' "$work/push.out"
  [ "$code" = 503 ] || not_ok "database down: HTTP status 503 (got $code)"
  ping_body=$(curl -s -o - -w '|%{http_code}' -H "X-Session-Token: $ops_token" "$base/nl/jsp/mcPing.jsp" | tr '\n' ' ')
  check "database down: mcPing says Error on 200, as the SDK expects ($ping_body)" \
    test "${ping_body%% *}|${ping_body##*|}" = "Error|200"
  pg_ctlcluster "$cluster_version" regress start
  check "database back: the next push succeeds on a fresh connection" test "$(push_code)" = 201
  # Stale pooled connections (the server restarted under them) are replaced transparently.
  for _ in 1 2 3 4; do push_code >/dev/null; done
  pg_ctlcluster "$cluster_version" regress restart -m fast
  check "after a restart with idle pooled connections, a push succeeds" test "$(push_code)" = 201
else
  not_ok "no pg_virtualenv cluster found for the restart checks"
fi

# --- group commit of single-event pushes (push_batcher.hpp): a second gateway with one lane,
# so that queued pushes leave together deterministically (test/e2e/gateway_batch.py)
batch_reader_token=$(q "SELECT mc.create_api_token('shop_reader', 'batch reader')")
"$gw_bin" --listen 127.0.0.1:0 --conninfo "$conninfo" --pool-size 4 --threads 16 --push-lanes 1 \
  --token-cache-s 3600 --statement-timeout-ms 60000 2>"$work/gw2.log" &
gw2_pid=$!
port2=
for _ in $(seq 50); do
  port2=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/gw2.log")
  [ -n "$port2" ] && break
  sleep 0.1
done
# Its token cache is on once its listener listens.
for _ in $(seq 100); do
  [ "$(q "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE query = 'LISTEN mc_api_token_changed'")" = 2 ] && break
  sleep 0.1
done
if [ -n "$port2" ]; then
  python3 test/e2e/gateway_batch.py "http://127.0.0.1:$port2" "$db" "$writer_token" "$batch_reader_token" ||
    failures=$((failures + 1))
else
  not_ok "the second gateway (--push-lanes 1) did not start"
fi
kill -TERM "$gw2_pid"; wait "$gw2_pid"
gw2_pid=

# --- graceful shutdown
kill -TERM "$gw_pid"
stopped=1
for _ in $(seq 100); do kill -0 "$gw_pid" 2>/dev/null || { stopped=0; break; }; sleep 0.1; done
wait "$gw_pid"; rc=$?
gw_pid=
check "SIGTERM stops the gateway within 10 s, exit status 0 (got $rc)" test "$stopped" = 0 -a "$rc" = 0
check "the access log has a line per request, without tokens or unsubscribe links" \
  bash -c "grep -q 'POST /nl/jsp/soaprouter.jsp 200' $work/gw.log && grep -q 'POST /u/... 200' $work/gw.log && ! grep -q -e '$writer_token' -e '${token:-none}' $work/gw.log"

if [ "$failures" -ne 0 ]; then
  echo "# $failures failure(s); gateway log tail:"
  tail -20 "$work/gw.log" | sed 's/^/# /'
  exit 1
fi
echo "# all gateway tests passed"
