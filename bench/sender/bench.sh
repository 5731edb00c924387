#!/usr/bin/env bash
# Inner part of bench/sender/run.sh (inside pg_virtualenv).
set -euo pipefail
runs=$SENDER_RUNS n=$SENDER_MESSAGES
# SENDER_WORKERS (default 1) workers share the 8 connections (8 / workers each).
workers=${SENDER_WORKERS:-1} conns=$((8 / ${SENDER_WORKERS:-1}))
work=$(mktemp -d /tmp/mc-bench-sender.XXXXXX)
chmod 755 "$work"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres -c "$1"; }
ms() { date +%s%3N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Servers: smtp-sink (as root it needs -u), nginx-light (config of design/delivery.md section 7).
/usr/sbin/smtp-sink -u nobody 127.0.0.1:2525 1024 >/dev/null 2>&1 & pids+=($!)
mkdir -p "$work/nginx/body"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1; pid $work/nginx/nginx.pid; error_log stderr warn;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $work/nginx/body; keepalive_requests 100000;
  server { listen 127.0.0.1:8088 backlog=4096;
    location / { default_type application/json; return 200 '{"id":"sink-ok"}\n'; } } }
NGINX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e stderr -g 'daemon off;' 2>/dev/null & pids+=($!)
sleep 1

q "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
q "CREATE EXTENSION message_center" >/dev/null
body=$(printf 'The quick brown fox jumps over the lazy dog 0123456789 abcdefghij%.0s\\n' $(seq 1 31))
q "SELECT mc.create_template('mail', 'mail', 'email', sender => 'bench@example.test', subject => 'Bench {{ctx.n}}', body_text => E'$body')" >/dev/null
q "SELECT mc.publish_template('mail')" >/dev/null
q "SELECT mc.create_template('hook', 'hook', 'webhook', webhook_url => 'http://127.0.0.1:8088/hook', body_text => '{\"n\":{{ctx.n}},\"pad\":\"0123456789012345678901234567890123456789\"}')" >/dev/null
q "SELECT mc.publish_template('hook')" >/dev/null
q "SELECT mc.create_provider('sink', 'email', 'smtp', 'smtp://127.0.0.1:2525', '{\"starttls\":\"off\",\"max_connections\":$conns,\"max_messages_per_connection\":1000000,\"helo\":\"bench.test\"}')" >/dev/null
q "SELECT mc.create_provider('nginx', 'webhook', 'http', NULL, '{\"max_connections\":$conns}')" >/dev/null
q "SELECT mc.set_provider_secret('nginx', 'k')" >/dev/null
q "UPDATE mc.settings SET sender_workers = $workers"
q "SELECT mc._ensure_senders()" >/dev/null

