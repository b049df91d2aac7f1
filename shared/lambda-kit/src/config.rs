//! Every environment variable a modelwatch Lambda reads, parsed once at cold start into a
//! typed configuration.
//!
//! Each parser reads through a `lookup` function: the process environment in `main`
//! (`from_env`), a map in tests (`from_lookup`), so tests never touch the environment.
//! Unset and blank variables are the same; choices are case-insensitive; a bad value is a
//! [`ConfigError`] naming the variable and quoting the value.
//!
//! | configuration | read by | variables |
//! | --- | --- | --- |
//! | [`CommonConfig`] | every function | [`env::STORE`], [`env::BUCKET`], [`env::LOCAL_ROOT`], [`env::ENDPOINT_URL`], [`env::S3_PATH_STYLE`] |
//! | [`TickConfig`] | monitor-tick | the common ones, [`env::METRICS`] ([`MetricsMode`]) and [`env::STACK_NAME`] |
//! | [`TriggerConfig`] | retrain-trigger | the common ones, [`env::DRY_RUN`], [`env::LAUNCHER`] ([`LauncherMode`]), [`env::FILE_RUN_MINUTES`], [`env::ACCOUNT_ID`] |

use monitor_core::app::retrain::RunOptions;

/// Environment variable names.
pub mod env {
    /// `local` or `s3` (default `s3` when `MODELWATCH_BUCKET` is set, else required)
    pub const STORE: &str = "MODELWATCH_STORE";
    /// root directory of the local store
    pub const LOCAL_ROOT: &str = "MODELWATCH_LOCAL_ROOT";
    /// S3 bucket of the data
    pub const BUCKET: &str = "MODELWATCH_BUCKET";
    /// `emf` | `file` | `cloudwatch` | `none`: where metrics go (default `emf`, or `file`
    /// with the local store); see [`MetricsMode`](crate::MetricsMode)
    pub const METRICS: &str = "MODELWATCH_METRICS";
    /// endpoint override for the AWS clients (e.g. `http://127.0.0.1:5000` for moto)
    pub const ENDPOINT_URL: &str = "MODELWATCH_AWS_ENDPOINT_URL";
    /// `true` | `false`: path-style S3 addressing (default: true with an endpoint override)
    pub const S3_PATH_STYLE: &str = "MODELWATCH_S3_PATH_STYLE";
    /// `true` | `false` (also `1`/`0`, `yes`/`no`): overrides `dry_run` of
    /// `config/retrain.json`; unset keeps it
    pub const DRY_RUN: &str = "MODELWATCH_DRY_RUN";
    /// `sagemaker` | `file`: which launcher starts retraining pipelines; see
    /// [`LauncherMode`](crate::LauncherMode)
    pub const LAUNCHER: &str = "MODELWATCH_LAUNCHER";
    /// minutes a `file` launcher's run stays `Executing` (default `0`), or `never`
    pub const FILE_RUN_MINUTES: &str = "MODELWATCH_FILE_RUN_MINUTES";
    /// the 12-digit AWS account whose alarms may start pipelines (template.yaml sets it to the
    /// stack's account); unset: no check (local runs)
    pub const ACCOUNT_ID: &str = "MODELWATCH_ACCOUNT_ID";
    /// the deploying CloudFormation stack (template.yaml sets it on monitor-tick): the
    /// `Stack` dimension of the stack-wide `failed_executions` metric its alarm watches;
    /// unset: that datum has no dimensions (local runs)
    pub const STACK_NAME: &str = "MODELWATCH_STACK_NAME";
}

/// A missing or invalid environment variable, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}: {message}")]
pub struct ConfigError {
    /// variable name
    pub name: &'static str,
    /// what is wrong
    pub message: String,
}

/// The process environment as a lookup.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The trimmed value of `name`; unset and blank are `None`.
fn non_blank(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Reads `name` as one of `choices` (case-insensitive): each choice is its accepted
/// spellings, the first of which the error message lists. `Ok(None)` when unset or blank.
fn choice<T: Copy>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    choices: &[(&[&str], T)],
) -> Result<Option<T>, ConfigError> {
    let Some(raw) = non_blank(lookup, name) else {
        return Ok(None);
    };
    let lower = raw.to_ascii_lowercase();
    choices
        .iter()
        .find(|(spellings, _)| spellings.contains(&lower.as_str()))
        .map(|&(_, value)| Some(value))
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(s, _)| s[0]).collect();
            ConfigError {
                name,
                message: format!("{raw:?} is not one of {}", names.join(", ")),
            }
        })
}

