#!/usr/bin/env bash
# Runs every test layer: GoogleTest (CTest), then pgTAP and isolation specs in a throwaway
# PostgreSQL cluster with pg_cron preloaded. Installs its own dependencies (Debian 12, root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

echo "== unit tests (GoogleTest via CTest)"
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "== SQL tests (pgTAP, isolation) in a throwaway cluster"
pg_virtualenv -t -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o max_worker_processes=16 -o cron.host=/var/run/postgresql -o max_prepared_transactions=4 \
  bash test/run-sql-tests.sh

echo "== crash recovery (kill -9 of the processing backend and of the postmaster, 20 times)"
bash test/e2e/crash_recovery.sh

echo "== sender workers: SMTP and webhooks on loopback, restart, kill -9 (MC_SENDER_KILLS, default 5)"
bash test/e2e/sender.sh

echo "== SMTP with STARTTLS, smtps and AUTH (certificates verified; the password nowhere readable)"
bash test/e2e/sender_tls.sh

echo "== backups: pg_dump, pg_restore into a fresh cluster, and the product goes on"
bash test/e2e/backup_restore.sh

echo "== control instance with two execution instances (three clusters)"
bash test/e2e/control_instances.sh

echo "== mc-gateway end to end (Adobe's SDK, JSON API and OpenAPI, unsubscribe, bad input)"
pg_virtualenv -t -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  bash test/e2e/gateway.sh
