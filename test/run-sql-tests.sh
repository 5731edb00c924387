#!/usr/bin/env bash
# Runs inside pg_virtualenv (PGHOST, PGPORT, PGUSER are set): pgTAP suites, then isolation specs.
set -euo pipefail
cd "$(dirname "$0")/.."

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS mc_test" \
  -c "CREATE DATABASE mc_test"
psql -X -q -v ON_ERROR_STOP=1 -d mc_test -c "CREATE EXTENSION pgtap" \
  -c "CREATE EXTENSION message_center"

# An execution instance with committed events, archived by 16_archiving through postgres_fdw.
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS mc_exec_test" \
  -c "CREATE DATABASE mc_exec_test"
psql -X -q -v ON_ERROR_STOP=1 -d mc_exec_test -f test/fixtures/execution_instance.sql >/dev/null

echo "-- pgTAP"
# 15_control_registration connects back over TCP (postgres_fdw) and needs the credentials.
pg_prove -d mc_test --failures --set host="${PGHOST:-localhost}" --set port="${PGPORT:-5432}" \
  --set password="${PGPASSWORD:-}" test/pgtap/*.sql

echo "-- isolation"
isolation_dir=$(dirname "$(pg_config --pgxs)")/../test/isolation
specs=$(cd test/isolation/specs && ls *.spec | sed 's/\.spec$//')
out=${MC_ISOLATION_OUT:-$(mktemp -d)}
if ! "$isolation_dir/pg_isolation_regress" --dbname=mc_isolation \
    --load-extension=message_center --inputdir=test/isolation --outputdir="$out" \
    --bindir="$(pg_config --bindir)" $specs; then
  cat "$out/regression.diffs" 2>/dev/null || true
  exit 1
fi

echo "-- upgrade from 0.1.0 to the latest release"
bash test/e2e/upgrade.sh

echo "-- end to end: pg_cron workflows"
bash test/e2e/cron_workflows.sh