/// Reads `name` as a boolean (`true`/`1`/`yes`, `false`/`0`/`no`); `Ok(None)` when unset.
fn flag(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<bool>, ConfigError> {
    choice(
        lookup,
        name,
        &[
            (&["true", "1", "yes"], true),
            (&["false", "0", "no"], false),
        ],
    )
}

/// Where a function keeps its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A local directory (tests, `cargo lambda watch` on a laptop).
    Local {
        /// root directory
        root: String,
    },
    /// An S3 bucket.
    S3 {
        /// bucket name
        bucket: String,
    },
}

impl StoreConfig {
    /// The bucket of an S3 store; `None` for the local store.
    pub fn bucket(&self) -> Option<&str> {
        match self {
            StoreConfig::S3 { bucket } => Some(bucket),
            StoreConfig::Local { .. } => None,
        }
    }

    /// The URI prefix of the store's keys: `s3://{bucket}/`, or the local root followed by
    /// `/`.
    pub fn uri_prefix(&self) -> String {
        match self {
            StoreConfig::S3 { bucket } => format!("s3://{bucket}/"),
            StoreConfig::Local { root } => format!("{}/", root.trim_end_matches('/')),
        }
    }
}

/// Configuration every function reads at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonConfig {
    /// the object store
    pub store: StoreConfig,
    /// AWS endpoint override (tests against a local emulator); the SDK's own
    /// `AWS_ENDPOINT_URL` works too
    pub endpoint_url: Option<String>,
    /// address S3 path-style (`http://host/bucket/key`); default on when an endpoint
    /// override is set, as emulators need it
    pub s3_path_style: bool,
}

#[derive(Clone, Copy)]
enum StoreKind {
    Local,
    S3,
}

impl CommonConfig {
    /// Reads the configuration through `lookup` (the process environment in `main`, a
    /// map in tests).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the missing or invalid variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let kind = choice(
            &lookup,
            env::STORE,
            &[(&["local"], StoreKind::Local), (&["s3"], StoreKind::S3)],
        )?;
        let store = match (kind, non_blank(&lookup, env::BUCKET)) {
            (Some(StoreKind::Local), _) => StoreConfig::Local {
                root: non_blank(&lookup, env::LOCAL_ROOT).ok_or_else(|| ConfigError {
                    name: env::LOCAL_ROOT,
                    message: "required when MODELWATCH_STORE=local".into(),
                })?,
            },
            (Some(StoreKind::S3) | None, Some(bucket)) => StoreConfig::S3 { bucket },
            (Some(StoreKind::S3) | None, None) => {
                return Err(ConfigError {
                    name: env::BUCKET,
                    message: "required (or set MODELWATCH_STORE=local and MODELWATCH_LOCAL_ROOT)"
                        .into(),
                })
            }
        };
        let endpoint_url = non_blank(&lookup, env::ENDPOINT_URL);
        if let Some(url) = &endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError {
                    name: env::ENDPOINT_URL,
                    message: format!("{url:?} is not an http(s) URL"),
                });
            }
        }
        let s3_path_style = flag(&lookup, env::S3_PATH_STYLE)?.unwrap_or(endpoint_url.is_some());
        Ok(Self {
            store,
            endpoint_url,
            s3_path_style,
        })
    }

    /// Reads the process environment.
    ///
    /// # Errors
    /// See [`CommonConfig::from_lookup`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }
}

/// Where a function publishes its CloudWatch metrics (`MODELWATCH_METRICS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    /// `emf`: CloudWatch Embedded Metric Format lines on stdout; Lambda forwards them to
    /// CloudWatch Logs, which extracts the metrics without an API call. Default on S3.
    Emf,
    /// `file`: SageMaker BYOC metrics files under `metrics/` in the store. Default with the
    /// local store.
    File,
    /// `cloudwatch`: PutMetricData API calls (exact statistic sets; needs
    /// `cloudwatch:PutMetricData`).
    CloudWatch,
    /// `none`: metrics are dropped.
    None,
}

