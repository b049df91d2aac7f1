//! Row synthesis: sampling, drift application, the churn model and capture-record writing.

use super::*;

/// One inference of an hour.
pub(super) struct Event {
    pub(super) inference_id: u64,
    pub(super) time: i64,
    pub(super) event_id: Uuid,
    /// Observed values, `score` included.
    pub(super) row: Row,
    /// Probability of the positive label given the true values.
    pub(super) p_true: f64,
}

/// One value as written to CSV.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Cell {
    Int(i64),
    /// Already rounded to the column's decimals.
    Frac(f64),
    Cat(&'static str),
    Missing,
    /// A string in a numeric column (type corruption).
    Text(&'static str),
}

pub(super) type Row = [Cell; N_COLS];

/// Rounds `v` to `decimals` places, so the model scores exactly what the CSV carries.
pub(super) fn round_to(v: f64, decimals: usize) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    (v * scale).round() / scale
}

pub(super) fn frac(col: usize, v: f64) -> Cell {
    Cell::Frac(round_to(v, DECIMALS[col]))
}

/// Draws one clean row (score left Missing) from the row stream; drift never reads this
/// stream, so the undrifted columns of an hour are the same with or without drift.
pub(super) fn sample_row(rng: &mut Rng) -> Row {
    let mut row = [Cell::Missing; N_COLS];
    // Bounded supports keep every Integral value common in a 20k-row baseline, so clean
    // hours never show a value outside a suggested domain (spec §4.2).
    let age = (42.0 + 12.0 * rng.normal()).round().clamp(18.0, 80.0);
    row[AGE] = Cell::Int(age as i64);
    row[INCOME] = frac(INCOME, (52_000f64.ln() + 0.5 * rng.normal()).exp());
    let tenure = rng.exponential(28.0).floor().min(72.0);
    row[TENURE] = Cell::Int(tenure as i64);
    row[NUM_PRODUCTS] = Cell::Int(rng.choose(&PRODUCT_WEIGHTS) as i64 + 1);
    let has_balance = rng.unit() >= 0.3;
    let balance = (60_000f64.ln() + 0.7 * rng.normal()).exp();
    row[BALANCE] = frac(BALANCE, if has_balance { balance } else { 0.0 });
    let credit = (680.0 + 60.0 * rng.normal()).round().clamp(540.0, 820.0);
    row[CREDIT_SCORE] = Cell::Int(credit as i64);
    let plan = rng.choose(&PLAN_WEIGHTS);
    row[PLAN] = Cell::Cat(PLANS[plan]);
    let monthly = (PLAN_PRICE[plan] + 12.0 * rng.normal()).clamp(18.25, 140.0);
    row[MONTHLY] = frac(MONTHLY, monthly);
    let total = monthly * tenure.max(1.0) * (0.95 + 0.1 * rng.unit());
    row[TOTAL] = frac(TOTAL, total);
    row[SUPPORT_CALLS] = Cell::Int(rng.poisson(1.5).min(6) as i64);
    let last_login = rng.exponential(7.0).floor().min(30.0);
    row[LAST_LOGIN] = Cell::Int(last_login as i64);
    row[REGION] = Cell::Cat(REGIONS[rng.choose(&REGION_WEIGHTS)]);
    row[DEVICE] = Cell::Cat(DEVICES[rng.choose(&DEVICE_WEIGHTS)]);
    row[PAYMENT] = Cell::Cat(PAYMENTS[rng.choose(&PAYMENT_WEIGHTS)]);
    let p_active = if last_login <= 14.0 { 0.88 } else { 0.35 };
    row[IS_ACTIVE] = Cell::Int(i64::from(rng.unit() < p_active));
    row[SESSION] = frac(SESSION, (12f64.ln() + 0.6 * rng.normal()).exp());
    let discounted = rng.unit() >= 0.6;
    let discount = 0.05 + 0.25 * rng.unit();
    row[DISCOUNT] = frac(DISCOUNT, if discounted { discount } else { 0.0 });
    row
}

/// Applies the population drifts (they change the true values). One uniform per drift per
/// record, whether or not it fires.
pub(super) fn apply_population_drift(row: &mut Row, drifts: &[(usize, &Drift)], rng: &mut Rng) {
    for &(col, drift) in drifts {
        let u = rng.unit();
        match *drift {
            Drift::NumericShift { shift_in_std, .. } => {
                let delta = shift_in_std * NOMINAL[col].1;
                row[col] = match row[col] {
                    Cell::Int(v) => Cell::Int((v as f64 + delta).round() as i64),
                    Cell::Frac(v) => frac(col, v + delta),
                    other => other,
                };
            }
            Drift::NewCategory { value, share, .. } if u < share => row[col] = Cell::Cat(value),
            _ => {}
        }
    }
}

