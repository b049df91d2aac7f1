//! Data-quality `constraints.json` (spec §4.1).
//!
//! Read leniently, written back faithfully:
//! - both per-feature override spellings are read: the documented feature-level
//!   `monitoringConfigOverrides` and the SDK fixture's `string_constraints.monitoring_config_overrides`;
//! - the legacy `distribution_constraints` shape (`enable_comparisons`, `min_domain_mass`) is
//!   accepted; its unknown keys are kept;
//! - every key this crate does not know is kept (in file order) in an `extra` map and written
//!   back after the known keys, so a rewrite keeps what it did not understand.
//!
//! [`Constraints::effective`] merges the container defaults, the global `monitoring_config`
//! and a feature's overrides into the values the checks use.

use drift_math::types::InferredType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use super::statistics::FormatError;
use super::statistics::{parse, render};

const KIND: &str = "constraints.json";

/// `"Enabled"` / `"Disabled"` switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Toggle {
    /// on
    Enabled,
    /// off
    Disabled,
}

impl Toggle {
    /// `true` for [`Toggle::Enabled`].
    #[must_use]
    pub fn is_enabled(self) -> bool {
        self == Toggle::Enabled
    }
}

/// Numerical drift distance (spec §6.1): `Simple` = L∞ between the two sketch CDFs
/// (DG `linf_simple`), `Robust` = that minus `1.8·sqrt((n+m)/(n·m))`, floored at 0 (`linf_robust`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ComparisonMethod {
    /// plain L∞ distance
    Simple,
    /// L∞ distance corrected for sample size (container default)
    Robust,
}

/// Categorical drift method (spec §6.2, §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CategoricalDriftMethod {
    /// L∞ distance between category probability masses (default)
    LInfinity,
    /// Pearson chi-squared goodness-of-fit (Deequ ≥ 2481d725)
    ChiSquared,
}

