#!/usr/bin/env bash
# Two builds of `modelwatch monitor` run in turn on the same data, ROUNDS times (issue 16 item
# 2): this VM's speed drifts by ±30 % within minutes, so only the ratio within a pair of runs
# means anything. Prints each build's median wall and user CPU, the median of the per-pair
# ratios B/A, and whether the two wrote the same statistics.json.
#
#   scripts/bench-pair.sh BIN_A BIN_B DATA_DIR       e.g. old/modelwatch target/release/modelwatch data/s1m
#
# DATA_DIR is a ../shared/bench/gen_data.py scenario (baseline/train.csv and capture/); the
# baseline is built once with BIN_A. Environment: ROUNDS (default 12).
set -euo pipefail
a=$1 b=$2 data=$3
rounds=${ROUNDS:-12}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$a" baseline --dataset "$data/baseline/train.csv" --out "$work/baseline" >/dev/null
for _ in $(seq "$rounds"); do
  for side in A B; do
    bin=$a; [ "$side" = B ] && bin=$b
    /usr/bin/time -f "$side %e %U" -a -o "$work/times" "$bin" monitor --baseline "$work/baseline" \
      --captures "$data/capture" --out "$work/out$side" >/dev/null
  done
done
python3 - "$work/times" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l[:2] in ("A ", "B ")]
a = [(float(w), float(u)) for s, w, u in rows if s == "A"]
b = [(float(w), float(u)) for s, w, u in rows if s == "B"]
for name, xs in (("A", a), ("B", b)):
    print(f"{name}: wall {st.median(x[0] for x in xs):.3f} s, user {st.median(x[1] for x in xs):.2f} s (medians)")
print(f"B/A per pair, median: wall {st.median(y[0] / x[0] for x, y in zip(a, b)):.3f}, "
      f"user {st.median(y[1] / x[1] for x, y in zip(a, b)):.3f}")
PY
cmp -s "$work/outA/statistics.json" "$work/outB/statistics.json" \
  && echo "statistics.json identical" || echo "statistics.json differs"
