#!/usr/bin/env bash
# Gateway benchmark (bench/README.md, "Gateway"): one event pushed per HTTP request through
# mc-gateway (JSON API, and SOAP nms:rtEvent#PushEvent as Adobe's SDK sends it), driven by wrk,
# against the strongest plain alternative: pgbench calling mc.push_event directly, as a login
# holding only mc_event_writer, with the same number of connections. One throwaway cluster
# (test/support/cluster.sh), loopback only, everything in the same run; the three cases
# alternate and rotate which goes first; medians of RUNS. Reports; never asserts timing.
#
# As root, where `make install` may write (inside /work/tools/nsrun for this project's shared
# machine). Output: the summary on stdout and in bench/results/gateway-<UTC time>.md.
#
# Knobs (environment):
#   GW_RUNS=3              measured runs per case (medians over them)
#   GW_DURATION=20         seconds per measurement
#   GW_CONNECTIONS=8       wrk connections = pgbench clients
#   GW_WRK_THREADS=2       wrk threads (pgbench always -j 2)
#   GW_ARGS="..."          extra mc-gateway options (default: its own defaults, pool 8, 16 threads)
#   GW_CASES="pgbench json soap direct_tx"   (direct_tx: a diagnostic, not a baseline, below)
#   GW_ARGS="--token-cache-s 0"  every request looks its token up (the 0.4.0 behaviour)
#   GW_PG_PORT=5531        the cluster's port (its socket is in a private directory)
#   GW_SETTINGS=tuned      tuned: fsync=off, shared_buffers 512MB, no checkpoint or autovacuum in
#                          a run; default: PostgreSQL's own settings (fsync and synchronous_commit
#                          on: every commit waits for its WAL flush, as in production); both
#                          with max_connections 60
#   GW_PG_ARGS="-c ..."    more server settings, after those (e.g. -c commit_delay=100)
#   GW_SKIP_SETUP=1        do not run make && make install (use what is installed)
#   GW_CLIENT_SCHED=batch  a diagnostic, not a figure: wrk and pgbench run as SCHED_BATCH, so a
#                          client woken by an answer does not preempt the server's processes
#                          (what that costs them on cores they share with the client)
#   MC_GATEWAY=path        the gateway binary (default: pg_config --bindir, else build/)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNS=${GW_RUNS:-3}
DURATION=${GW_DURATION:-20}
CONNS=${GW_CONNECTIONS:-8}
WRK_THREADS=${GW_WRK_THREADS:-2}
CASES=(${GW_CASES:-pgbench json soap direct_tx})
PORT=${GW_PG_PORT:-5531}
client=()
case ${GW_CLIENT_SCHED:-normal} in
normal) ;;
batch) client=(chrt -b 0) ;;
*) echo "GW_CLIENT_SCHED: normal or batch, not '$GW_CLIENT_SCHED'" >&2; exit 2 ;;
esac

log() { echo "[gateway $(date -u +%H:%M:%S)] $*" >&2; }

if [ "${GW_SKIP_SETUP:-0}" != 1 ]; then
  log "make && make install (the extension and mc-gateway)"
  make -C "$REPO" -j"$(nproc)" >/dev/null
  make -C "$REPO" install >/dev/null
