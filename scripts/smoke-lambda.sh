#!/usr/bin/env bash
# Smoke test of the Lambda functions as Lambda runs them (issue 4, item 7), offline:
#
#   moto (S3 and SageMaker emulator, 127.0.0.1:<free port>)
#     <- seeded with boto3 so that the objects named by events/*.json exist (and the
#        retraining pipeline the alarm maps to)
#   cargo lambda watch (the Lambda runtime API emulator; builds each function on first invoke)
#     <- cargo lambda invoke <fn> --data-file events/<file>.json
#
# for all five functions - baseline (full, then partial -> merge), capture-ingest,
# ground-truth-merge, monitor-tick and retrain-trigger, in the order a deployment sees their events - asserting on the summaries
# they return, on the reports and state left in the bucket and on the pipeline execution;
# then scripts/redrive.py replays a failure-queue record of capture-ingest (moto's SQS, the
# capture-ingest watch; scripts/redrive-check.py). Prints one line per check, then "N passed, M failed";
# exits non-zero when a check fails. Everything it starts is stopped on exit (process
# groups, by PID). Idempotent: every run uses a fresh emulator and temp dir.
#
# Env: CARGO_TARGET_DIR (default ~/.cache/modelwatch/target), SMOKE_INVOKE_TIMEOUT (seconds a
# single invoke may take, the first one compiles: default 1500), SMOKE_KEEP=1 keeps the work
# dir with the logs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# shellcheck source=scripts/tools.sh
source scripts/tools.sh
ensure_venv test
PY="$MW_VENV_test/bin/python"
# cargo-lambda (and the python3 -m ziglang it would use for `cargo lambda build`) from the venv
export PATH="$MW_VENV_test/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/modelwatch/target}"
INVOKE_TIMEOUT="${SMOKE_INVOKE_TIMEOUT:-1500}"

BUCKET=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["Records"][0]["s3"]["bucket"]["name"])' events/s3-capture-put.json)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/modelwatch-smoke.XXXXXX")
MOTO_PID=""
WATCH_PIDS=()
INVOKE_PID=""
PASSED=0
FAILED=0

# Stops a process group led by $1: TERM, then KILL after 5 s.
stop_group() {
  local pgid=$1
  [[ -n $pgid ]] || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  [[ -n $INVOKE_PID ]] && kill "$INVOKE_PID" 2>/dev/null
  for pid in "${WATCH_PIDS[@]}"; do stop_group "$pid"; done
  stop_group "$MOTO_PID"
  wait 2>/dev/null || true
  if [[ $rc -ne 0 || -n ${SMOKE_KEEP:-} ]]; then
    echo "logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL SECONDS PID: until URL answers (any HTTP status), while PID lives.
wait_for() {
  "$PY" - "$@" <<'EOF'
import sys, time, urllib.request, urllib.error, os
url, limit, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
deadline = time.time() + limit
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"process {pid} exited before {url} answered")
    try:
        urllib.request.urlopen(url, timeout=2)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(f"{url} did not answer within {limit:.0f} s")
EOF
}

check() { # check NAME OK(0|1) DETAIL
  if [[ $2 == 0 ]]; then
    PASSED=$((PASSED + 1))
    echo "PASS $1${3:+: $3}"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $1${3:+: $3}"
  fi
}

# ---- 1. moto -------------------------------------------------------------------------------
MOTO_PORT=$(free_port)
MOTO_URL="http://127.0.0.1:$MOTO_PORT"
# setsid: moto leads its own process group, so the trap can stop it (and only it) by PID.
setsid "$MW_VENV_test/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
wait_for "$MOTO_URL/moto-api/" 60 "$MOTO_PID" || { tail -20 "$WORK/moto.log" >&2; exit 1; }
echo "moto on $MOTO_URL (pid $MOTO_PID)"

# ---- 2. seed the bucket so the keys of events/*.json exist -----------------------------------
"$PY" - "$MOTO_URL" "$BUCKET" "$WORK/expect.json" <<'EOF'
"""Seeds the emulator for every events/*.json file, and writes what the checks expect to
the file in argv[3]."""
import json, random, sys
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote_plus

import boto3
from botocore.config import Config

url, bucket, expect_path = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test",
                  config=Config(s3={"addressing_style": "path"}))
s3.create_bucket(Bucket=bucket)

baseline_req = json.load(open("events/baseline-request.json"))
dataset = baseline_req["dataset"]
if dataset.startswith("s3://"):
    dataset = dataset.split("/", 3)[3]