/// Applies the observation drifts (they change only what reaches the endpoint). A stuck
/// value draws nothing, so adding one leaves every other draw of the hour unchanged.
pub(super) fn apply_observation_drift(row: &mut Row, drifts: &[(usize, &Drift)], rng: &mut Rng) {
    for &(col, drift) in drifts {
        if let Drift::StuckValue { value, .. } = *drift {
            row[col] = Cell::Int(value);
            continue;
        }
        let u = rng.unit();
        match *drift {
            Drift::MissingSpike { missing_share, .. } if u < missing_share => {
                row[col] = Cell::Missing;
            }
            Drift::TypeCorruption { share, .. } if u < share => {
                row[col] = Cell::Text(CORRUPTION_TOKEN);
            }
            _ => {}
        }
    }
}

/// Numeric value of a column, the nominal mean when missing or unparseable (mean
/// imputation, as a simple serving pipeline would do).
pub(super) fn numeric(row: &Row, col: usize) -> f64 {
    match row[col] {
        Cell::Int(v) => v as f64,
        Cell::Frac(v) => v,
        _ => NOMINAL[col].0,
    }
}

/// Standardised value `(x − μ) / σ` with the nominal moments.
pub(super) fn z(row: &Row, col: usize) -> f64 {
    let (mean, sd) = NOMINAL[col];
    (numeric(row, col) - mean) / sd
}

/// Effect of a categorical level; 0 for levels the model has never seen.
pub(super) fn level_effect(row: &Row, col: usize, levels: &[&str], effects: &[f64]) -> f64 {
    match row[col] {
        Cell::Cat(v) => levels
            .iter()
            .position(|l| *l == v)
            .map_or(0.0, |i| effects[i]),
        _ => 0.0,
    }
}

/// The model: churn probability `1 / (1 + e^(−η))` with η ([`model_eta`]) a linear
/// combination of the standardised inputs and categorical effects, clamped to [−8, 8] so the
/// score stays in (0.0003, 0.9997) and always prints with six meaningful decimals.
pub(super) fn model_probability(row: &Row) -> f64 {
    logistic(model_eta(row))
}

/// `1 / (1 + e^(−η))` with η clamped to [−8, 8], rounded to the score's decimals.
pub(super) fn logistic(eta: f64) -> f64 {
    round_to(1.0 / (1.0 + (-eta.clamp(-8.0, 8.0)).exp()), DECIMALS[SCORE])
}

/// The model's log-odds of churn.
pub(super) fn model_eta(row: &Row) -> f64 {
    -1.3 + 0.9 * z(row, LAST_LOGIN) + 0.5 * z(row, SUPPORT_CALLS) - 0.7 * z(row, TENURE)
        + 0.5 * z(row, MONTHLY)
        - 0.6 * z(row, IS_ACTIVE)
        - 0.3 * z(row, CREDIT_SCORE)
        - 0.2 * z(row, AGE)
        - 0.3 * (numeric(row, INCOME).max(1.0).ln() - 52_000f64.ln())
        - 0.25 * z(row, NUM_PRODUCTS)
        - 0.2 * z(row, DISCOUNT)
        - 0.1 * z(row, SESSION)
        + level_effect(row, PLAN, &PLANS, &PLAN_EFFECT)
        + level_effect(row, PAYMENT, &PAYMENTS, &PAYMENT_EFFECT)
        + level_effect(row, DEVICE, &DEVICES, &DEVICE_EFFECT)
        + level_effect(row, REGION, &REGIONS, &REGION_EFFECT)
}

/// Capture hour (0-based) whose labels show a group-specific change: customers of
/// [`BIAS_FACET_REGION`] were offered a retention deal and churn far less than the model
/// predicts (log-odds −2.5), while inputs, scores and every other customer's labels stay as
/// they were. Overall accuracy barely moves (a tenth of the customers); the bias-drift
/// monitor sees the group's outcomes part from its predictions.
pub const BIAS_DRIFT_HOUR: usize = 2;
/// The sensitive facet value of the demo's bias monitor (`region`).
pub const BIAS_FACET_REGION: &str = "central";

