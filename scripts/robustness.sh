#!/usr/bin/env bash
# Robustness checks beyond the test suite (README "Robustness"), each a command of its own:
#   scripts/robustness.sh ubsan           the extension built with UndefinedBehaviorSanitizer,
#                                         loaded into the stock PostgreSQL, runs the pgTAP,
#                                         isolation, upgrade and pg_cron suites: zero reports.
#                                         (AddressSanitizer needs its runtime preloaded into the
#                                         uninstrumented postgres, which deadlocks at start-up on
#                                         Debian 12 in bindtextdomain: google/sanitizers#1096.
#                                         The template engine, the delivery core and the gateway
#                                         run under ASan in fuzz/ and their unit tests instead.)
#   scripts/robustness.sh sqlsmith [N]    N random queries (default 20000) from sqlsmith against a
#                                         database with the extension and data: zero backend crashes
#   scripts/robustness.sh crash-loop [N]  the kill -9 crash loop with N cycles (default 100; the
#                                         test suite runs 20)
#   scripts/robustness.sh fuzz [SECONDS]  template fuzzing, libFuzzer + ASan/UBSan (default 3600)
# Debian 12, as root. The sanitizer build is installed only inside a private mount namespace
# (scripts/private-pg.sh): the system's PostgreSQL keeps the normal build.
set -euo pipefail
what=${1:-}
[ "$what" = __functions ] || cd "$(dirname "$0")/.."
shift || true

# A cluster with pg_cron, the way the suites expect it; $work/asan collects sanitizer reports.
start_cluster() {  # start_cluster PORT
  source test/support/cluster.sh
  cluster_init "$work/clusters"
  cluster_start main "$1" -c shared_preload_libraries=pg_cron -c cron.database_name=postgres \
    -c cron.host="$work/clusters" -c max_worker_processes=16 -c max_prepared_transactions=4
  # TCP, as pg_virtualenv's clusters (some checks read the error of a TCP connection).
  export PGHOST=127.0.0.1 PGPORT=$1 PGUSER=postgres
}
crashes() {  # backends that died of a signal, from the server log
  grep -cE 'terminated by signal|was terminated by exception' "$work/clusters/main.log" || true
}

case $what in
  ubsan)
    bash scripts/install-deps.sh
    work=$(mktemp -d /tmp/mc-ubsan.XXXXXX)
    chmod 755 "$work"
    mkdir -p "$work/reports"; chmod 777 "$work/reports"
    trap 'cluster_stop main 2>/dev/null || true; rm -rf "$work"' EXIT
    # A copy of the tree (the sanitized objects must not mix with a developer's build), built
    # and installed inside the namespace, then the suites against a server that loads it.
    mkdir -p "$work/src"
    git ls-files -z | xargs -0 cp --parents -t "$work/src"
    MC_WORK=$work scripts/private-pg.sh "$work/pg" bash -c '
      set -euo pipefail
      work=$MC_WORK
      (cd "$work/src" && make -j"$(nproc)" SANITIZE=undefined with_llvm=no && make install SANITIZE=undefined with_llvm=no) \
        >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
      source scripts/robustness.sh __functions
      export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$work/reports/ubsan"
      start_cluster 5531
      rc=0
      bash test/run-sql-tests.sh || rc=$?
      cluster_stop main
      reports=$(ls "$work/reports" | wc -l)
      if [ "$reports" -gt 0 ]; then head -60 "$work"/reports/*; fi
      echo "sanitizer reports: $reports; backends crashed: $(crashes)"
      [ "$rc" = 0 ] && [ "$reports" = 0 ] && [ "$(crashes)" = 0 ]'
    echo "ok - UBSan: the suites pass with zero sanitizer reports" ;;
  sqlsmith)
    n=${1:-20000}
    work=$(mktemp -d /tmp/mc-sqlsmith.XXXXXX)
    chmod 755 "$work"
    trap 'cluster_stop main 2>/dev/null || true; rm -rf "$work"' EXIT
    start_cluster 5532
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE smith"
    # A database with the extension and data in every state.
    psql -X -q -v ON_ERROR_STOP=1 -d smith -f test/fixtures/execution_instance.sql >/dev/null
    # sqlsmith runs as a role holding every message_center role (not a superuser: a random
    # pg_terminate_backend or pg_cancel_backend must not end the run on its own).
    psql -X -q -v ON_ERROR_STOP=1 -d smith -c "CREATE ROLE smith LOGIN IN ROLE mc_event_writer,
      mc_status_reader, mc_template_manager, mc_delivery_agent, mc_control_agent"
    timeout 3600 sqlsmith --target="host=$PGHOST port=$PGPORT dbname=smith user=smith" \
      --max-queries="$n" --seed=42 >"$work/sqlsmith.out" 2>&1 || true
    tail -5 "$work/sqlsmith.out"
    crashed=$(crashes)
    grep -E 'terminated by signal' -A3 "$work/clusters/main.log" | head -20 || true
    [ "$crashed" = 0 ] || { echo "not ok - sqlsmith: $crashed backend crashes"; exit 1; }
    echo "ok - sqlsmith: $n queries, zero backend crashes" ;;
  crash-loop)
    MC_CRASH_LOOPS=${1:-100} bash test/e2e/crash_recovery.sh ;;
  fuzz)
    bash fuzz/run.sh "${1:-3600}" ;;
  __functions) ;;  # sourced for its functions
  *)
    sed -n '2,13p' "$0"; exit 2 ;;
esac