prefix = baseline_req["output_prefix"].rstrip("/")
monitor = prefix.rsplit("/", 1)[-1]

record = json.load(open("events/s3-capture-put.json"))["Records"][0]
capture_key = unquote_plus(record["s3"]["object"]["key"])  # S3 form-encodes event keys
endpoint = capture_key.split("/")[1]  # data-capture/{endpoint}/{variant}/yyyy/mm/dd/HH/file
event_time = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))

# training set: label first (the model output comes first in a capture record)
rng = random.Random(20261101)
rows = [(rng.randint(0, 1), rng.randint(18, 80), round(rng.uniform(0, 6000), 2)) for _ in range(200)]
csv = "churn,age,balance\n" + "".join(f"{c},{a},{b}\n" for c, a, b in rows)
s3.put_object(Bucket=bucket, Key=dataset, Body=csv.encode())
# the same rows split over the objects of events/baseline-partial.json (a header each), for
# the partial -> merge sequence of the scale-out baseline (issue 16 item 5)
parts = [o["Key"] for o in json.load(open("events/baseline-partial.json"))["objects"]]
cut = [len(rows) * i // len(parts) for i in range(len(parts) + 1)]
for key, lo, hi in zip(parts, cut, cut[1:]):
    s3.put_object(Bucket=bucket, Key=key, Body=("churn,age,balance\n" + "".join(
        f"{c},{a},{b}\n" for c, a, b in rows[lo:hi])).encode())

# capture: replays the first 6 training rows, seconds before the notification
lines = []
for i, (c, a, b) in enumerate(rows[:6]):
    t = (event_time - timedelta(seconds=30 - i)).astimezone(timezone.utc)
    lines.append(json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": f"{a},{b}", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                               "data": str(c), "encoding": "CSV"},
        },
        "eventMetadata": {"eventId": f"5f0c0000-0000-4000-8000-{i:012d}",
                          "inferenceTime": t.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0",
    }))
s3.put_object(Bucket=bucket, Key=capture_key, Body=("\n".join(lines) + "\n").encode())

monitor_cfg = {"name": monitor, "endpoint": endpoint, "baseline_prefix": prefix}
s3.put_object(Bucket=bucket, Key=f"config/monitors/{monitor}.json",
              Body=json.dumps(monitor_cfg, indent=2).encode())

# model quality on the same endpoint: the output column is the predicted probability; its
# constraint (accuracy >= 0.5) and the labels of the 6 captured inferences
mq = "churn-mq"
s3.put_object(Bucket=bucket, Key=f"config/monitors/{mq}.json", Body=json.dumps({
    "name": mq, "kind": "ModelQuality", "endpoint": endpoint, "baseline_prefix": f"baselines/{mq}",
    "model_quality": {"problem_type": "BinaryClassification", "positive_label": "1",
                      "probability_attribute": "0"}}).encode())
s3.put_object(Bucket=bucket, Key=f"baselines/{mq}/constraints.json", Body=json.dumps({
    "version": 0.0, "binary_classification_constraints": {
        "accuracy": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}}}).encode())
gt = json.load(open("events/s3-ground-truth-put.json"))["Records"][0]
gt_key = unquote_plus(gt["s3"]["object"]["key"])
labels = "".join(json.dumps({"groundTruthData": {"data": str(c), "encoding": "CSV"},
                             "eventMetadata": {"eventId": f"5f0c0000-0000-4000-8000-{i:012d}"},
                             "eventVersion": "0"}) + "\n"
                 for i, (c, _, _) in enumerate(rows[:6]))
s3.put_object(Bucket=bucket, Key=gt_key, Body=labels.encode())

# retraining: the alarm of events/alarm-state-change.json maps to a pipeline (moto looks
# pipelines up by name) that declares every evidence parameter
alarm = json.load(open("events/alarm-state-change.json"))
pipeline = "churn-retrain"
evidence = ["AlarmName", "AlarmReason", "AlarmTime", "MetricName", "MetricNamespace",
            "MetricDimensions", "WindowStart", "WindowEnd", "ViolationsUri", "Monitor", "Model",
            "TriggerEventId"]
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
sm.create_pipeline(
    PipelineName=pipeline, RoleArn="arn:aws:iam::123456789012:role/modelwatch-smoke",
    PipelineDefinition=json.dumps({"Version": "2020-12-01", "Metadata": {}, "Steps": [],
                                   "Parameters": [{"Name": n, "Type": "String", "DefaultValue": ""}
                                                  for n in evidence]}))
