#!/usr/bin/env bash
# Peak RSS (and wall) of `modelwatch monitor` for each of the four monitor kinds, and of
# `modelwatch ingest` of one capture object with all four monitors of an endpoint configured,
# at several input sizes (issue 16 item 3: ≤ 64 MB, flat in the input size).
#
#   scripts/bench-memory.sh DATA_DIR...        e.g. data/s10k data/s100k data/s1m
#
# Each DATA_DIR is a scenario of ../shared/bench/gen_data.py (capture/, groundtruth/,
# baseline/train.csv, baseline/baseline_scored.csv, manifest.json). Outside the timings, per
# DATA_DIR: the four baselines (`modelwatch baseline`: data quality with its multivariate
# block, model quality, Clarify bias, SHAP of a linear model), the four monitor configs, and
# one capture object holding every capture line of the scenario, retimed into one hour (for
# the ingest rows).
# Environment: MODELWATCH (default target/release/modelwatch under $CARGO_TARGET_DIR or
# ~/.cache/modelwatch/target), KINDS (default "dq mq bias xai ingest4"), WORK (a directory for
# the inputs, default a temporary one, removed at the end).
set -euo pipefail

target=${CARGO_TARGET_DIR:-$HOME/.cache/modelwatch/target}
mw=${MODELWATCH:-$target/release/modelwatch}
kinds=${KINDS:-dq mq bias xai ingest4}
[ -x "$mw" ] || { echo "build it first: cargo build --release --bin modelwatch ($mw)" >&2; exit 1; }
endpoint=churn-xgb-endpoint

# "wall s  peak MB" of one run of the command (its output goes to $log)
measure() {
  local t
  t=$(mktemp)
  /usr/bin/time -v "$@" >"$log" 2>"$t" || { cat "$t" "$log" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; w=s}
              /Maximum resident set size/ {r=$2/1024}
              END {printf "%8.2f s %7.1f MB", w, r}' "$t"
  rm -f "$t"
}

