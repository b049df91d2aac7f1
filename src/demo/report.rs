//! Terminal report of a demo run: the per-hour execution table and the alarm timeline.

use super::*;

pub(super) fn short_check(name: &str) -> &str {
    match name {
        "data_type_check" => "type",
        "completeness_check" => "compl",
        "baseline_drift_check" => "drift",
        "categorical_values_check" => "cat",
        "missing_column_check" => "miss",
        "extra_column_check" => "extra",
        other => other,
    }
}

fn status_name(s: ExecutionStatus) -> &'static str {
    match s {
        ExecutionStatus::Completed => "Completed",
        ExecutionStatus::CompletedWithViolations => "CompletedWithViolations",
        ExecutionStatus::Failed => "Failed",
    }
}

pub(super) fn metric(e: &Execution, name: &str) -> String {
    e.model_metrics
        .iter()
        .find(|(k, _)| k == name)
        .map_or_else(|| "-".to_string(), |(_, v)| format!("{v:.3}"))
}

fn or_dash(items: &[String], sep: &str) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(sep)
    }
}

/// Prints the per-hour table: data quality and model quality side by side, then what was
/// flagged and injected per hour.
pub fn print_table(outcome: &DemoOutcome) {
    println!(
        "\n{:<17} | {:<41} | model quality (labels 2-3 h late, so each window is",
        "", "data quality (evaluated at window end)"
    );
    println!(
        "{:<17} | {:<41} | evaluated {} h after it ends)",
        "",
        "",
        MQ_OFFSET_MINUTES / 60
    );
    println!(
        "{:<17} | {:<23} {:>7} {:>4} {:>4} | {:<23} {:>11} {:>8} {:>6} {:>4}",
        "window (UTC)",
        "status",
        "records",
        "bad",
        "viol",
        "status",
        "labels",
        "accuracy",
        "auc",
        "viol"
    );
    for (i, e) in outcome.executions.iter().enumerate() {
        let q = outcome.quality.get(i);
        let labels = q.and_then(|q| q.label_coverage.as_ref()).map_or_else(
            || "-".into(),
            |c| format!("{}/{}", c.matched, c.predictions),
        );
        println!(
            "{:<17} | {:<23} {:>7} {:>4} {:>4} | {:<23} {:>11} {:>8} {:>6} {:>4}",
            fmt_window(e.window_start),
            status_name(e.status),
            e.records,
            e.bad_records,
            e.violations,
            q.map_or("-", |q| status_name(q.status)),
            labels,
            q.map_or_else(|| "-".into(), |q| metric(q, "accuracy")),
            q.map_or_else(|| "-".into(), |q| metric(q, "auc")),
            q.map_or_else(|| "-".into(), |q| q.violations.to_string()),
        );
    }
    println!(
        "\n{:<17} | {:<47} | feature attribution (SHAP of the log-odds)",
        "",
        format!(
            "bias drift (facet region={BIAS_FACET_REGION}, evaluated {} h late)",
            MQ_OFFSET_MINUTES / 60
        ),
    );
    println!(
        "{:<17} | {:<23} {:>6} {:>6} {:>5} {:>4} | {:<23} {:>6} {:>4}",
        "window (UTC)", "status", "DPPL", "DCA", "DI", "viol", "status", "nDCG", "viol"
    );
    for (i, e) in outcome.executions.iter().enumerate() {
        let b = outcome.bias.get(i);
        let x = outcome.attribution.get(i);
        let bias_metric = |name: &str| {
            b.map_or_else(
                || "-".into(),
                |b| metric(b, &format!("{name}(region={BIAS_FACET_REGION})")),
            )
        };
        println!(
            "{:<17} | {:<23} {:>6} {:>6} {:>5} {:>4} | {:<23} {:>6} {:>4}",
            fmt_window(e.window_start),
            b.map_or("-", |b| status_name(b.status)),
            bias_metric("DPPL"),
            bias_metric("DCA"),
            bias_metric("DI"),
            b.map_or_else(|| "-".into(), |b| b.violations.to_string()),
            x.map_or("-", |x| status_name(x.status)),
            x.map_or_else(|| "-".into(), |x| metric(x, "ndcg")),
            x.map_or_else(|| "-".into(), |x| x.violations.to_string()),
        );
    }
    println!("\nwhat happened per hour (injected → flagged)");
    for (i, e) in outcome.executions.iter().enumerate() {
        let mut injected: Vec<String> = outcome
            .plan
            .get(i)
            .map(|p| {
                p.iter()
                    .filter(|d| !matches!(d, Drift::None))
                    .map(|d| d.to_string())
                    .collect()
            })
            .unwrap_or_default();
        if outcome.concept_drift.contains(&i) {
            injected.push("concept drift (labels follow a new relationship)".into());
        }
        if outcome.bias_drift_hour == i {
            injected.push(format!(
                "region={BIAS_FACET_REGION} customers churn far less than predicted (labels only)"
            ));
        }
        let dq = outcome.dq_flagged.get(i).map_or(&[][..], Vec::as_slice);
        let mq = outcome.mq_flagged.get(i).map_or(&[][..], Vec::as_slice);
        let bias = outcome.bias_flagged.get(i).map_or(&[][..], Vec::as_slice);
        let xai = outcome
            .attribution_flagged
            .get(i)
            .map_or(&[][..], Vec::as_slice);
        println!(
            "{}  injected: {}\n       data quality:  {}\n       model quality: {}\n       bias drift:    {}\n       attribution:   {}",
            e.window_start.format("%H:%M"),
            or_dash(&injected, "; "),
            or_dash(dq, ", "),
            or_dash(mq, ", "),
            or_dash(bias, ", "),
            or_dash(xai, ", ")
        );
    }
}