s3.put_object(Bucket=bucket, Key="config/retrain.json", Body=json.dumps({"pipelines": [{
    "alarms": [alarm["detail"]["alarmName"]], "monitor": monitor, "model": "churn-xgb",
    "pipeline": pipeline, "cooldown_hours": 6}]}).encode())

tick = json.load(open("events/schedule-tick.json"))
now = datetime.fromisoformat(tick["time"].replace("Z", "+00:00"))
window_end = now.replace(minute=0, second=0, microsecond=0)
json.dump({
    "rows": len(rows), "features": 3, "statistics_key": f"{prefix}/statistics.json",
    "capture_key": capture_key, "records": 6, "monitor": monitor, "endpoint": endpoint,
    "report_prefix": f"reports/{endpoint}/{monitor}/{window_end:%Y/%m/%d/%H}/",
    "mq": mq, "mq_report_prefix": f"reports/{endpoint}/{mq}/{window_end:%Y/%m/%d/%H}/",
    "gt_key": gt_key, "pipeline": pipeline, "alarm": alarm["detail"]["alarmName"],
    "violations_uri": f"s3://{bucket}/reports/{endpoint}/{monitor}/{window_end:%Y/%m/%d/%H}/constraint_violations.json",
}, open(expect_path, "w"))
print(f"seeded s3://{bucket}: {dataset} ({len(rows)} rows), {capture_key!r} (6 records), "
      f"config/monitors/{monitor}.json")
EOF

# ---- 3. cargo lambda watch, one per function ---------------------------------------------
# One watch per function, each on its own manifest: the workspace root is also a package
# (the CLI), so `cargo run --bin <fn>` at the root - what a single watch would run - finds
# only the CLI's binaries.
ENV_VARS=(
  "MODELWATCH_BUCKET=$BUCKET"
  "MODELWATCH_AWS_ENDPOINT_URL=$MOTO_URL"
  "MODELWATCH_METRICS=emf"
  "AWS_ACCESS_KEY_ID=test"
  "AWS_SECRET_ACCESS_KEY=test"
  "AWS_REGION=us-east-1"
  "AWS_EC2_METADATA_DISABLED=true"
)
declare -A INVOKE_PORT
for fn in baseline capture-ingest ground-truth-merge monitor-tick retrain-trigger; do
  port=$(free_port)
  INVOKE_PORT[$fn]=$port
  args=(--manifest-path "functions/$fn/Cargo.toml" --invoke-address 127.0.0.1
    --invoke-port "$port" --ignore-changes --timeout "$INVOKE_TIMEOUT" --locked)
  for kv in "${ENV_VARS[@]}"; do args+=(--env-var "$kv"); done
  # The functions get their configuration only through --env-var (env -u: nothing inherited
  # from the caller's shell can make a check pass by accident).
  setsid env -u MODELWATCH_BUCKET -u MODELWATCH_AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL \
    cargo lambda watch "${args[@]}" >"$WORK/watch-$fn.log" 2>&1 &
  WATCH_PIDS+=("$!")
  wait_for "http://127.0.0.1:$port/" 120 "$!" || { tail -40 "$WORK/watch-$fn.log" >&2; exit 1; }
  echo "cargo lambda watch for $fn on 127.0.0.1:$port (pid $!)"
done
echo "the first invoke of each function compiles it (cargo run; minutes on a cold target dir)"

# invoke FN EVENT_FILE: the function's JSON answer in $WORK/FN.json, rc in $WORK/FN.rc
invoke() {
  local fn=$1 file=$2 started rc=0
  started=$(date +%s)
  # In the background and `wait`ed for, so that a signal to this script is handled at once.
  timeout --foreground "$INVOKE_TIMEOUT" cargo lambda invoke "$fn" --invoke-address 127.0.0.1 \
    --invoke-port "${INVOKE_PORT[$fn]}" --data-file "$file" --output-format json \
    >"$WORK/$fn.json" 2>"$WORK/$fn.err" &
  INVOKE_PID=$!
  wait "$INVOKE_PID" || rc=$?
  INVOKE_PID=""
  echo "$rc" >"$WORK/$fn.rc"
  echo "invoked $fn with $file: rc $rc in $(($(date +%s) - started)) s"
  if [[ $rc != 0 ]]; then
    sed 's/^/  | /' "$WORK/$fn.json" "$WORK/$fn.err" | tail -20
    tail -30 "$WORK/watch-$fn.log" | sed 's/^/  watch| /'
  fi
}