/// The whole data-quality `constraints.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Constraints {
    /// format version; the analyzer writes `0.0`
    pub version: f64,
    /// one entry per column
    pub features: Vec<FeatureConstraints>,
    /// global monitoring configuration
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring_config: Option<MonitoringConfig>,
    /// keys not known to this crate, in file order
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Constraints of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConstraints {
    /// column name
    pub name: String,
    /// baseline inferred type; `data_type_check` compares against it
    pub inferred_type: InferredType,
    /// required non-null fraction (`completeness_check`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<f64>,
    /// numeric constraints
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_constraints: Option<NumConstraints>,
    /// string constraints (domain)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_constraints: Option<StringConstraints>,
    /// per-feature overrides, documented spelling (DG `model-monitor-byoc-constraints`)
    #[serde(
        rename = "monitoringConfigOverrides",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub monitoring_config_overrides: Option<MonitoringConfig>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `num_constraints` block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NumConstraints {
    /// baseline minimum was `>= 0` (no documented check type)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_non_negative: Option<bool>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `string_constraints` block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StringConstraints {
    /// observed values for low-cardinality columns (`categorical_values_check`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<String>>,
    /// per-feature overrides, SDK-fixture spelling (nested here, snake_case)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring_config_overrides: Option<MonitoringConfig>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `monitoring_config` (global) or a feature's overrides (same keys, all optional).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MonitoringConfig {
    /// run the checks at all
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluate_constraints: Option<Toggle>,
    /// publish CloudWatch metrics
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emit_metrics: Option<Toggle>,
    /// required fraction of values of the baseline type (`data_type_check`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype_check_threshold: Option<f64>,
    /// required fraction of values inside the baseline domain (`categorical_values_check`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_content_threshold: Option<f64>,
    /// drift settings (`baseline_drift_check`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_constraints: Option<DistributionConstraints>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `distribution_constraints` block (current and legacy keys).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DistributionConstraints {
    /// run `baseline_drift_check`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perform_comparison: Option<Toggle>,
    /// numerical drift threshold
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison_threshold: Option<f64>,
    /// numerical distance variant
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison_method: Option<ComparisonMethod>,
    /// categorical drift threshold
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorical_comparison_threshold: Option<f64>,
    /// categorical distance
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorical_drift_method: Option<CategoricalDriftMethod>,
    /// keys not known to this crate, e.g. the legacy `enable_comparisons`, `min_domain_mass`
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The configuration a check uses for one feature, every value resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectiveConfig {
    /// run the checks for this feature
    pub evaluate_constraints: Toggle,
    /// publish metrics for this feature
    pub emit_metrics: Toggle,
    /// required type-match fraction
    pub datatype_check_threshold: f64,
    /// required in-domain fraction
    pub domain_content_threshold: f64,
    /// run the drift check
    pub perform_comparison: Toggle,
    /// numerical drift threshold
    pub comparison_threshold: f64,
    /// numerical distance variant
    pub comparison_method: ComparisonMethod,
    /// categorical drift threshold
    pub categorical_comparison_threshold: f64,
    /// categorical distance
    pub categorical_drift_method: CategoricalDriftMethod,
}

impl Default for EffectiveConfig {
    /// The analyzer's defaults (DUMP, class `DataQualityMonitoringConfig`): thresholds 1.0 / 1.0 /
    /// 0.1, `Robust`, categorical threshold 0.1, `LInfinity`, every toggle `Enabled`.
    ///
    /// The DG table gives 0.1 for the two fraction thresholds and says the categorical threshold
    /// defaults to `comparison_threshold`; we follow the container (spec §4.1), whose 1.0 matches
    /// the real wording "Expected match: 100.0%".
    fn default() -> Self {
        EffectiveConfig {
            evaluate_constraints: Toggle::Enabled,
            emit_metrics: Toggle::Enabled,
            datatype_check_threshold: 1.0,
            domain_content_threshold: 1.0,
            perform_comparison: Toggle::Enabled,
            comparison_threshold: 0.1,
            comparison_method: ComparisonMethod::Robust,
            categorical_comparison_threshold: 0.1,
            categorical_drift_method: CategoricalDriftMethod::LInfinity,
        }
    }
}

impl EffectiveConfig {
    /// Applies the keys set in `cfg` on top of `self`.
    ///
    /// Legacy `distribution_constraints.enable_comparisons: true|false` is read as
    /// `perform_comparison` when the latter is absent **[inferred mapping]**; other legacy keys
    /// (`min_domain_mass`) have no effect.
    fn apply(&mut self, cfg: &MonitoringConfig) {
        if let Some(t) = cfg.evaluate_constraints {
            self.evaluate_constraints = t;
        }
        if let Some(t) = cfg.emit_metrics {
            self.emit_metrics = t;
        }
        if let Some(x) = cfg.datatype_check_threshold {
            self.datatype_check_threshold = x;
        }
        if let Some(x) = cfg.domain_content_threshold {
            self.domain_content_threshold = x;
        }
        let Some(dist) = &cfg.distribution_constraints else {
            return;
        };
        if let Some(t) = dist.perform_comparison {
            self.perform_comparison = t;
        } else if let Some(Value::Bool(b)) = dist.extra.get("enable_comparisons") {
            self.perform_comparison = if *b {
                Toggle::Enabled
            } else {
                Toggle::Disabled
            };
        }
        if let Some(x) = dist.comparison_threshold {
            self.comparison_threshold = x;
        }
        if let Some(m) = dist.comparison_method {
            self.comparison_method = m;
        }
        if let Some(x) = dist.categorical_comparison_threshold {
            self.categorical_comparison_threshold = x;
        }
        if let Some(m) = dist.categorical_drift_method {
            self.categorical_drift_method = m;
        }
    }
}

/// The `monitoring_config` a suggested baseline writes: exactly the block the analyzer printed
/// in `ex-intro-churn-baseline-constraints.json` (evaluate/emit `Enabled`, thresholds 1.0 and
/// 1.0, `distribution_constraints` with `perform_comparison` `Enabled`, `comparison_threshold`
/// 0.1, `comparison_method` `Robust`; the categorical keys are left to their defaults).
#[must_use]
pub fn default_monitoring_config() -> MonitoringConfig {
    MonitoringConfig {
        evaluate_constraints: Some(Toggle::Enabled),
        emit_metrics: Some(Toggle::Enabled),
        datatype_check_threshold: Some(1.0),
        domain_content_threshold: Some(1.0),
        distribution_constraints: Some(DistributionConstraints {
            perform_comparison: Some(Toggle::Enabled),
            comparison_threshold: Some(0.1),
            comparison_method: Some(ComparisonMethod::Robust),
            categorical_comparison_threshold: None,
            categorical_drift_method: None,
            extra: Map::new(),
        }),
        extra: Map::new(),
    }
}

/// Key of modelwatch's drift-policy block in `constraints.json`. SageMaker's analyzer ignores
/// keys it does not know, so a file with the block still reads as SageMaker's; a file without it
/// (written by SageMaker, imported) keeps SageMaker's rule exactly.
pub const DRIFT_POLICY_KEY: &str = "modelwatch_drift_policy";

/// The drift policy of issue 13, as the `modelwatch_drift_policy` block of `constraints.json`
/// writes it (see `data_quality::policy` for how each figure is used):
///
/// ```json
/// "modelwatch_drift_policy" : {
///   "version" : 1,
///   "false_discovery_rate" : 0.05,
///   "numerical_effect_floor" : 0.05,
///   "categorical_effect_floor" : 0.02,
///   "completeness_effect_floor" : 0.02,
///   "power_effect" : 0.1,
///   "power" : 0.8
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftPolicy {
    /// block format version; this crate writes and reads 1
    pub version: u32,
    /// Benjamini–Hochberg false discovery rate `q` across one window's tests
    pub false_discovery_rate: f64,
    /// numeric features: flag only when the normalised Wasserstein distance (W1 / baseline
    /// std, in baseline standard deviations) exceeds this
    pub numerical_effect_floor: f64,
    /// categorical features: flag only when the largest category share change exceeds this
    pub categorical_effect_floor: f64,
    /// completeness: flag only when the missing share rose by more than this
    pub completeness_effect_floor: f64,
    /// the effect a window must be able to detect to be judged at all (L∞ for numbers, share
    /// change for categories, missing-share rise for completeness); below that power the
    /// verdict is "lacks power"
    pub power_effect: f64,
    /// the power required at `power_effect` (e.g. 0.8)
    pub power: f64,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for DriftPolicy {
    /// The policy `modelwatch baseline` writes. Why these numbers: a floor of 0.05 baseline
    /// standard deviations is half of Evidently's normalised-Wasserstein default (0.1), so a
    /// 0.1 SD shift clears it with room for the sketch's error; 2 share points for categories
    /// and missing values are the smallest changes issue 13 calls worth an alert with margin
    /// (5 points must be found); 0.1 as the power effect is SageMaker's own bar (L∞ 0.1): a
    /// window that cannot see that at 80 % power says so rather than "no drift"; q = 0.05 is
    /// the conventional FDR.
    fn default() -> Self {
        DriftPolicy {
            version: 1,
            false_discovery_rate: 0.05,
            numerical_effect_floor: 0.05,
            categorical_effect_floor: 0.02,
            completeness_effect_floor: 0.02,
            power_effect: 0.1,
            power: 0.8,
            extra: Map::new(),
        }
    }
}

impl DriftPolicy {
    fn validate(&self) -> Result<(), FormatError> {
        let invalid = |field: &str, value: String| FormatError::Invalid {
            kind: KIND,
            field: format!("{DRIFT_POLICY_KEY}.{field}"),
            value,
        };
        if self.version != 1 {
            return Err(invalid("version", self.version.to_string()));
        }
        let in_unit = |x: f64| x > 0.0 && x < 1.0;
        for (name, v, ok) in [
            (
                "false_discovery_rate",
                self.false_discovery_rate,
                in_unit(self.false_discovery_rate),
            ),
            ("power", self.power, in_unit(self.power)),
            (
                "power_effect",
                self.power_effect,
                self.power_effect > 0.0 && self.power_effect <= 1.0,
            ),
            (
                "numerical_effect_floor",
                self.numerical_effect_floor,
                self.numerical_effect_floor.is_finite() && self.numerical_effect_floor >= 0.0,
            ),
            (
                "categorical_effect_floor",
                self.categorical_effect_floor,
                (0.0..1.0).contains(&self.categorical_effect_floor),
            ),
            (
                "completeness_effect_floor",
                self.completeness_effect_floor,
                (0.0..1.0).contains(&self.completeness_effect_floor),
            ),
        ] {
            if !ok {
                return Err(invalid(name, super::jackson::java_double(v)));
            }
        }
        Ok(())
    }
}

impl Constraints {
    /// Parses a data-quality `constraints.json` and checks its numeric values.
    ///
    /// # Errors
    /// [`FormatError::Json`] (with line/column) for malformed JSON, missing required keys or
    /// unknown enum values (`"Enabled"`, `"Robust"`, …); [`FormatError::Invalid`] for a
    /// completeness outside `[0, 1]` or a negative or non-finite threshold.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        let c: Constraints = parse(KIND, bytes)?;
        c.validate()?;
        Ok(c)
    }

    /// Renders the file as the analyzer does (Jackson pretty printer, no trailing newline).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(KIND, self)
    }

    /// The `modelwatch_drift_policy` block, if the file has one ([`DRIFT_POLICY_KEY`]).
    ///
    /// # Errors
    /// [`FormatError::Invalid`] if the block does not have the block's shape (a missing or
    /// mistyped key: the field names serde's message, the value is the block) or holds a value
    /// out of range (see [`DriftPolicy`]).
    pub fn drift_policy(&self) -> Result<Option<DriftPolicy>, FormatError> {
        let Some(v) = self.extra.get(DRIFT_POLICY_KEY) else {
            return Ok(None);
        };
        let p = DriftPolicy::deserialize(v).map_err(|e| FormatError::Invalid {
            kind: KIND,
            field: format!("{DRIFT_POLICY_KEY} ({e})"),
            value: v.to_string(),
        })?;
        p.validate()?;
        Ok(Some(p))
    }

    /// Writes (or replaces) the `modelwatch_drift_policy` block; `None` removes it.
    pub fn set_drift_policy(&mut self, policy: Option<&DriftPolicy>) {
        match policy.and_then(|p| serde_json::to_value(p).ok()) {
            Some(v) => {
                self.extra.insert(DRIFT_POLICY_KEY.to_string(), v);
            }
            None => {
                self.extra.shift_remove(DRIFT_POLICY_KEY);
            }
        }
    }

    /// The constraints of the feature called `name`, if present.
    #[must_use]
    pub fn feature(&self, name: &str) -> Option<&FeatureConstraints> {
        self.features.iter().find(|f| f.name == name)
    }

    /// The configuration for `feature`: container defaults, then the global `monitoring_config`,
    /// then the feature's `string_constraints.monitoring_config_overrides`, then its
    /// `monitoringConfigOverrides` (the documented spelling wins when both set a key). An unknown
    /// feature gets the global configuration.
    #[must_use]
    pub fn effective(&self, feature: &str) -> EffectiveConfig {
        let mut eff = EffectiveConfig::default();
        if let Some(global) = &self.monitoring_config {
            eff.apply(global);
        }
        if let Some(f) = self.feature(feature) {
            for o in f.overrides() {
                eff.apply(o);
            }
        }
        eff
    }

    fn validate(&self) -> Result<(), FormatError> {
        let invalid = |field: String, value: f64| FormatError::Invalid {
            kind: KIND,
            field,
            value: super::jackson::java_double(value),
        };
        let check_cfg = |path: &str, cfg: &MonitoringConfig| -> Result<(), FormatError> {
            let mut thresholds = vec![
                ("datatype_check_threshold", cfg.datatype_check_threshold),
                ("domain_content_threshold", cfg.domain_content_threshold),
            ];
            if let Some(d) = &cfg.distribution_constraints {
                thresholds.push((
                    "distribution_constraints.comparison_threshold",
                    d.comparison_threshold,
                ));
                thresholds.push((
                    "distribution_constraints.categorical_comparison_threshold",
                    d.categorical_comparison_threshold,
                ));
            }
            for (name, v) in thresholds {
                if let Some(v) = v {
                    if !v.is_finite() || v < 0.0 {
                        return Err(invalid(format!("{path}.{name}"), v));
                    }
                }
            }
            Ok(())
        };
        if let Some(g) = &self.monitoring_config {
            check_cfg("monitoring_config", g)?;
        }
        self.drift_policy()?;
        for (i, f) in self.features.iter().enumerate() {
            if let Some(c) = f.completeness {
                if !(0.0..=1.0).contains(&c) {
                    return Err(invalid(format!("features[{i}].completeness"), c));
                }
            }
            if let Some(o) = &f.monitoring_config_overrides {
                check_cfg(&format!("features[{i}].monitoringConfigOverrides"), o)?;
            }
            if let Some(o) = f
                .string_constraints
                .as_ref()
                .and_then(|s| s.monitoring_config_overrides.as_ref())
            {
                check_cfg(
                    &format!("features[{i}].string_constraints.monitoring_config_overrides"),
                    o,
                )?;
            }
        }
        Ok(())
    }
}

impl Default for FeatureConstraints {
    /// An unnamed `Unknown` feature without constraints.
    fn default() -> Self {
        FeatureConstraints::new(String::new(), InferredType::Unknown)
    }
}

impl FeatureConstraints {
    /// A feature with a name and type and no constraints yet.
    #[must_use]
    pub fn new(name: impl Into<String>, inferred_type: InferredType) -> Self {
        FeatureConstraints {
            name: name.into(),
            inferred_type,
            completeness: None,
            num_constraints: None,
            string_constraints: None,
            monitoring_config_overrides: None,
            extra: Map::new(),
        }
    }

    /// The feature's overrides in application order: the nested SDK spelling first, then the
    /// documented feature-level `monitoringConfigOverrides`.
    pub fn overrides(&self) -> impl Iterator<Item = &MonitoringConfig> {
        self.string_constraints
            .as_ref()
            .and_then(|s| s.monitoring_config_overrides.as_ref())
            .into_iter()
            .chain(self.monitoring_config_overrides.as_ref())
    }

    /// The baseline domain, if one was suggested.
    #[must_use]
    pub fn domains(&self) -> Option<&[String]> {
        self.string_constraints.as_ref()?.domains.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_containers() {
        let c = Constraints::from_json(br#"{"version":0.0,"features":[]}"#).unwrap();
        assert_eq!(c.effective("anything"), EffectiveConfig::default());
        let d = EffectiveConfig::default();
        assert_eq!(d.datatype_check_threshold, 1.0);
        assert_eq!(d.comparison_method, ComparisonMethod::Robust);
        assert_eq!(
            d.categorical_drift_method,
            CategoricalDriftMethod::LInfinity
        );
    }

    #[test]
    fn documented_override_wins_over_nested_one() {
        let text = br#"{"version":0.0,"features":[{"name":"s","inferred_type":"String",
          "string_constraints":{"monitoring_config_overrides":{"emit_metrics":"Disabled",
             "datatype_check_threshold":0.5}},
          "monitoringConfigOverrides":{"datatype_check_threshold":0.9,
             "distribution_constraints":{"categorical_drift_method":"ChiSquared"}}}],
          "monitoring_config":{"distribution_constraints":{"enable_comparisons":false}}}"#;
        let c = Constraints::from_json(text).unwrap();
        let e = c.effective("s");
        assert_eq!(e.emit_metrics, Toggle::Disabled);
        assert_eq!(e.datatype_check_threshold, 0.9);
        assert_eq!(
            e.categorical_drift_method,
            CategoricalDriftMethod::ChiSquared
        );
        assert_eq!(e.perform_comparison, Toggle::Disabled);
        assert_eq!(c.effective("other").emit_metrics, Toggle::Enabled);
    }

    #[test]
    fn drift_policy_block_is_read_validated_and_optional() {
        let c = Constraints::from_json(br#"{"version":0.0,"features":[]}"#).unwrap();
        assert_eq!(c.drift_policy(), Ok(None));
        let mut c2 = c.clone();
        c2.set_drift_policy(Some(&DriftPolicy::default()));
        let text = c2.to_json();
        assert!(text.contains("\"modelwatch_drift_policy\" : {"), "{text}");
        let back = Constraints::from_json(text.as_bytes()).unwrap();
        assert_eq!(back.drift_policy(), Ok(Some(DriftPolicy::default())));
        let bad = text.replace(
            "\"false_discovery_rate\" : 0.05",
            "\"false_discovery_rate\" : 1.5",
        );
        assert_eq!(
            Constraints::from_json(bad.as_bytes()),
            Err(FormatError::Invalid {
                kind: "constraints.json",
                field: "modelwatch_drift_policy.false_discovery_rate".into(),
                value: "1.5".into()
            })
        );
        let shapeless = br#"{"version":0.0,"features":[],"modelwatch_drift_policy":{"version":1}}"#;
        assert!(matches!(
            Constraints::from_json(shapeless),
            Err(FormatError::Invalid { field, .. }) if field.contains("false_discovery_rate")
        ));
    }

    #[test]
    fn invalid_values_are_named() {
        let err = Constraints::from_json(
            br#"{"version":0.0,"features":[{"name":"a","inferred_type":"Integral","completeness":1.5}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            FormatError::Invalid {
                kind: "constraints.json",
                field: "features[0].completeness".into(),
                value: "1.5".into()
            }
        );
        let err = Constraints::from_json(
            br#"{"version":0.0,"features":[],"monitoring_config":{"emit_metrics":"On"}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&err, FormatError::Json { message, .. } if message.contains("On")),
            "{err}"
        );
    }
}
