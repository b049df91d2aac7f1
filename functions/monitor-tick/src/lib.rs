//! The monitor-tick Lambda: an EventBridge schedule (for example `cron(5 * * * ? *)`) fires
//! it; the handler turns the event into a [`TickRequest`], makes one
//! `monitor_core::app::tick::run` call and returns the [`TickSummary`] (one execution per
//! monitor evaluated, with its status, window and report prefix).
//!
//! # The event
//!
//! The classic scheduled event:
//!
//! ```json
//! {"version": "0", "id": "…", "detail-type": "Scheduled Event", "source": "aws.events",
//!  "account": "123456789012", "time": "2026-11-01T04:05:00Z", "region": "us-east-1",
//!  "resources": ["arn:aws:events:…:rule/modelwatch-monitor-tick"], "detail": {}}
//! ```
//!
//! * `time` is the tick time: each monitor evaluates its previous whole window before it
//!   (for hourly monitors, the previous whole hour). It is required.
//! * `detail` is `{}` (or `null`) for the schedule. Two optional members serve manual runs
//!   and backfills (for example a rule's constant input, or `aws events put-events`):
//!   - `monitor`: evaluate only this monitor (its name under `config/monitors/`);
//!   - `window_end`: an RFC 3339 time; evaluate the window that ends there instead of the
//!     one before `time` (the window's length is still the monitor's).
//!
//!   Any other member is rejected, so a misspelt `windowEnd` fails loudly instead of
//!   evaluating the wrong window. `detail-type` and `source` are logged but not checked.
//!
//! # Configuration
//!
//! [`Config`] (`lambda_kit::TickConfig`): the store (`MODELWATCH_STORE`, `MODELWATCH_BUCKET`,
//! `MODELWATCH_LOCAL_ROOT`), `MODELWATCH_METRICS` (`emf` | `file` | `cloudwatch` | `none`;
//! default `emf`, or `file` with the local store) and `MODELWATCH_STACK_NAME` (the `Stack`
//! dimension of the stack-wide `failed_executions` datum).

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use lambda_kit::FunctionError;
use lambda_runtime::LambdaEvent;
use monitor_core::app::tick::{self, TickRequest, TickSummary};
use monitor_core::attribution::{InvokerFactory, LocalModels};
use monitor_core::metrics::MetricSink;
use monitor_core::store::ObjectStore;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the handler needs, built once at cold start.
pub struct Deps<S, M, F = LocalModels> {
    /// the object store holding monitors, baselines, state and reports
    pub store: S,
    /// where metrics go (see [`lambda_kit::ConfiguredMetrics`])
    pub metrics: M,
    /// the models Kernel SHAP explainers score with (local models, and SageMaker endpoints
    /// through [`monitor_aws::AwsModels`] in the Lambda)
    pub invokers: F,
    /// the deploying stack (`MODELWATCH_STACK_NAME`): the `Stack` dimension of the
    /// stack-wide `failed_executions` datum its alarm watches
    pub stack: Option<String>,
}

/// The function's configuration, read once at cold start (parsed in `lambda_kit`).
pub use lambda_kit::TickConfig as Config;

/// The `detail` of a tick event (see the crate docs); `{}` for the schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TickDetail {
    /// evaluate only this monitor
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<String>,
    /// RFC 3339 end of the window to evaluate (backfill)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_end: Option<String>,
}

/// A tick event translated into the domain's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickInput(pub TickRequest);

fn invalid(message: String) -> FunctionError {
    FunctionError::InvalidEvent(message)
}

impl TryFrom<&EventBridgeEvent<Value>> for TickInput {
    type Error = FunctionError;

    fn try_from(event: &EventBridgeEvent<Value>) -> Result<Self, Self::Error> {
        let now = event
            .time
            .ok_or_else(|| invalid("`time` is missing: it is the tick time".into()))?;
        let detail: TickDetail = match &event.detail {
            Value::Null => TickDetail::default(),
            v => serde_json::from_value(v.clone()).map_err(|e| invalid(format!("detail: {e}")))?,
        };
        if let Some(m) = &detail.monitor {
            if m.trim().is_empty() {
                return Err(invalid("detail.monitor is empty".into()));
            }
        }
        let window_end = detail
            .window_end
            .as_deref()
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        invalid(format!(
                            "detail.window_end {s:?} is not an RFC 3339 time: {e}"
                        ))
                    })
            })
            .transpose()?;
        Ok(TickInput(TickRequest {
            now,
            monitor: detail.monitor,
            window_end,
            stack: None,
        }))
    }
}

/// Handles one tick: evaluates every monitor (or the one named in `detail.monitor`).
///
/// # Errors
/// [`FunctionError::InvalidEvent`] for an event without `time` or with a bad `detail`;
/// otherwise the tick error mapped to `Transient` (I/O, throttling) or `Permanent` (bad
/// monitor configuration, unknown `detail.monitor`).
pub async fn handler<S: ObjectStore, M: MetricSink, F: InvokerFactory>(
    event: LambdaEvent<EventBridgeEvent<Value>>,
    deps: &Deps<S, M, F>,
) -> Result<TickSummary, FunctionError> {
    let TickInput(mut req) = TickInput::try_from(&event.payload)?;
    req.stack.clone_from(&deps.stack);
    tracing::info!(
        now = %req.now,
        monitor = req.monitor.as_deref().unwrap_or("*"),
        window_end = ?req.window_end,
        source = %event.payload.source,
        detail_type = %event.payload.detail_type,
        "tick"
    );
    let summary = tick::run(&deps.store, &deps.metrics, &deps.invokers, &req).await?;
    tracing::info!(executions = summary.executions.len(), "tick done");
    Ok(summary)
}
