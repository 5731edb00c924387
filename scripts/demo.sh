#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine (as root): installs dependencies,
# builds and installs the extension, starts a throwaway PostgreSQL with pg_cron, creates the
# extension, creates and publishes templates, starts the pg_cron workflows, pushes sample events
# every way an application can; the scheduled jobs process them, a sender reports deliveries,
# the status copy brings the outcomes back, and the status summary is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
pg_virtualenv -t -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o max_worker_processes=16 -o cron.host=/var/run/postgresql -o cron.max_running_jobs=8 \
  bash scripts/demo-run.sh