/// Prints the alarm and retraining table.
pub fn print_alarms(outcome: &DemoOutcome) {
    println!(
        "\nalarms: CloudWatch M-of-N ({DATAPOINTS_TO_ALARM} of {EVALUATION_PERIODS} hourly \
         datapoints) over metrics/ -> retrain-trigger (pipeline {PIPELINE}, cooldown \
         {COOLDOWN_HOURS} h)"
    );
    for def in &outcome.alarm_definitions {
        let op = match def.comparison {
            ComparisonOperator::GreaterThanThreshold => ">",
            ComparisonOperator::GreaterThanOrEqualToThreshold => ">=",
            ComparisonOperator::LessThanThreshold => "<",
            ComparisonOperator::LessThanOrEqualToThreshold => "<=",
        };
        println!(
            "  {}: {}({}) {} {}",
            def.name,
            statistic_name(def.statistic),
            def.metric_name,
            op,
            def.threshold
        );
    }
    println!(
        "\n{:<17} {:<56} {:<26} {:<17} details",
        "time (UTC)", "alarm", "state change", "retraining"
    );
    for o in &outcome.alarms {
        let change = format!(
            "{} -> {}",
            o.transition.previous.value, o.transition.state.value
        );
        let details = match &o.retrain.decision {
            Decision::Started { execution_arn } => format!("run {execution_arn}"),
            Decision::SkippedCooldown {
                last_started,
                until,
            } => format!(
                "last start {}, no start before {}",
                fmt_window(*last_started),
                fmt_window(*until)
            ),
            Decision::SkippedRunning { running_execution } => {
                format!("{running_execution} is still executing")
            }
            Decision::SkippedDuplicate { previous } => format!("already {}", previous.kind()),
            Decision::DryRun => "would have started a run".into(),
            Decision::Ignored { .. } if o.transition.state.value != AlarmStateValue::Alarm => {
                "logged; only ALARM starts retraining".into()
            }
            Decision::Ignored { reason } => reason.clone(),
        };
        println!(
            "{:<17} {:<56} {:<26} {:<17} {}",
            fmt_window(o.transition.state.timestamp),
            o.alarm.name,
            change,
            o.retrain.decision.kind(),
            details
        );
    }
    let fired = outcome
        .alarms
        .iter()
        .filter(|o| o.transition.state.value == AlarmStateValue::Alarm)
        .count();
    println!(
        "\n{fired} alarm(s) fired; {} pipeline run(s) recorded",
        outcome.runs.len()
    );
    for r in &outcome.runs {
        let param = |n: &str| {
            r.parameters
                .iter()
                .find(|p| p.name == n)
                .map_or("", |p| p.value.as_str())
        };
        println!(
            "  {} started {} by {} (window {} .. {}), evidence {}",
            r.execution_arn,
            fmt_window(r.started_at),
            param("AlarmName"),
            param("WindowStart"),
            param("WindowEnd"),
            param("ViolationsUri")
        );
    }
}

fn statistic_name(s: Statistic) -> &'static str {
    match s {
        Statistic::Average => "Average",
        Statistic::Sum => "Sum",
        Statistic::Minimum => "Minimum",
        Statistic::Maximum => "Maximum",
        Statistic::SampleCount => "SampleCount",
    }
}

fn fmt_window(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}
