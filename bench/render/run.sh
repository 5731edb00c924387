#!/usr/bin/env bash
# Renders per second of the 2 KB order-confirmation template: from the plain value model
# (Google Benchmark), from jsonb inside PostgreSQL (mc._render_benchmark), and the SQL
# replace() baseline, all in this run, medians of 5. Usage: bash bench/render/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# RENDER_SKIP_SETUP=1: use the extension as installed (no scripts/build.sh).
[[ "${RENDER_SKIP_SETUP:-0}" == 1 ]] || bash scripts/build.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target render_bench >/dev/null
runs=${RUNS:-5}
out=$(mktemp -d)

./build-bench/src/template/render_bench --benchmark_repetitions="$runs" --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$out/gbench.json" 2>/dev/null
median() { python3 -c "import json,sys; d=json.load(open('$out/gbench.json')); print([b['items_per_second'] for b in d['benchmarks'] if b['name']=='$1_median'][0])"; }
value_model=$(median BM_Render_ValueModel)
find_replace=$(median BM_Baseline_FindReplace)

cat >"$out/sql.sh" <<'SH'
set -euo pipefail
dir=bench/render
psql -X -q -At -v ON_ERROR_STOP=1 -c "CREATE EXTENSION message_center" >/dev/null
ctx=$(cat $dir/ctx.json); tpl=$(cat $dir/order_confirmation.mustache); footer=$(cat $dir/footer.mustache)
for i in $(seq 1 "$RUNS"); do
  psql -X -q -At -v ON_ERROR_STOP=1 -v tpl="$tpl" -v footer="$footer" -v ctx="$ctx" -f $dir/jsonb.sql
  psql -X -q -At -v ON_ERROR_STOP=1 -v tpl="$tpl" -v footer="$footer" -v ctx="$ctx" -f $dir/sql_baseline.sql
  psql -X -q -At -v ON_ERROR_STOP=1 -v tpl="$tpl" -v footer="$footer" -v ctx="$ctx" -f $dir/sql_render.sql
done
SH
RUNS=$runs pg_virtualenv bash "$out/sql.sh" 2>/dev/null | grep -E '^(jsonb|replace|sql_render)\|' >"$out/sql.txt"
med() { grep "^$1|" "$out/sql.txt" | cut -d'|' -f2 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
jsonb=$(med jsonb)
sql_replace=$(med replace)
sql_render=$(med sql_render)

python3 - "$value_model" "$jsonb" "$sql_replace" "$find_replace" "$sql_render" <<'PY'
import sys
vm, jb, sq, fr, sr = map(float, sys.argv[1:])
print("| rendering of the 2 KB order confirmation (median of runs) | renders/s per core | vs SQL replace() |")
print("|---|---:|---:|")
print(f"| message_center, plain value model (Google Benchmark) | {vm:,.0f} | {vm/sq:.0f}x |")
print(f"| message_center, from jsonb inside PostgreSQL | {jb:,.0f} | {jb/sq:.0f}x |")
print(f"| message_center through SQL: mc.render_template per row | {sr:,.0f} | {sr/sq:.2f}x |")
print(f"| baseline: chained SQL replace() + string_agg | {sq:,.0f} | 1x |")
print(f"| reference: chained C++ find/replace | {fr:,.0f} | {fr/sq:.0f}x |")
print(f"targets: >= 1,000,000/s from the value model, >= 300,000/s from jsonb, mc.render_template through SQL >= 2x the replace() chain")
PY
