#!/usr/bin/env python3
"""Compare modelwatch's label-free performance estimates (CBPE, issue 15) with NannyML's CBPE
on the same seeded data, and both with the realised metrics. A benchmark note, never a
dependency of the project: it needs numpy, pandas, scikit-learn and nannyml in a venv of your
own, and a built `modelwatch` binary.

    python3 -m venv /root/.cache/mw-ref-cbpe
    /root/.cache/mw-ref-cbpe/bin/pip install nannyml scikit-learn statsmodels
    cargo build --bin modelwatch        # or --release
    /root/.cache/mw-ref-cbpe/bin/python scripts/cbpe-vs-nannyml.py \
        --modelwatch $CARGO_TARGET_DIR/debug/modelwatch

The scenario is the one of tests/e2e/cbpe.rs, longer: a feature x, true P(y=1|x) =
sigmoid(2x), a miscalibrated model scoring sigmoid(1.2x + 0.4) (label: score > 0.5); a labelled
validation set with x ~ N(0, 2); then hourly windows whose x spread shrinks (covariate shift
toward the decision boundary, P(y|x) unchanged). For each hour it prints the realised metric,
modelwatch's estimate and interval (from execution.json, written before any label), and
NannyML's estimate and its band, then the mean absolute errors and the share of hours whose
realised value lies inside each tool's interval.
"""

import argparse
import json
import os
import pathlib
import subprocess
import tempfile

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # no telemetry from the bench
import nannyml as nml  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score  # noqa: E402

METRICS = ["accuracy", "precision", "recall", "f1", "auc"]
NML_NAMES = {"accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "f1", "auc": "roc_auc"}
START = pd.Timestamp("2026-11-01T00:00:00Z")


def rows(rng, n, sd):
    x = rng.normal(0.0, sd, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * x))).astype(int)
    score = np.round(1 / (1 + np.exp(-(1.2 * x + 0.4))), 6)
    return score, y


def realised(score, y):
    pred = (score > 0.5).astype(int)
    return {
        "accuracy": accuracy_score(y, pred),
        "precision": precision_score(y, pred),
        "recall": recall_score(y, pred),
        "f1": f1_score(y, pred),
        "auc": roc_auc_score(y, score),
    }


def capture_line(i, t, s):
    return json.dumps({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{s}", "encoding": "CSV"},
        },
        "eventMetadata": {"eventId": f"ev-{i}", "inferenceId": str(i), "inferenceTime": t.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0",
    }) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modelwatch", required=True, help="path of the modelwatch binary")
    ap.add_argument("--per-hour", type=int, default=5000)
    ap.add_argument("--validation", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    spreads = [2.0, 2.0, 1.6, 1.3, 1.0, 0.8, 0.6, 0.5]

    store = pathlib.Path(tempfile.mkdtemp(prefix="cbpe-bench-"))
    vs, vy = rows(rng, args.validation, 2.0)
    validation = store / "validation.csv"
    pd.DataFrame({"label": vy, "score": vs}).to_csv(validation, index=False)
    subprocess.run([args.modelwatch, "baseline", "--problem-type", "BinaryClassification",
                    "--dataset", str(validation), "--ground-truth-attribute", "label",
                    "--probability-attribute", "score", "--out", str(store / "baselines/m")],
                   check=True, capture_output=True)
    (store / "config/monitors").mkdir(parents=True)
    (store / "config/monitors/m.json").write_text(json.dumps({
        "name": "m", "kind": "ModelQuality", "endpoint": "ep", "baseline_prefix": "baselines/m",
        "model_quality": {"problem_type": "BinaryClassification", "positive_label": "1",
                          "probability_attribute": "0", "probability_threshold": 0.5}}))

    analysis, truth, keys = [], [], []
    for h, sd in enumerate(spreads):
        s, y = rows(rng, args.per_hour, sd)
        hour = START + pd.Timedelta(hours=h)
        times = [hour + pd.Timedelta(seconds=int(i * 3600 / args.per_hour)) for i in range(args.per_hour)]
        key = f"data-capture/ep/AllTraffic/{hour.strftime('%Y/%m/%d/%H')}/capture.jsonl"
        (store / key).parent.mkdir(parents=True, exist_ok=True)
        (store / key).write_text("".join(capture_line(h * args.per_hour + i, t, v) for i, (t, v) in enumerate(zip(times, s))))
        keys.append(key)
        analysis.append(pd.DataFrame({"ts": times, "score": s, "pred": (s > 0.5).astype(int), "label": y}))
        truth.append(realised(s, y))
    subprocess.run([args.modelwatch, "ingest", "--store", str(store), *keys], check=True, capture_output=True)
    ours = []
    for h in range(len(spreads)):
        end = START + pd.Timedelta(hours=h + 1)
        subprocess.run([args.modelwatch, "tick", "--store", str(store), "--now", end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "--window-end", end.strftime("%Y-%m-%dT%H:%M:%SZ")], check=True, capture_output=True)
        ex = store / f"reports/ep/m/{START.strftime('%Y/%m/%d')}/{end.strftime('%H')}/execution.json"
        if h + 1 == 24:
            raise SystemExit("keep the scenario within one day")
        ours.append(json.loads(ex.read_text())["estimated_metrics"]["metrics"])

    reference = pd.DataFrame({"ts": [START - pd.Timedelta(days=1)] * len(vs), "score": vs,
                              "pred": (vs > 0.5).astype(int), "label": vy})
    est = nml.CBPE(metrics=[NML_NAMES[m] for m in METRICS], y_pred_proba="score", y_pred="pred", y_true="label",
                   problem_type="classification_binary", timestamp_column_name="ts", chunk_period="h")
    est.fit(reference)
    res = est.estimate(pd.concat(analysis, ignore_index=True)).filter(period="analysis").to_df()

    err = {"modelwatch": {m: [] for m in METRICS}, "nannyml": {m: [] for m in METRICS}}
    inside = {"modelwatch": 0, "nannyml": 0}
    total = 0
    gap = 0.0
    print(f"{'hour':>4} {'metric':>9} {'realised':>9} {'modelwatch [lower, upper]':>32} {'nannyml [lower, upper]':>32}")
    for h in range(len(spreads)):
        for m in METRICS:
            r = truth[h][m]
            o = ours[h][m]
            n = NML_NAMES[m]
            nv = res[(n, "value")].iloc[h]
            nl = res[(n, "lower_confidence_boundary")].iloc[h]
            nu = res[(n, "upper_confidence_boundary")].iloc[h]
            nl = 0.0 if pd.isna(nl) else nl
            nu = 1.0 if pd.isna(nu) else nu
            print(f"{h:>4} {m:>9} {r:9.4f} {o['value']:9.4f} [{o['lower']:.4f}, {o['upper']:.4f}]   {nv:9.4f} [{nl:.4f}, {nu:.4f}]")
            gap = max(gap, abs(o["value"] - nv))
            err["modelwatch"][m].append(abs(o["value"] - r))
            err["nannyml"][m].append(abs(nv - r))
            inside["modelwatch"] += o["lower"] <= r <= o["upper"]
            inside["nannyml"] += nl <= r <= nu
            total += 1
    print()
    for tool in ("modelwatch", "nannyml"):
        maes = ", ".join(f"{m} {np.mean(err[tool][m]):.4f}" for m in METRICS)
        print(f"{tool:>10}: mean |estimate - realised|: {maes}; realised inside the interval {inside[tool]}/{total}")
    print(f"largest |modelwatch - nannyml| estimate: {gap:.5f}")
    print(f"store: {store}")


if __name__ == "__main__":
    main()