impl MetricsMode {
    /// The mode used when `MODELWATCH_METRICS` is unset: `file` for the local store (no
    /// CloudWatch on a laptop), `emf` otherwise.
    pub fn default_for(store: &StoreConfig) -> Self {
        match store {
            StoreConfig::Local { .. } => MetricsMode::File,
            StoreConfig::S3 { .. } => MetricsMode::Emf,
        }
    }

    /// Reads `MODELWATCH_METRICS` through `lookup` (case-insensitive; unset or blank means
    /// [`MetricsMode::default_for`] `store`).
    ///
    /// # Errors
    /// A [`ConfigError`] for a value that is not a mode.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        store: &StoreConfig,
    ) -> Result<Self, ConfigError> {
        let mode = choice(
            &lookup,
            env::METRICS,
            &[
                (&["emf"], MetricsMode::Emf),
                (&["file"], MetricsMode::File),
                (&["cloudwatch"], MetricsMode::CloudWatch),
                (&["none"], MetricsMode::None),
            ],
        )?;
        Ok(mode.unwrap_or_else(|| Self::default_for(store)))
    }
}

/// The monitor-tick function's configuration: the store, the metric sink and the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickConfig {
    /// the store
    pub common: CommonConfig,
    /// the metric sink (`MODELWATCH_METRICS`)
    pub metrics: MetricsMode,
    /// the deploying stack (`MODELWATCH_STACK_NAME`), if set
    pub stack: Option<String>,
}

impl TickConfig {
    /// Reads the configuration through `lookup` (the process environment in `main`, a map
    /// in tests).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the missing or invalid variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_lookup(&lookup)?;
        let metrics = MetricsMode::from_lookup(&lookup, &common.store)?;
        let stack = non_blank(&lookup, env::STACK_NAME);
        Ok(Self {
            common,
            metrics,
            stack,
        })
    }

    /// Reads the process environment.
    ///
    /// # Errors
    /// See [`TickConfig::from_lookup`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }
}

/// Which launcher starts retraining pipelines (`MODELWATCH_LAUNCHER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LauncherMode {
    /// `sagemaker` (default): SageMaker `StartPipelineExecution`
    SageMaker,
    /// `file`: runs recorded in the store under `state/retrain/runs/` (`FileLauncher`)
    File,
}

/// The retrain-trigger function's configuration: the store, the dry-run override and the
/// launcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerConfig {
    /// the store
    pub common: CommonConfig,
    /// `MODELWATCH_DRY_RUN`, when set
    pub dry_run: Option<bool>,
    /// `MODELWATCH_LAUNCHER`
    pub launcher: LauncherMode,
    /// `MODELWATCH_FILE_RUN_MINUTES`: `Some(minutes)`, or `None` for `never`
    pub file_run_minutes: Option<u32>,
    /// `MODELWATCH_ACCOUNT_ID`: the only account whose alarm events are acted on
    pub account_id: Option<String>,
}

