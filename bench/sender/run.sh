#!/usr/bin/env bash
# The sender workers against the tools that only speak the protocol (bench/README.md, "Sender"):
#   email   pending message -> SMTP -> 'sent' recorded, into Postfix's smtp-sink, vs smtp-source
#           to the same sink: 8 connections, 2 KB messages, reused connections (smtp-source -d);
#   webhook pending message -> HTTP POST -> 'sent' recorded, into nginx-light, vs wrk with the
#           same 8 connections;
#   client  the webhook sending path alone, without PostgreSQL (http_client_bench, built by CMake
#           in build/, or HTTP_CLIENT_BENCH=path): the native client and libcurl, vs wrk;
#   latency event committed -> accepted by the SMTP server, at 200 events/s through the real
#           pg_cron workflows (rtEventsProcessing + the woken sender worker): p50 / p99.
# Medians of SENDER_RUNS (default 3) alternating runs. Expects the extension built and installed
# (make && make install); runs in a throwaway cluster (pg_virtualenv, pg_cron preloaded).
# SENDER_MESSAGES (default 10000) emails and webhooks per run; LATENCY_SECONDS (default 20);
# SENDER_WORKERS (default 1) sender workers sharing the 8 connections.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SENDER_RUNS=${SENDER_RUNS:-3} SENDER_MESSAGES=${SENDER_MESSAGES:-10000} LATENCY_SECONDS=${LATENCY_SECONDS:-20}
mkdir -p bench/results
out=bench/results/sender-$(date -u +%Y%m%dT%H%M%SZ).md
pg_virtualenv -t -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o max_worker_processes=16 -o cron.host=/var/run/postgresql -o max_connections=50 \
  -o track_commit_timestamp=on \
  bash bench/sender/bench.sh | tee "$out"
