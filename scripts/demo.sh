#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine (as root): installs dependencies,
# builds and installs the extension, starts a throwaway PostgreSQL with pg_cron, creates the
# extension, pushes sample events every way an application can, and prints the status summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
pg_virtualenv -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o max_worker_processes=16 -o cron.host=/var/run/postgresql -o cron.max_running_jobs=8 \
  psql -X -v ON_ERROR_STOP=1 -d postgres -f scripts/demo.sql
