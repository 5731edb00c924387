#!/usr/bin/env bash
# SMTP providers with STARTTLS and AUTH, end to end (spec section 8), against
# test/servers/smtp_server.py (aiosmtpd) with --tls (a self-signed certificate made at start)
# and --auth. In a cluster of its own, pg_cron preloaded, the sender workers started by
# mc.start_workflows:
#   - starttls required + AUTH, the server's certificate trusted through options.tls_ca:
#     delivered, over TLS, logged in as the provider's user;
#   - smtps:// (implicit TLS) + AUTH, the certificate trusted: delivered, over TLS, logged in;
#   - the same without tls_ca (the system's CAs): the certificate is refused, the message is
#     deferred and never sent (not in clear either);
#   - starttls required against a server that offers no STARTTLS: deferred, never sent in clear;
#   - a wrong password: 535 -> deferred with the reply as the reason;
#   - the password appears nowhere a role or an operator can read: not in mc.provider,
#     mc.provider_status, the delivery log, pg_cron's jobs, or the server log.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
port=${MC_SENDER_TLS_PORT:-5498}
py=/usr/bin/python3
bindir=$(pg_config --bindir)
dir=$(mktemp -d /tmp/mc-sender-tls.XXXXXX)
chmod 755 "$dir"
chown postgres "$dir"
password='s3cret-Relay-pass'
setpriv --reuid=postgres --regid=postgres --init-groups "$bindir/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
pm=
cleanup() {
  if [ -n "$pm" ]; then
    kill -9 "$pm" $(pgrep -P "$pm" || true) 2>/dev/null || true
    wait "$pm" 2>/dev/null || true
  fi
  stop_servers
  if [ -n "${MC_KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
setsid setpriv --reuid=postgres --regid=postgres --init-groups \
  "$bindir/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses= \
  -c fsync=off -c max_connections=40 -c max_worker_processes=16 \
  -c shared_preload_libraries=pg_cron -c cron.database_name=postgres -c cron.host="$dir" \
  >>"$dir/server.log" 2>&1 &
pm=$!
for _ in $(seq 1 300); do pg_isready -q && break; sleep 0.1; done

q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
failures=0
check() {  # check "what" command...
  local what=$1; shift
  if "$@"; then echo "ok - $what"; else echo "not ok - $what"; failures=$((failures + 1)); fi
}
wait_for() {  # wait_for "<sql returning t>" seconds what
  local deadline=$((SECONDS + $2))
  until [ "$(q "$1" 2>/dev/null || true)" = "t" ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "not ok - $3 (timed out after $2 s)"
      q "SELECT address, status, attempts, failure_reason FROM mc.delivery_log ORDER BY event_id" || true
      failures=$((failures + 1))
      return 0
    fi
    sleep 0.2
  done
  echo "ok - $3"
}
# shellcheck source=../support/test_servers.sh
source "$repo/test/support/test_servers.sh"
received() { ls "$dir/$1"/*.eml 2>/dev/null | wc -l; }
push() { q "SELECT mc.push_event(jsonb_build_object('type', 'welcome', 'email', '$1', 'ctx', '{}'::jsonb))" >/dev/null; }
send_via() {  # send_via PROVIDER ADDRESS: email routed to it, one message pushed and processed
  q "SELECT mc.route_channel('email', '$1')" >/dev/null
  push "$2"
  q "SELECT mc.rt_events_processing()" >/dev/null
}
arrived_over_tls_as_user() {  # arrived_over_tls_as_user SERVER: its one message came over TLS, logged in
  "$py" -c 'import glob, json, sys; r = [json.load(open(f)) for f in glob.glob(sys.argv[1] + "/[0-9]*.json")]
sys.exit(0 if len(r) == 1 and r[0]["tls"] is True and r[0]["login"] == "relay-user" else 1)' "$dir/$1"
}

secure=$(serve secure smtp_server.py --tls --auth "relay-user:$password")
implicit=$(serve implicit smtp_server.py --implicit-tls --auth "relay-user:$password")
plain=$(serve plain smtp_server.py --auth "relay-user:$password")
ca=$(cat "$dir/secure/cert.pem")

q "CREATE EXTENSION pg_cron"
q "CREATE EXTENSION message_center"
q "UPDATE mc.settings SET sender_workers = 1"
q "SELECT mc.create_template('welcome', 'welcome', 'email', sender => 'shop@example.test', subject => 'Hi', body_text => 'Hello')" >/dev/null
q "SELECT mc.publish_template('welcome')" >/dev/null
opts() {  # opts PORT-independent options JSON with the CA or not
  "$py" -c 'import json, sys; o = {"starttls": "required", "username": "relay-user", "timeout_ms": 3000}
if len(sys.argv) > 1: o["tls_ca"] = sys.argv[1]
print(json.dumps(o))' "$@"
}
q "SELECT mc.create_provider('tls', 'email', 'smtp', 'smtp://127.0.0.1:$secure', \$j\$$(opts "$ca")\$j\$)" >/dev/null
q "SELECT mc.set_provider_secret('tls', \$s\$$password\$s\$)" >/dev/null
q "SELECT mc.create_provider('smtps', 'email', 'smtp', 'smtps://127.0.0.1:$implicit', \$j\$$("$py" -c 'import json, sys; print(json.dumps({"username": "relay-user", "timeout_ms": 3000, "tls_ca": sys.argv[1]}))' "$(cat "$dir/implicit/cert.pem")")\$j\$)" >/dev/null
q "SELECT mc.set_provider_secret('smtps', \$s\$$password\$s\$)" >/dev/null
q "SELECT mc.create_provider('untrusted', 'email', 'smtp', 'smtp://127.0.0.1:$secure', \$j\$$(opts)\$j\$)" >/dev/null
q "SELECT mc.set_provider_secret('untrusted', \$s\$$password\$s\$)" >/dev/null
q "SELECT mc.create_provider('no_starttls', 'email', 'smtp', 'smtp://127.0.0.1:$plain', \$j\$$(opts "$ca")\$j\$)" >/dev/null
q "SELECT mc.set_provider_secret('no_starttls', \$s\$$password\$s\$)" >/dev/null
q "SELECT mc.create_provider('wrong_pass', 'email', 'smtp', 'smtp://127.0.0.1:$secure', \$j\$$(opts "$ca")\$j\$)" >/dev/null
q "SELECT mc.set_provider_secret('wrong_pass', 'not-the-password')" >/dev/null
bad=$(psql -X -q -v VERBOSITY=verbose -c "SELECT mc.create_provider('bad', 'email', 'smtp', 'smtp://127.0.0.1:25', '{\"tls_ca\": \"/etc/ssl/certs/ca-certificates.crt\"}')" 2>&1 || true)
check "options.tls_ca that is not a certificate is refused (22023, naming the field)" \
  grep -q '22023: .*options.tls_ca: must be one or more PEM certificates' <<<"$bad"

q "SELECT count(*) FROM mc.start_workflows()" >/dev/null

# 1. STARTTLS + AUTH with the certificate trusted.
send_via tls ok1@example.org
wait_for "SELECT status = 'sent' FROM mc.delivery_log WHERE address = 'ok1@example.org'" 20 "STARTTLS + AUTH, certificate trusted through options.tls_ca: sent"
check "it arrived over TLS, logged in as the provider's user" arrived_over_tls_as_user secure

# 1b. Implicit TLS (smtps://), AUTH, certificate trusted.
send_via smtps ok2@example.org
wait_for "SELECT status = 'sent' FROM mc.delivery_log WHERE address = 'ok2@example.org'" 20 "smtps:// (TLS from the first byte) + AUTH: sent"
check "it arrived over TLS, logged in as the provider's user" arrived_over_tls_as_user implicit

# 2. The same server, the system's CAs: refused, deferred, nothing sent.
send_via untrusted untrusted1@example.org
wait_for "SELECT status = 'pending' AND attempts >= 1 AND failure_reason IS NOT NULL FROM mc.delivery_log WHERE address = 'untrusted1@example.org'" 20 "an untrusted certificate: deferred"
echo "# reason: $(q "SELECT failure_reason FROM mc.delivery_log WHERE address = 'untrusted1@example.org'")"
check "and nothing was sent to that server (still only the first message)" test "$(received secure)" = 1

# 3. starttls required, the server offers none: deferred, never in clear.
send_via no_starttls clear1@example.org
wait_for "SELECT status = 'pending' AND attempts >= 1 AND failure_reason IS NOT NULL FROM mc.delivery_log WHERE address = 'clear1@example.org'" 20 "starttls required, none offered: deferred"
check "and nothing went to that server in clear" test "$(received plain)" = 0

# 4. A wrong password: 535, deferred with the reply as reason.
send_via wrong_pass auth1@example.org
wait_for "SELECT status = 'pending' AND attempts >= 1 AND failure_reason IS NOT NULL FROM mc.delivery_log WHERE address = 'auth1@example.org'" 20 "a refused login: deferred"
echo "# reason: $(q "SELECT failure_reason FROM mc.delivery_log WHERE address = 'auth1@example.org'")"
check "and nothing was sent by it" test "$(received secure)" = 1

# 5. The password is nowhere to be read.
q "SELECT mc.stop_workflows()" >/dev/null
leak=$(q "SELECT count(*) FROM (
          SELECT p::text AS t FROM mc.provider p
          UNION ALL SELECT s::text FROM mc.provider_status s
          UNION ALL SELECT l::text FROM mc.delivery_log l
          UNION ALL SELECT j::text FROM cron.job j
          UNION ALL SELECT d::text FROM cron.job_run_details d) x
        WHERE t LIKE '%' || \$p\$$password\$p\$ || '%'")
check "the SMTP password is in no readable table or view (provider, provider_status, delivery log, pg_cron)" test "$leak" = 0
check "nor in the server log" bash -c "! grep -q -- '$password' '$dir/server.log'"

echo "# $failures failure(s)"
[ "$failures" = 0 ]
