//! The model-invoker port ([`monitor_core::attribution::ModelInvoker`]) on a SageMaker endpoint:
//! SageMaker Runtime `InvokeEndpoint`, as Clarify's explainability monitor scores its Kernel
//! SHAP samples on a (shadow) endpoint.
//!
//! Rows go out as `text/csv` (one record per line, at most [`MAX_ROWS_PER_REQUEST`] per
//! request, staying well inside InvokeEndpoint's 6 MB payload limit); the answer is read
//! as one score per record: CSV lines (the column named by `output_attribute`, default the
//! first), or JSON — an array of numbers, an array of objects / arrays (the score at the
//! `output_attribute` pointer or index), or `{"predictions": [...]}`.
//!
//! The port is synchronous (Kernel SHAP calls it from its inner loop): [`EndpointInvoker`]
//! blocks on the runtime handle it was built on, so it must be called from a blocking thread
//! (`tokio::task::spawn_blocking`), which is what monitor-tick does.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_sagemakerruntime::primitives::Blob;
use aws_sdk_sagemakerruntime::Client;
use monitor_core::attribution::{InvokerFactory, LocalModels, ModelInvoker, ModelSpec};
use monitor_core::CoreError;
use serde_json::Value;

/// Records per InvokeEndpoint request.
pub const MAX_ROWS_PER_REQUEST: usize = 1000;

/// The SageMaker Runtime client configuration with the crate's retry policy (tests add a
/// mock HTTP client to it).
#[must_use]
pub fn runtime_config(conf: &SdkConfig) -> aws_sdk_sagemakerruntime::config::Builder {
    aws_sdk_sagemakerruntime::config::Builder::from(conf).retry_config(crate::retry_config())
}

/// A SageMaker Runtime client with the crate's retry policy.
#[must_use]
pub fn runtime_client(conf: &SdkConfig) -> Client {
    Client::from_conf(runtime_config(conf).build())
}

/// Scores rows on a SageMaker endpoint (see the module docs).
#[derive(Debug, Clone)]
pub struct EndpointInvoker {
    client: Client,
    endpoint: String,
    output_attribute: Option<String>,
    handle: tokio::runtime::Handle,
}

impl EndpointInvoker {
    /// An invoker of `endpoint` that blocks on `handle` for each request.
    #[must_use]
    pub fn new(
        client: Client,
        endpoint: impl Into<String>,
        output_attribute: Option<String>,
        handle: tokio::runtime::Handle,
    ) -> Self {
        EndpointInvoker {
            client,
            endpoint: endpoint.into(),
            output_attribute,
            handle,
        }
    }

    /// Scores `rows` with one InvokeEndpoint request per [`MAX_ROWS_PER_REQUEST`] rows.
    ///
    /// # Errors
    /// A message naming the endpoint and the service's error, or the unreadable answer.
    pub async fn predict_async(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>, String> {
        let mut out = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(MAX_ROWS_PER_REQUEST) {
            let body = csv_body(chunk);
            let resp = self
                .client
                .invoke_endpoint()
                .endpoint_name(&self.endpoint)
                .content_type("text/csv")
                .accept("text/csv, application/json")
                .body(Blob::new(body))
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "InvokeEndpoint {}: {}",
                        self.endpoint,
                        aws_sdk_sagemakerruntime::error::DisplayErrorContext(&e)
                    )
                })?;
            let text = resp
                .body()
                .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
                .unwrap_or_default();
            let content_type = resp.content_type().unwrap_or("text/csv");
            let scores = parse_scores(&text, content_type, self.output_attribute.as_deref())
                .map_err(|e| format!("InvokeEndpoint {}: {e}", self.endpoint))?;
            if scores.len() != chunk.len() {
                return Err(format!(
                    "InvokeEndpoint {}: {} scores for {} records",
                    self.endpoint,
                    scores.len(),
                    chunk.len()
                ));
            }
            out.extend(scores);
        }
        Ok(out)
    }
}

