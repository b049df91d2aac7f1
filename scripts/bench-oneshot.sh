#!/usr/bin/env bash
# `modelwatch monitor` (the one-shot data-quality job, baseline given) against the DuckDB
# anchor of ../shared/bench, in one run (issue 16): wall seconds and peak RSS of each, with the
# machine's load average, on scenarios written by ../shared/bench/gen_data.py.
#
#   scripts/bench-oneshot.sh DATA_DIR...        e.g. data/s10k data/s100k data/s1m
#
# Each DATA_DIR holds baseline/train.csv and capture/ (gen_data.py's layout). The baseline is
# built once per DATA_DIR, outside the timings. modelwatch runs with --threads 1 and with every
# core; the anchor (`anchor_fast.py --engine duckdb`) with 2 threads and 1, when the bench venv
# exists (BENCH_PY, default /tmp/benchvenv/bin/python; see ../shared/bench/README.md).
# Environment: MODELWATCH (default target/release/modelwatch under $CARGO_TARGET_DIR or
# ~/.cache/modelwatch/target), ROUNDS (default 3; the median is printed).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$HOME/.cache/modelwatch/target}
mw=${MODELWATCH:-$target/release/modelwatch}
bench_dir=${BENCH_DIR:-$here/../shared/bench}
py=${BENCH_PY:-/tmp/benchvenv/bin/python}
rounds=${ROUNDS:-3}
[ -x "$mw" ] || { echo "build it first: cargo build --release --bin modelwatch ($mw)" >&2; exit 1; }

# median wall seconds and max peak RSS (MB) of `rounds` runs of the command
measure() {
  local walls=() rss=0 log
  log=$(mktemp)
  for _ in $(seq "$rounds"); do
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log")")
    local r
    r=$(awk -F': ' '/Maximum resident set size/ {print int($2/1024)}' "$log")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  rm -f "$log"
  local med
  med=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%8.2f s  %6d MB  (rounds: %s)' "$med" "$rss" "${walls[*]}"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs"
for data in "$@"; do
  data=$(cd "$data" && pwd)
  records=$(find "$data/capture" -name '*.jsonl' -exec cat {} + | wc -l)
  work=$(mktemp -d)
  "$mw" baseline --dataset "$data/baseline/train.csv" --out "$work/baseline" >/dev/null
  echo "== $data: $records capture records; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "modelwatch monitor, 1 thread     $(measure "$mw" monitor --baseline "$work/baseline" --captures "$data/capture" --out "$work/out1" --threads 1)"
  echo "modelwatch monitor, every core   $(measure "$mw" monitor --baseline "$work/baseline" --captures "$data/capture" --out "$work/outn" --threads 0)"
  cmp -s "$work/out1/statistics.json" "$work/outn/statistics.json" \
    && echo "  statistics.json identical for 1 thread and every core" \
    || { echo "  statistics.json DIFFERS between 1 thread and every core" >&2; exit 1; }
  if [ -x "$py" ] && [ -f "$bench_dir/anchor_fast.py" ]; then
    echo "DuckDB anchor, 2 threads         $(measure "$py" "$bench_dir/anchor_fast.py" --engine duckdb --data "$data" --threads 2)"
    echo "DuckDB anchor, 1 thread          $(measure "$py" "$bench_dir/anchor_fast.py" --engine duckdb --data "$data" --threads 1)"
  else
    echo "(no bench venv at $py: DuckDB anchor skipped)"
  fi
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -rf "$work"
done