/// The inputs the model's log-odds ([`model_eta`]) is linear in, with the weight per raw
/// unit (`coefficient / nominal σ`): `η = c + Σ w_j·x_j + (income, categorical terms)`. The
/// demo's feature-attribution monitor explains the model's margin with these weights.
pub fn margin_weights() -> Vec<(&'static str, f64)> {
    [
        (LAST_LOGIN, 0.9),
        (SUPPORT_CALLS, 0.5),
        (TENURE, -0.7),
        (MONTHLY, 0.5),
        (IS_ACTIVE, -0.6),
        (CREDIT_SCORE, -0.3),
        (AGE, -0.2),
        (NUM_PRODUCTS, -0.25),
        (DISCOUNT, -0.2),
        (SESSION, -0.1),
    ]
    .into_iter()
    .map(|(col, c)| (FEATURES[col].name, c / NOMINAL[col].1))
    .collect()
}

/// Probability that the customer of `row` (true values) churns in capture hour `hour`.
///
/// Before [`CONCEPT_DRIFT_FROM`] the model is right: this is the model's formula. From that
/// hour on the concept has drifted: the log-odds are the model's plus
/// `−1.2·z(last_login_days) + 1.0·z(tenure_months) + 0.8·z(is_active) + 0.4·z(monthly_charges) − 0.2`:
/// the login, tenure and activity effects are reversed and
/// price matters more (a competitor's offer takes long-standing, active, high-paying
/// customers), with the intercept lowered a little to keep the churn rate near its old
/// level.
pub(super) fn true_probability(row: &Row, hour: usize) -> f64 {
    if hour == BIAS_DRIFT_HOUR && row[REGION] == Cell::Cat(BIAS_FACET_REGION) {
        return logistic(model_eta(row) - 2.5);
    }
    if hour < CONCEPT_DRIFT_FROM {
        return model_probability(row);
    }
    logistic(
        model_eta(row) - 0.2 - 1.2 * z(row, LAST_LOGIN)
            + 1.0 * z(row, TENURE)
            + 0.8 * z(row, IS_ACTIVE)
            + 0.4 * z(row, MONTHLY),
    )
}

/// Uniform in [0, 1) keyed by `(seed, stream tag, inference id)`: SplitMix64's output mix
/// of the triple.
pub(super) fn keyed_uniform(seed: u64, tag: u64, inference_id: u64) -> f64 {
    let mut sm = SplitMix64(seed ^ tag.wrapping_mul(GOLDEN));
    let key = sm.next() ^ inference_id.wrapping_mul(0xD1B5_4A32_D192_ED03);
    to_unit(SplitMix64(key).next())
}

/// When the label of an inference at `time` is collected: `None` with probability
/// [`LABEL_LOSS_SHARE`], else `time` + a delay uniform in
/// [[`LABEL_DELAY_MIN_SECS`], [`LABEL_DELAY_MAX_SECS`]) (whole seconds).
pub(super) fn label_collection_time(seed: u64, inference_id: u64, time: i64) -> Option<i64> {
    if keyed_uniform(seed, STREAM_LABEL_LOSS, inference_id) < LABEL_LOSS_SHARE {
        return None;
    }
    let span = (LABEL_DELAY_MAX_SECS - LABEL_DELAY_MIN_SECS) as f64;
    let delay = (keyed_uniform(seed, STREAM_LABEL_DELAY, inference_id) * span) as i64;
    Some(time + LABEL_DELAY_MIN_SECS + delay.clamp(0, span as i64 - 1))
}

/// Writes the cells `from..` comma-separated.
pub(super) fn write_cells(out: &mut String, row: &Row, from: usize) {
    for (col, cell) in row.iter().enumerate().skip(from) {
        if col > from {
            out.push(',');
        }
        match *cell {
            Cell::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::Frac(v) => {
                let _ = write!(out, "{v:.prec$}", prec = DECIMALS[col]);
            }
            Cell::Cat(s) | Cell::Text(s) => out.push_str(s),
            Cell::Missing => {}
        }
    }
}

/// Appends `s` JSON-escaped (without quotes).
pub(super) fn push_json_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// Appends one capture record line (spec §1.3) for `event`.
pub(super) fn push_capture_record(out: &mut String, scratch: &mut String, event: &Event) {
    scratch.clear();
    write_cells(scratch, &event.row, 1);
    out.push_str(
        r#"{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":""#,
    );
    push_json_escaped(out, scratch);
    out.push_str(
        r#"","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":""#,
    );
    let _ = write!(
        out,
        "{:.prec$}",
        numeric(&event.row, SCORE),
        prec = DECIMALS[SCORE]
    );
    let t = Civil::from_unix(event.time);
    let _ = write!(
        out,
        r#"","encoding":"CSV"}}}},"eventMetadata":{{"eventId":"{}","inferenceId":"{}","inferenceTime":"{t}"}},"eventVersion":"0"}}"#,
        event.event_id, event.inference_id
    );
    out.push('\n');
}