prepare() {  # prepare CHANNEL TYPE: n pending messages, not routed yet
  q "SELECT mc.route_channel('$1', NULL)" >/dev/null
  q "TRUNCATE mc.batch_event, mc.rt_event, mc.delivery_log" >/dev/null
  q "SELECT count(*) FROM mc.push_events((SELECT jsonb_agg(jsonb_build_object('type', '$2', 'wishedChannel', '$1', 'email', format('u%s@example.org', g), 'ctx', jsonb_build_object('n', g))) FROM generate_series(1, $n) g), 'batch')" >/dev/null
  until [ "$(q "SELECT mc.batch_events_processing(5000)")" = 0 ]; do :; done
  q "VACUUM ANALYZE mc.delivery_log" >/dev/null; q "CHECKPOINT" >/dev/null
}
ours() {  # ours CHANNEL PROVIDER -> messages per second (route, then until every one is recorded)
  # Timed on the server: from just before the route is set (the messages become claimable when
  # it commits) to the commit of the last outcome recorded (track_commit_timestamp, run.sh).
  # psql's start-ups and the 10 ms poll below are not the sender's work, and on a 10,000-message
  # run they were ~8 % of the time (smtp-source and wrk have no such overhead). The client-side
  # wall clock, which includes them, is kept too (the "wall clock" line of the summary).
  local t0 t1 w0 w1
  w0=$(ms)
  t0=$(q "SELECT extract(epoch FROM clock_timestamp()), mc.route_channel('$1', '$2')" | cut -d'|' -f1)
  # One session waits server-side (a psql per 50 ms poll cost ~20 % of a core, taken from the
  # worker during our runs only).
  q "DO \$\$ BEGIN WHILE EXISTS (SELECT FROM mc.delivery_log WHERE status = 'pending') LOOP PERFORM pg_sleep(0.01); END LOOP; END \$\$"
  w1=$(ms)
  t1=$(q "SELECT extract(epoch FROM max(pg_catalog.pg_xact_commit_timestamp(xmin))) FROM mc.delivery_log")
  [ "$(q "SELECT count(*) FROM mc.delivery_log WHERE status = 'sent'")" = "$n" ] || { echo "not every message sent" >&2; q "SELECT status, failure_reason, count(*) FROM mc.delivery_log GROUP BY 1, 2" >&2; exit 1; }
  echo "scale=1; $n * 1000 / ($w1 - $w0)" | bc >>"$work/wall_$1"
  echo "scale=1; $n / ($t1 - $t0)" | bc
}
smtp_source() {
  local t0 t1
  t0=$(ms)
  /usr/sbin/smtp-source -s 8 -m "$n" -l 2048 -d -f bench@example.test -t u1@example.org 127.0.0.1:2525
  t1=$(ms)
  echo "scale=1; $n * 1000 / ($t1 - $t0)" | bc
}
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"n":1,"pad":"0123456789012345678901234567890123456789"}'
wrk.headers["Content-Type"] = "application/json"
LUA
wrk_rate() { wrk -t1 -c8 -d10s -s "$work/post.lua" http://127.0.0.1:8088/hook | awk '/Requests\/sec/ {print $2}'; }

# The webhook sending path alone, without PostgreSQL (bench/sender/http_client_bench.cpp, CMake
# target http_client_bench): the native keep-alive client and libcurl, N signed POSTs each.
client=${HTTP_CLIENT_BENCH:-build/http_client_bench}
client_rate() { "$client" http://127.0.0.1:8088/hook "$((n * 5))" "$conns" "$1" | awk '{print $1}'; }

echo "# Sender benchmarks ($(date -u +%FT%TZ), $(nproc) cores, $n messages per run, $runs runs, $workers worker(s) x $conns connections)"
echo
e_ours=() e_base=() h_ours=() h_base=() c_native=() c_curl=() c_wrk=()
for i in $(seq 1 "$runs"); do
  prepare email mail
  if [ $((i % 2)) = 1 ]; then e_ours+=("$(ours email sink)"); e_base+=("$(smtp_source)"); else e_base+=("$(smtp_source)"); e_ours+=("$(ours email sink)"); fi
  q "SELECT mc.route_channel('email', NULL)" >/dev/null
  prepare webhook hook
  if [ $((i % 2)) = 1 ]; then h_ours+=("$(ours webhook nginx)"); h_base+=("$(wrk_rate)"); else h_base+=("$(wrk_rate)"); h_ours+=("$(ours webhook nginx)"); fi
  q "SELECT mc.route_channel('webhook', NULL)" >/dev/null
  echo "run $i: email ours ${e_ours[-1]}/s smtp-source ${e_base[-1]}/s; webhook ours ${h_ours[-1]}/s wrk ${h_base[-1]}/s" >&2
  if [ -x "$client" ]; then
    c_native+=("$(client_rate native)"); c_curl+=("$(client_rate curl)"); c_wrk+=("$(wrk_rate)")
    echo "run $i: client alone native ${c_native[-1]}/s curl ${c_curl[-1]}/s wrk ${c_wrk[-1]}/s" >&2
  fi
done
eo=$(printf '%s\n' "${e_ours[@]}" | median); eb=$(printf '%s\n' "${e_base[@]}" | median)
ho=$(printf '%s\n' "${h_ours[@]}" | median); hb=$(printf '%s\n' "${h_base[@]}" | median)
er=$(echo "scale=2; $eo / $eb" | bc); hr=$(echo "scale=2; $ho / $hb" | bc)
# Each run's own ratio (ours and its baseline measured back to back), and their median: the
# figure least moved by the machine's load changing between runs.
ratios() { local -n o=$1 b=$2; for k in "${!o[@]}"; do echo "scale=2; ${o[$k]} / ${b[$k]}" | bc; done; }
e_ratios=$(ratios e_ours e_base | tr '\n' ' '); h_ratios=$(ratios h_ours h_base | tr '\n' ' ')
erm=$(ratios e_ours e_base | median); hrm=$(ratios h_ours h_base | median)
echo "| case | ours (median) | baseline (median) | ratio | target |"
echo "|---|---|---|---|---|"
echo "| email, pending -> smtp-sink -> sent recorded, 8 connections, 2 KB | $eo msg/s | smtp-source -s 8 -d -l 2048: $eb msg/s | $er | >= 1.0: $(echo "$er >= 1.0" | bc | sed 's/1/yes/;s/0/**no**/') |"
echo "| webhook, pending -> nginx -> sent recorded, 8 connections | $ho req/s | wrk -t1 -c8: $hb req/s | $hr | >= 0.25: $(echo "$hr >= 0.25" | bc | sed 's/1/yes/;s/0/**no**/') |"
if [ -x "$client" ]; then
  cn=$(printf '%s\n' "${c_native[@]}" | median); cc=$(printf '%s\n' "${c_curl[@]}" | median)
  cw=$(printf '%s\n' "${c_wrk[@]}" | median)
  echo "| webhook sending path alone (no PostgreSQL), $((n * 5)) signed POSTs: native client / libcurl | $cn / $cc req/s | wrk -t1 -c8: $cw req/s | $(echo "scale=2; $cn / $cw" | bc) / $(echo "scale=2; $cc / $cw" | bc) | — |"
else
  echo "(no $client: the sending path alone was not measured; cmake --build build --target http_client_bench)"
fi
echo
echo "Runs: email ours ${e_ours[*]}; smtp-source ${e_base[*]}; webhook ours ${h_ours[*]}; wrk ${h_base[*]}"
echo "Per-run ratios: email ${e_ratios}(median $erm); webhook ${h_ratios}(median $hrm)"
ew=$(median <"$work/wall_email"); hw=$(median <"$work/wall_webhook")
echo "Ours by the client's wall clock (psql start-ups and the 10 ms poll included): email $(tr '\n' ' ' <"$work/wall_email")(median $ew, $(echo "scale=2; $ew / $eb" | bc)x); webhook $(tr '\n' ' ' <"$work/wall_webhook")(median $hw, $(echo "scale=2; $hw / $hb" | bc)x)"
[ -x "$client" ] && echo "Client alone: native ${c_native[*]}; curl ${c_curl[*]}; wrk ${c_wrk[*]}"

# rt latency through the real pg_cron workflows, 200 events/s.
/usr/bin/python3 bench/sender/stamp_smtp.py --out "$work/stamps.txt" --port 2527 >"$work/stamp.out" 2>&1 & pids+=($!)
stamp_pid=$!
for _ in $(seq 1 100); do grep -q READY "$work/stamp.out" && break; sleep 0.1; done
q "SELECT mc.create_provider('stamp', 'email', 'smtp', 'smtp://127.0.0.1:2527', '{\"starttls\":\"off\",\"max_connections\":4,\"helo\":\"bench.test\"}')" >/dev/null
q "SELECT mc.route_channel('email', 'stamp')" >/dev/null
q "TRUNCATE mc.batch_event, mc.rt_event, mc.delivery_log"
q "SELECT count(*) FROM mc.start_workflows()" >/dev/null
echo "waiting for the first pg_cron tick of rtEventsProcessing..." >&2
until [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CALL mc.rt_events_loop%'")" -ge 1 ]; do sleep 0.5; done
cat >"$work/push.sql" <<'SQL'
SELECT mc.push_event(jsonb_build_object('type', 'mail', 'email', 'lat' || (random() * 1e9)::bigint || '@example.org', 'ctx', jsonb_build_object('n', 1)));
SQL
pgbench -n -c 2 -j 2 -R 200 -T "$LATENCY_SECONDS" -f "$work/push.sql" postgres >/dev/null 2>&1
pushed=$(q "SELECT count(*) FROM mc.rt_event")
for _ in $(seq 1 100); do [ "$(wc -l <"$work/stamps.txt")" -ge "$pushed" ] && break; sleep 0.2; done
q "CREATE TEMP TABLE s (event_id text, at double precision)" >/dev/null
latency=$(psql -X -q -At -v ON_ERROR_STOP=1 -d postgres <<SQL
CREATE TEMP TABLE s (event_id text, at double precision);
\copy s FROM '$work/stamps.txt' WITH (FORMAT text, DELIMITER ' ')
SELECT 'events=' || count(*) || ' p50_ms=' || round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 1)
       || ' p99_ms=' || round((percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::numeric, 1)
       || ' max_ms=' || round(max(ms)::numeric, 1)
FROM (SELECT (s.at - extract(epoch FROM e.created_at)) * 1000 AS ms
      FROM s JOIN mc.rt_event e ON e.id = s.event_id::bigint) l;
SQL
)
q "SELECT count(*) FROM mc.stop_workflows()" >/dev/null
echo
echo "rt latency, event committed -> accepted by the SMTP server, 200 events/s for ${LATENCY_SECONDS} s through rtEventsProcessing and the sender worker ($pushed pushed): $latency (targets p50 <= 20 ms, p99 <= 100 ms)"