# The four monitors' configs and baselines of scenario $1 under $2 (never inside $1).
prepare() {
  local data=$1 dir=$2
  mkdir -p "$dir"/{dq,mq,bias,xai}
  "$mw" baseline --dataset "$data/baseline/train.csv" --out "$dir/dq" >/dev/null
  "$mw" baseline --dataset "$data/baseline/baseline_scored.csv" --out "$dir/mq" \
    --problem-type BinaryClassification --ground-truth-attribute label \
    --probability-attribute score >/dev/null
  python3 - "$data" "$dir" "$endpoint" <<'PY'
import json, sys
data, out, endpoint = sys.argv[1:4]
m = json.load(open(f"{data}/manifest.json"))
inputs = m["input_columns"]
numeric = m["numeric_columns"]
spec = m["model_spec"]
# the generator's logistic model, linearised per raw unit (z = (x - center)/scale; identity
# transforms only, others weigh 0): an explainer the SHAP baseline and the monitor share
coef = {f: v["coef"] / v["scale"] for f, v in spec["numeric"].items() if v["transform"] == "identity"}
def dump(name, obj):
    with open(f"{out}/{name}", "w") as f:
        json.dump(obj, f, indent=1)
dump("bias-config.json", {
    "version": "1.0", "headers": ["label", "score"] + inputs, "label": "label",
    "label_values_or_threshold": [1], "predicted_label": "score", "probability_threshold": 0.5,
    "facet": [{"name_or_index": m["facet"]["column"], "value_or_threshold": [m["facet"]["disadvantaged"]]}],
    "group_variable": "region"})
dump("xai-config.json", {
    "version": "1.0", "headers": ["label"] + inputs, "label": "label",
    "methods": {"shap": {"agg_method": "mean_abs", "features_to_explain": sorted(coef)}}})
dump("model.json", {"linear": {"intercept": spec["intercept"], "coefficients": coef}})
base = lambda name, kind: {"name": name, "kind": kind, "endpoint": endpoint,
                           "baseline_prefix": f"baselines/{name}", "publish_metrics": False}
mq = base("mem-mq", "ModelQuality")
mq["model_quality"] = {"problem_type": "BinaryClassification", "positive_label": "1",
                       "probability_attribute": "0", "probability_threshold": 0.5}
bias = base("mem-bias", "ModelBias")
bias["bias"] = {"probability_attribute": "0", "probability_threshold": 0.5}
xai = base("mem-xai", "ModelExplainability")
xai["explainability"] = {"explainer": {"linear": {"intercept": spec["intercept"], "coefficients": coef}}}
for name, cfg in [("dq", base("mem-dq", "DataQuality")), ("mq", mq), ("bias", bias), ("xai", xai)]:
    dump(f"{name}.json", cfg)
PY
  "$mw" baseline --dataset "$data/baseline/baseline_scored.csv" --bias-config "$dir/bias-config.json" \
    --out "$dir/bias" >/dev/null
  "$mw" baseline --dataset "$data/baseline/train.csv" --explainability-config "$dir/xai-config.json" \
    --model "$dir/model.json" --out "$dir/xai" >/dev/null
  # a store with the four monitors of the endpoint and one object of every capture line
  local store=$dir/store kind
  for kind in dq mq bias xai; do
    mkdir -p "$store/config/monitors" "$store/baselines/mem-$kind"
    cp "$dir/$kind.json" "$store/config/monitors/mem-$kind.json"
    cp "$dir/$kind"/*.json "$store/baselines/mem-$kind/"
  done
  echo done >"$dir/prepared"
}

# One capture object of every capture line of scenario $1 in the store under $2, each record's
# inferenceTime moved into the object's hour (minute and second kept): ingest profiles every
# record (a record outside the hours next to its object's is counted bad_time, not profiled),
# one profile per minute of the hour, as a busy endpoint's hour-long object would.
object() {
  local data=$1 dir=$2 first rel hour day
  first=$(find "$data/capture" -name '*.jsonl' | sort | head -1)
  rel=$(dirname "${first#"$data/capture/$endpoint/"}")          # AllTraffic/yyyy/mm/dd/HH
  hour=${rel##*/}
  day=$(echo "$rel" | awk -F/ '{print $2"-"$3"-"$4}')
  mkdir -p "$dir/store/data-capture/$endpoint/$rel"
  find "$data/capture" -name '*.jsonl' | sort | xargs cat |
    sed -E "s/\"inferenceTime\":\"[0-9-]+T[0-9]{2}:/\"inferenceTime\":\"${day}T${hour}:/" \
      >"$dir/store/data-capture/$endpoint/$rel/all.jsonl"
  echo "data-capture/$endpoint/$rel/all.jsonl" >"$dir/object-key"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs; binary $mw"
work_root=${WORK:-$(mktemp -d)}
log=$work_root/last.log
for data in "$@"; do
  data=$(cd "$data" && pwd)
  name=$(basename "$data")
  dir=$work_root/$name
  [ -f "$dir/prepared" ] || prepare "$data" "$dir"
  [ -f "$dir/object-key" ] || object "$data" "$dir"
  records=$(wc -l <"$dir/store/$(cat "$dir/object-key")")
  mb=$(du -m "$dir/store/$(cat "$dir/object-key")" | cut -f1)
  echo "== $name: $records capture records ($mb MB); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-44s %s\n' "case" "    wall      peak RSS"
  for kind in $kinds; do
    out=$dir/out-$kind
    rm -rf "$out"
    case $kind in
      dq)   r=$(measure "$mw" monitor --config "$dir/dq.json" --baseline "$dir/dq" --captures "$data/capture" --out "$out") ;;
      mq)   r=$(measure "$mw" monitor --config "$dir/mq.json" --baseline "$dir/mq" --captures "$data/capture" --ground-truth "$data/groundtruth" --out "$out") ;;
      bias) r=$(measure "$mw" monitor --config "$dir/bias.json" --baseline "$dir/bias" --captures "$data/capture" --ground-truth "$data/groundtruth" --out "$out") ;;
      xai)  r=$(measure "$mw" monitor --config "$dir/xai.json" --baseline "$dir/xai" --captures "$data/capture" --out "$out") ;;
      ingest4) r=$(measure "$mw" ingest --store "$dir/store" "$(cat "$dir/object-key")") ;;
      *) echo "unknown kind $kind" >&2; exit 1 ;;
    esac
    printf '%-44s %s\n' "$kind" "$r"
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
[ -n "${WORK:-}" ] || rm -rf "$work_root"