impl TriggerConfig {
    /// Reads the configuration through `lookup` (the process environment in `main`, a map
    /// in tests).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the missing or invalid variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_lookup(&lookup)?;
        let dry_run = flag(&lookup, env::DRY_RUN)?;
        let launcher = choice(
            &lookup,
            env::LAUNCHER,
            &[
                (&["sagemaker"], LauncherMode::SageMaker),
                (&["file"], LauncherMode::File),
            ],
        )?
        .unwrap_or(LauncherMode::SageMaker);
        let file_run_minutes = match non_blank(&lookup, env::FILE_RUN_MINUTES) {
            None => Some(0),
            Some(raw) if raw.eq_ignore_ascii_case("never") => None,
            Some(raw) => Some(raw.parse::<u32>().map_err(|_| ConfigError {
                name: env::FILE_RUN_MINUTES,
                message: format!("{raw:?} is neither a whole number of minutes nor `never`"),
            })?),
        };
        let account_id = match non_blank(&lookup, env::ACCOUNT_ID) {
            None => None,
            Some(raw) if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) => Some(raw),
            Some(raw) => {
                return Err(ConfigError {
                    name: env::ACCOUNT_ID,
                    message: format!("{raw:?} is not a 12-digit AWS account id"),
                })
            }
        };
        Ok(Self {
            common,
            dry_run,
            launcher,
            file_run_minutes,
            account_id,
        })
    }

    /// Reads the process environment.
    ///
    /// # Errors
    /// See [`TriggerConfig::from_lookup`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }

    /// The options of the retraining use case: the dry-run override and the URI prefix of
    /// store keys ([`StoreConfig::uri_prefix`]).
    pub fn run_options(&self) -> RunOptions {
        RunOptions {
            dry_run: self.dry_run,
            store_uri: self.common.store.uri_prefix(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::lookup;

    fn cfg(pairs: &[(&str, &str)]) -> Result<CommonConfig, ConfigError> {
        CommonConfig::from_lookup(lookup(pairs))
    }

    #[test]
    fn store_selection() {
        assert_eq!(
            cfg(&[("MODELWATCH_BUCKET", "b")]).unwrap().store,
            StoreConfig::S3 { bucket: "b".into() }
        );
        assert_eq!(
            cfg(&[
                ("MODELWATCH_STORE", "local"),
                ("MODELWATCH_LOCAL_ROOT", "/tmp/x")
            ])
            .unwrap()
            .store,
            StoreConfig::Local {
                root: "/tmp/x".into()
            }
        );
        let e = cfg(&[("MODELWATCH_STORE", "local")]).unwrap_err();
        assert_eq!(e.name, "MODELWATCH_LOCAL_ROOT");
        let e = cfg(&[]).unwrap_err();
        assert_eq!(e.name, "MODELWATCH_BUCKET");
        let e = cfg(&[("MODELWATCH_STORE", "gcs")]).unwrap_err();
        assert!(e.to_string().contains("MODELWATCH_STORE"), "{e}");
    }

    #[test]
    fn path_style_follows_the_endpoint_override_unless_set() {
        let c = cfg(&[("MODELWATCH_BUCKET", "b")]).unwrap();
        assert!(!c.s3_path_style);
        let c = cfg(&[
            ("MODELWATCH_BUCKET", "b"),
            ("MODELWATCH_AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ])
        .unwrap();
        assert!(c.s3_path_style);
        let c = cfg(&[
            ("MODELWATCH_BUCKET", "b"),
            ("MODELWATCH_AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("MODELWATCH_S3_PATH_STYLE", "FALSE"),
        ])
        .unwrap();
        assert!(!c.s3_path_style);
        let e = cfg(&[
            ("MODELWATCH_BUCKET", "b"),
            ("MODELWATCH_S3_PATH_STYLE", "maybe"),
        ])
        .unwrap_err();
        assert_eq!(e.name, "MODELWATCH_S3_PATH_STYLE");
        let e = cfg(&[
            ("MODELWATCH_BUCKET", "b"),
            ("MODELWATCH_AWS_ENDPOINT_URL", "localhost"),
        ])
        .unwrap_err();
        assert_eq!(e.name, "MODELWATCH_AWS_ENDPOINT_URL");
    }

    #[test]
    fn metrics_mode_defaults_by_store_and_rejects_unknown_values() {
        let local = StoreConfig::Local {
            root: "/tmp/x".into(),
        };
        let s3 = StoreConfig::S3 { bucket: "b".into() };
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[]), &local),
            Ok(MetricsMode::File)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[]), &s3),
            Ok(MetricsMode::Emf)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", " ")]), &s3),
            Ok(MetricsMode::Emf)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", "EMF")]), &local),
            Ok(MetricsMode::Emf)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", "file")]), &s3),
            Ok(MetricsMode::File)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", "none")]), &s3),
            Ok(MetricsMode::None)
        );
        let e =
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", "statsd")]), &s3).unwrap_err();
        assert_eq!(e.name, "MODELWATCH_METRICS");
        assert_eq!(
            e.to_string(),
            "environment variable MODELWATCH_METRICS: \"statsd\" is not one of emf, file, cloudwatch, none"
        );
        assert_eq!(s3.bucket(), Some("b"));
        assert_eq!(local.bucket(), None);
    }
}