fi
gw_bin=${MC_GATEWAY:-$(pg_config --bindir)/mc-gateway}
[ -n "${MC_GATEWAY:-}" ] || [ -x "$gw_bin" ] || gw_bin=$REPO/build/mc-gateway
[ -x "$gw_bin" ] || { echo "no mc-gateway: make && make install" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
gw_pid=
# shellcheck source=../../test/support/cluster.sh
source "$REPO/test/support/cluster.sh"
cleanup() {
  [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
  cluster_stop bench
  rm -rf "$work"
}
trap cleanup EXIT

# The server, the same for every case. tuned: cluster.sh's fsync=off, buffers large enough that
# no eviction or checkpoint lands in a measurement, autovacuum off (the runner vacuums between).
# default: PostgreSQL's defaults, fsync back on (cluster.sh turns it off; the last -c wins).
SETTINGS=${GW_SETTINGS:-tuned}
case $SETTINGS in
tuned) settings=(-c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=30min -c autovacuum=off) ;;
default) settings=(-c fsync=on) ;;
*) echo "GW_SETTINGS: tuned or default, not '$SETTINGS'" >&2; exit 2 ;;
esac
cluster_init "$work/pg"
# shellcheck disable=SC2086
cluster_start bench "$PORT" "${settings[@]}" -c max_connections=60 ${GW_PG_ARGS:-}
q() { cluster_psql bench postgres "$1"; }
q "CREATE EXTENSION message_center" >/dev/null
q "CREATE ROLE shop_writer LOGIN; GRANT mc_event_writer TO shop_writer"   # only mc_event_writer
q "CREATE ROLE gw_login LOGIN IN ROLE mc_gateway, shop_writer"
token=$(q "SELECT mc.create_api_token('shop_writer', 'bench')")

# The same event everywhere: event.json through the JSON API and in pgbench's statement, its
# SOAP form (soap_envelope.xml, the SDK's envelope) converts to the same document but for
# wishedChannel ("0" there, "email" here; both are the e-mail channel).
event=$(tr -d '\n' <"$HERE/event.json")
printf "SELECT mc.push_event('%s');\n" "$event" >"$work/push_event.sql"
sed "s/@TOKEN@/$token/g" "$HERE/soap_envelope.xml" | tr -d '\n' >"$work/soap.xml"
cp "$HERE/event.json" "$work/event.json"
# Diagnostic (not a baseline): what the gateway asks of the database for one push, sent
# directly by pgbench as the gateway's login: the (remembered) token's role set, the push,
# in one transaction (pgbench sends BEGIN and COMMIT too, 4 round trips; the gateway sends the
# two statements in one pipelined exchange, one implicit transaction).
{
  echo "BEGIN;"
  echo "SELECT pg_catalog.set_config('role', 'shop_writer', true);"
  echo "SELECT mc.push_event('$event');"
  echo "COMMIT;"
} >"$work/direct_tx.sql"

"$gw_bin" --listen 127.0.0.1:0 --conninfo "host=$work/pg port=$PORT dbname=postgres user=gw_login" \
  ${GW_ARGS:-} 2>"$work/gw.log" &
gw_pid=$!
gw_port=
for _ in $(seq 50); do
  gw_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/gw.log")
  [ -n "$gw_port" ] && break
  sleep 0.1
done
[ -n "$gw_port" ] || { cat "$work/gw.log" >&2; exit 1; }
base="http://127.0.0.1:$gw_port"
# Each path once, checked: the answers are what the benchmark counts as success.
curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  --data-binary "@$work/event.json" "$base/api/v1/events/rt" || { echo "JSON push failed" >&2; exit 1; }
curl -sf -H 'Content-Type: application/soap+xml;charset=UTF-8' -H 'SoapAction: nms:rtEvent#PushEvent' \
  -H "X-Session-Token: $token" --data-binary "@$work/soap.xml" \
  "$base/nl/jsp/soaprouter.jsp?soapAction=nms%3ArtEvent%23PushEvent" | grep -q '<plId xsi:type="xsd:long">' ||
  { echo "SOAP push failed" >&2; exit 1; }
log "mc-gateway $gw_bin on $base (${GW_ARGS:-default options}), cluster on port $PORT ($SETTINGS settings ${GW_PG_ARGS:-}, clients ${GW_CLIENT_SCHED:-normal})"