# assert FN PYTHON_EXPR...: each expression is evaluated with `out` (the answer), `exp`
# (the seeding's expectations) and `s3` (a boto3 client); one check line per expression.
assert() {
  local fn=$1
  shift
  local result
  result=$("$PY" - "$WORK/$fn.json" "$WORK/$fn.rc" "$WORK/expect.json" "$MOTO_URL" "$BUCKET" "$@" <<'EOF'
import json, sys
import boto3
from botocore.config import Config

path, rc_path, expect_path, url, bucket, *exprs = sys.argv[1:]
exp = json.load(open(expect_path))
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test",
                  config=Config(s3={"addressing_style": "path"}))
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
rc = open(rc_path).read().strip()


def same_counts(key_a, key_b):
    """Two statistics.json files agree on what a partial -> merge baseline keeps exactly
    (app/baseline_partial.rs): rows, each feature's type, present and missing counts, min and
    max; sum, mean and standard deviation to 1e-12 relative (the moments merge pairwise)."""
    a, b = (json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in (key_a, key_b))
    if a["dataset"] != b["dataset"] or len(a["features"]) != len(b["features"]):
        return False
    for fa, fb in zip(a["features"], b["features"]):
        if (fa["name"], fa["inferred_type"]) != (fb["name"], fb["inferred_type"]):
            return False
        na, nb = fa.get("numerical_statistics"), fb.get("numerical_statistics")
        if na is None or nb is None:
            if fa.get("string_statistics", {}).get("common") != fb.get("string_statistics", {}).get("common"):
                return False
            continue
        if na["common"] != nb["common"] or (na["min"], na["max"]) != (nb["min"], nb["max"]):
            return False
        for m in ("sum", "mean", "std_dev"):
            if abs(na[m] - nb[m]) > 1e-12 * max(abs(na[m]), abs(nb[m]), 1.0):
                return False
    return True

try:
    out = json.load(open(path))
    err = None
except Exception as e:
    out, err = None, f"answer is not JSON ({e}): {open(path).read()[:300]!r}"
for expr in exprs:
    if rc != "0" or out is None:
        print(f"1\t{expr} (invoke rc {rc}; {err or json.dumps(out)[:300]})")
        continue
    if isinstance(out, dict) and "errorType" in out:
        print(f"1\t{expr} (function error {out['errorType']}: {out.get('errorMessage', '')[:300]})")
        continue
    try:
        ok = bool(eval(expr, {"out": out, "exp": exp, "s3": s3, "sm": sm, "bucket": bucket,
                              "same_counts": same_counts}))
        print(f"{0 if ok else 1}\t{expr}" + ("" if ok else f" (answer: {json.dumps(out)[:400]})"))
    except Exception as e:
        print(f"1\t{expr} ({type(e).__name__}: {e})")
EOF
  )
  local line
  while IFS=$'\t' read -r code text; do
    check "$fn" "$code" "$text"
  done <<<"$result"
}

# ---- 4. invoke each function with its event file ------------------------------------------
invoke baseline events/baseline-request.json
assert baseline \
  'out["rows"] == exp["rows"]' \
  'out["features"] == exp["features"]' \
  'out["statistics_key"] == exp["statistics_key"]' \
  's3.head_object(Bucket=bucket, Key=out["constraints_key"])["ContentLength"] > 0'

# the scale-out baseline over the same rows in two objects: partial (one part per object),
# then merge, equal to the full baseline on counts
invoke baseline events/baseline-partial.json
assert baseline \
  'out["rows"] == exp["rows"] and len(out["part_keys"]) == 2' \
  'all(s3.head_object(Bucket=bucket, Key=k)["ContentLength"] > 0 for k in out["part_keys"])'
invoke baseline events/baseline-merge.json
assert baseline \
  'out["parts"] == 2 and out["rows"] == exp["rows"] and out["features"] == exp["features"]' \
  'out["statistics_key"] == "baselines/churn-dq-many/statistics.json"' \
  'same_counts(out["statistics_key"], exp["statistics_key"])'

invoke capture-ingest events/s3-capture-put.json
assert capture-ingest \
  'len(out["objects"]) == 1 and out["objects"][0]["key"] == exp["capture_key"]' \
  'out["objects"][0]["ignored"] is None' \
  'out["objects"][0]["records"] == exp["records"] > 0' \
  '[c["records"] for c in out["objects"][0]["counts"]] == [exp["records"], exp["records"]]' \
  'out["objects"][0]["monitors"] == [exp["monitor"], exp["mq"]]' \
  'out["objects"][0]["state_keys"] == ["state/profiles/" + exp["monitor"] + "/2026/11/01/03/AllTraffic/12-00-000-5f0c+demo file.json", "state/predictions/" + exp["mq"] + "/2026/11/01/03/AllTraffic/12-00-000-5f0c+demo file.json"]' \
  'all(s3.head_object(Bucket=bucket, Key=k)["ContentLength"] > 0 for k in out["objects"][0]["state_keys"])'