impl ModelInvoker for EndpointInvoker {
    fn predict(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>, String> {
        self.handle.block_on(self.predict_async(rows))
    }
}

/// The rows as CSV: shortest round-trip digits, one record per line.
fn csv_body(rows: &[Vec<f64>]) -> Vec<u8> {
    let mut s = String::new();
    for r in rows {
        for (i, x) in r.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&x.to_string());
        }
        s.push('\n');
    }
    s.into_bytes()
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One score per record of an endpoint answer (see the module docs).
///
/// # Errors
/// A message naming the record that has no numeric score.
pub fn parse_scores(
    text: &str,
    content_type: &str,
    attribute: Option<&str>,
) -> Result<Vec<f64>, String> {
    let trimmed = text.trim();
    let looks_json =
        content_type.contains("json") || trimmed.starts_with('[') || trimmed.starts_with('{');
    if looks_json {
        let v: Value =
            serde_json::from_str(trimmed).map_err(|e| format!("answer is not JSON: {e}"))?;
        let records = match &v {
            Value::Array(a) => a.clone(),
            Value::Object(o) => match o.get("predictions") {
                Some(Value::Array(a)) => a.clone(),
                _ => return Err("JSON answer without a predictions array".into()),
            },
            _ => return Err("JSON answer is neither an array nor an object".into()),
        };
        return records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let picked = match (r, attribute) {
                    (Value::Object(_), Some(p)) if p.starts_with('/') => r.pointer(p),
                    (Value::Object(o), _) => o.get("score").or_else(|| o.values().next()),
                    (Value::Array(a), a_idx) => {
                        a.get(a_idx.and_then(|s| s.parse().ok()).unwrap_or(0))
                    }
                    (other, _) => Some(other),
                };
                picked
                    .and_then(number)
                    .ok_or_else(|| format!("record {i} has no numeric score: {r}"))
            })
            .collect();
    }
    let column: usize = attribute.and_then(|a| a.parse().ok()).unwrap_or(0);
    trimmed
        .lines()
        .enumerate()
        .map(|(i, line)| {
            line.split(',')
                .nth(column)
                .and_then(|f| f.trim().trim_matches('"').parse().ok())
                .ok_or_else(|| format!("line {} has no numeric column {column}: {line:?}", i + 1))
        })
        .collect()
}

/// Serves local models in process and `endpoint` models through SageMaker Runtime.
#[derive(Debug, Clone)]
pub struct AwsModels {
    client: Client,
    handle: tokio::runtime::Handle,
}

impl AwsModels {
    /// A factory whose endpoint invokers use `client` and block on `handle`.
    #[must_use]
    pub fn new(client: Client, handle: tokio::runtime::Handle) -> Self {
        AwsModels { client, handle }
    }
}

impl InvokerFactory for AwsModels {
    fn invoker(
        &self,
        spec: &ModelSpec,
        features: &[String],
    ) -> Result<Arc<dyn ModelInvoker>, CoreError> {
        match spec {
            ModelSpec::Endpoint {
                endpoint_name,
                output_attribute,
            } => Ok(Arc::new(EndpointInvoker::new(
                self.client.clone(),
                endpoint_name.clone(),
                output_attribute.clone(),
                self.handle.clone(),
            ))),
            local => LocalModels.invoker(local, features),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_answers() {
        assert_eq!(
            parse_scores("0.1\n0.9\n", "text/csv", None).unwrap(),
            vec![0.1, 0.9]
        );
        assert_eq!(
            parse_scores("1,0.25\n0,0.75", "text/csv", Some("1")).unwrap(),
            vec![0.25, 0.75]
        );
        assert_eq!(
            parse_scores("[0.5, 0.25]", "application/json", None).unwrap(),
            vec![0.5, 0.25]
        );
        assert_eq!(
            parse_scores(
                r#"{"predictions": [{"score": 0.3}, {"score": 0.7}]}"#,
                "application/json",
                None
            )
            .unwrap(),
            vec![0.3, 0.7]
        );
        assert_eq!(
            parse_scores(
                r#"[{"p": {"yes": 0.2}}, {"p": {"yes": 0.6}}]"#,
                "application/json",
                Some("/p/yes")
            )
            .unwrap(),
            vec![0.2, 0.6]
        );
        let e = parse_scores("0.1\nabc\n", "text/csv", None).unwrap_err();
        assert_eq!(e, "line 2 has no numeric column 0: \"abc\"");
    }

    #[test]
    fn rows_go_out_as_csv() {
        assert_eq!(
            csv_body(&[vec![1.0, 0.5], vec![-2.0, 1e-7]]),
            b"1,0.5\n-2,0.0000001\n".to_vec()
        );
    }
}