reset() { q "TRUNCATE mc.rt_event" >/dev/null; q "VACUUM ANALYZE mc.rt_event" >/dev/null; q "CHECKPOINT" >/dev/null; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The gateway's group-commit counters (README, "Group commit"): batches, events in them.
batch_counts() {
  curl -s "$base/metrics" | awk '/^mc_gateway_push_batches_total / {b = $2}
    /^mc_gateway_push_batched_events_total / {e = $2} END {print b + 0, e + 0}'
}
# CPU of the whole cluster in clock ticks: the postmaster, its live children, and (cutime +
# cstime) the children it has reaped, so backends that ended during a measurement count too.
pg_ticks() {
  local pm t=0 c
  pm=$(head -1 "$work/pg/bench/postmaster.pid")
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for c in $(pgrep -P "$pm"); do t=$((t + $(cpu_ticks "$c" 2>/dev/null || echo 0))); done
  echo "$t"
}
# Microseconds of CPU per request from a tick count.
per_req() { awk -v t="$1" -v r="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz * 1e6 / r}'; }
# bash's `time` gives the user and system CPU of the load generator (wrk or pgbench).
TIMEFORMAT='%U %S'
client_ticks() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($1 + $2) * hz}' "$work/time"; }
pct() { sort -n | awk -v p="$1" '{v[NR] = $1} END {i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; print v[i]}'; }

# One line per measurement in $work/lines: case run events_per_s p50_ms p99_ms stored extra
measure() {
  local case=$1 run=$2 out stored
  reset
  case $case in
  pgbench | direct_tx)
    rm -f "$work"/pgb.*
    local script=push_event user=shop_writer
    [ "$case" = direct_tx ] && script=direct_tx user=gw_login
    # Latency percentiles from pgbench's per-transaction log (-l: one line per transaction,
    # its 3rd field the latency in microseconds, what pgbench's own average is computed from).
    p0=$(pg_ticks)
    out=$( { time "${client[@]}" pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" -f "$work/$script.sql" \
      -h "$work/pg" -p "$PORT" -U "$user" -l --log-prefix="$work/pgb" postgres 2>&1; } 2>"$work/time")
    sleep 1  # pgbench's backends exit after it does: their CPU counts once the postmaster reaps them
    p1=$(pg_ticks)
    local tps p50 p99 failed
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
    p50=$(cat "$work"/pgb.* | awk '{print $3}' | pct 50)
    p99=$(cat "$work"/pgb.* | awk '{print $3}' | pct 99)
    stored=$(q "SELECT count(*) FROM mc.rt_event")
    local n
    n=$(awk -v t="$tps" -v d="$DURATION" 'BEGIN {printf "%.0f", t * d}')
    echo "$case $run $tps $(awk -v a="$p50" -v b="$p99" 'BEGIN {printf "%.3f %.3f", a / 1000, b / 1000}') $stored failed=${failed:-0} client_cpu_us_per_req=$(per_req "$(client_ticks)" "$n") pg_cpu_us_per_req=$(per_req $((p1 - p0)) "$n")" >>"$work/lines"
    ;;
  json | soap)
    local url body c0 c1 line
    if [ "$case" = json ]; then url="$base/api/v1/events/rt" body="$work/event.json"
    else url="$base/nl/jsp/soaprouter.jsp?soapAction=nms%3ArtEvent%23PushEvent" body="$work/soap.xml"; fi
    local batches0 batches1
    batches0=$(batch_counts)
    c0=$(cpu_ticks "$gw_pid") p0=$(pg_ticks)
    out=$( { time env MODE=$case TOKEN=$token BODY_FILE=$body "${client[@]}" wrk -t "$WRK_THREADS" -c "$CONNS" -d "${DURATION}s" \
      -s "$HERE/post.lua" "$url" 2>&1; } 2>"$work/time")
    c1=$(cpu_ticks "$gw_pid") p1=$(pg_ticks)
    batches1=$(batch_counts)
    line=$(grep '^WRK ' <<<"$out") || { echo "$out" >&2; exit 1; }
    stored=$(q "SELECT count(*) FROM mc.rt_event")
    # shellcheck disable=SC2086
    eval "$(sed 's/^WRK //' <<<"$line")"   # requests duration_us non2xx sockerr p50_us p99_us
    echo "$case $run $(awk -v r="$requests" -v d="$duration_us" -v a="$p50_us" -v b="$p99_us" \
      'BEGIN {printf "%.1f %.3f %.3f", r / (d / 1e6), a / 1000, b / 1000}') $stored non2xx=$non2xx sockerr=$sockerr gw_cpu_us_per_req=$(per_req $((c1 - c0)) "$requests") client_cpu_us_per_req=$(per_req "$(client_ticks)" "$requests") pg_cpu_us_per_req=$(per_req $((p1 - p0)) "$requests") events_per_batch=$(awk -v a="$batches0" -v b="$batches1" 'BEGIN {split(a, x, " "); split(b, y, " "); n = y[1] - x[1]; if (n > 0) printf "%.1f", (y[2] - x[2]) / n; else print "-"}')" >>"$work/lines"
    ;;
  esac
  log "$(tail -1 "$work/lines")"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M')
: >"$work/lines"
n=${#CASES[@]}
for ((run = 1; run <= RUNS; run++)); do
  for ((k = 0; k < n; k++)); do measure "${CASES[$(((run - 1 + k) % n))]}" "$run"; done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cp "$work/gw.log" "$work/gw.keep" 2>/dev/null || true

mkdir -p "$REPO/bench/results"
result="$REPO/bench/results/gateway-$(date -u +%Y%m%dT%H%M%SZ).md"
python3 - "$work/lines" "$started" "$load_before" "$load_after" "$RUNS" "$DURATION" "$CONNS" \
  "$WRK_THREADS" "${GW_ARGS:-default options}" "$(nproc)" "$SETTINGS${GW_PG_ARGS:+ $GW_PG_ARGS}" "${GW_CLIENT_SCHED:-normal}" <<'PY' | tee "$result"
import statistics, sys
lines, started, lb, la, runs, dur, conns, wthreads, gwargs, cores, settings, csched = sys.argv[1:]
rows = {}
for l in open(lines):
    f = l.split()
    rows.setdefault(f[0], []).append(f)
med = lambda xs: statistics.median(xs)
def m(case, i): return med([float(f[i]) for f in rows[case]])
print(f"## mc-gateway push, {started} UTC\n")
print(f"{runs} runs of {dur} s per case, {conns} connections (wrk -t {wthreads}, pgbench -c {conns} -j 2),"
      f" mc-gateway {gwargs}; PostgreSQL {settings} settings"
      + ("" if csched == "normal" else f"; clients scheduled {csched} (a diagnostic, not a figure)")
      + f"; {cores} cores; load average before {lb}, after {la}.\n")
print("| case | events/s | p50 ms | p99 ms | ratio to pgbench | target | CPU µs/request: client, gateway, PostgreSQL | events per batch |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
def k(case, key, fmt="{:.0f}"):
    vs = [float(x.split("=")[1]) for f in rows[case] for x in f[6:]
          if x.startswith(key + "=") and x.split("=")[1] != "-"]
    return fmt.format(med(vs)) if vs else "-"
def cpu(case):
    return f"{k(case, 'client_cpu_us_per_req')}, {k(case, 'gw_cpu_us_per_req')}, {k(case, 'pg_cpu_us_per_req')}"
base = m("pgbench", 2) if "pgbench" in rows else None
targets = {"json": 0.7, "soap": 0.5}
for case in ("pgbench", "json", "soap", "direct_tx"):
    if case not in rows: continue
    r = m(case, 2)
    ratio = f"{r / base:.2f}" if base and case != "pgbench" else ""
    t = targets.get(case)
    tcol = (f">= {t} " + ("yes" if r / base >= t else "**no**")) if t and base else ""
    name = {"pgbench": "pgbench `SELECT mc.push_event(...)` (baseline)", "json": "JSON `POST /api/v1/events/rt`",
            "soap": "SOAP `nms:rtEvent#PushEvent`",
            "direct_tx": "diagnostic: the gateway's SQL (token lookup, role, push) by pgbench"}[case]
    print(f"| {name} | {r:,.0f} | {m(case, 3):.2f} | {m(case, 4):.2f} | {ratio} | {tcol} | {cpu(case)} | {k(case, 'events_per_batch', '{:.1f}')} |")
print("\nPer run (case run events/s p50_ms p99_ms rows_stored extra):\n")
print("```")
for l in open(lines): print(l.rstrip())
print("```")
PY
log "written to $result"