# section 5 (redrive) expects the same state keys for its copy of the object
"$PY" -c 'import json, sys; e = json.load(open(sys.argv[1])); e["capture_state_keys"] = json.load(open(sys.argv[2]))["objects"][0]["state_keys"]; json.dump(e, open(sys.argv[1], "w"))' \
  "$WORK/expect.json" "$WORK/capture-ingest.json" || true

invoke ground-truth-merge events/s3-ground-truth-put.json
assert ground-truth-merge \
  'len(out["objects"]) == 1 and out["objects"][0]["key"] == exp["gt_key"]' \
  'out["objects"][0]["monitor"] == exp["mq"]' \
  '(out["objects"][0]["labels"], out["objects"][0]["matched"], out["objects"][0]["pending"]) == (6, 6, 0)' \
  's3.head_object(Bucket=bucket, Key=out["objects"][0]["state_key"])["ContentLength"] > 0'

invoke monitor-tick events/schedule-tick.json
assert monitor-tick \
  '[e["monitoring_schedule_name"] for e in out["executions"]] == [exp["monitor"], exp["mq"]]' \
  'out["executions"][0]["status"] in ("Completed", "CompletedWithViolations")' \
  'out["executions"][0]["records"] == exp["records"]' \
  'out["executions"][0]["report_prefix"] == exp["report_prefix"]' \
  'sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=exp["report_prefix"])["Contents"]) == [exp["report_prefix"] + f for f in ("constraint_violations.json", "execution.json", "report.html", "statistics.json")]' \
  'out["executions"][1]["status"] == "Completed" and out["executions"][1]["label_coverage"]["matched"] == 6' \
  'dict(out["executions"][1]["model_metrics"])["accuracy"] == 1.0' \
  'sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=exp["mq_report_prefix"])["Contents"]) == [exp["mq_report_prefix"] + f for f in ("constraint_violations.json", "execution.json", "report.html", "statistics.json")]' \
  'out["report_failures"] == 0 and s3.get_object(Bucket=bucket, Key="reports/index.html")["Body"].read().startswith(b"<!DOCTYPE html>")'

# EMF metrics went to the function's stdout (MODELWATCH_METRICS=emf), i.e. the watch log.
if grep -q '"_aws"' "$WORK/watch-monitor-tick.log"; then
  check monitor-tick 0 "EMF metric lines in the function log"
else
  check monitor-tick 1 "EMF metric lines in the function log"
fi

invoke retrain-trigger events/alarm-state-change.json
assert retrain-trigger \
  'out["decision"]["decision"] == "started"' \
  'out["pipeline"] == exp["pipeline"]' \
  'dict((p["name"], p["value"]) for p in out["parameters"])["ViolationsUri"] == exp["violations_uri"]' \
  '[e["PipelineExecutionArn"] for e in sm.list_pipeline_executions(PipelineName=exp["pipeline"])["PipelineExecutionSummaries"]] == [out["decision"]["execution_arn"]]' \
  's3.head_object(Bucket=bucket, Key=out["audit_key"])["ContentLength"] > 0'

# ---- 5. redrive of the failure queue (issue 11, item 7) ------------------------------------
# Last: the copy of the capture object it replays would change the windows checked above.
# scripts/redrive-check.py queues a Lambda on-failure record of capture-ingest in the emulator's
# SQS and runs scripts/redrive.py (dry run, redrive, a foreign message) through the
# capture-ingest watch; one check line per assertion.
redrive_rc=0
"$PY" scripts/redrive-check.py "$MOTO_URL" "$BUCKET" "http://127.0.0.1:${INVOKE_PORT[capture-ingest]}" \
  "$WORK" >"$WORK/redrive-check.out" 2>"$WORK/redrive-check.err" || redrive_rc=$?
sed 's/^/  /' "$WORK/redrive-check.err"
while IFS=$'\t' read -r code text; do
  check redrive "$code" "$text"
done <"$WORK/redrive-check.out"
[[ $redrive_rc == 0 ]] || check redrive 1 "scripts/redrive-check.py exited with $redrive_rc"
grep -q . "$WORK/redrive-check.out" || check redrive 1 "scripts/redrive-check.py ran no check"

echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
