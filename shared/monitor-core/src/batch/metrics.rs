//! The metrics of a batch-transform monitor: SageMaker publishes them in the
//! `aws/sagemaker/ModelMonitoring/*` namespaces with the `MonitoringSchedule` dimension only
//! (spec §7). Every capability builds its metrics as for an endpoint; this sink moves them.

use crate::metrics::{dimensions, MetricDatum, MetricSink};
use crate::CoreError;

/// The endpoint namespaces' prefix and the batch namespaces' one.
const ENDPOINT_NS: &str = "aws/sagemaker/Endpoints/";
const BATCH_NS: &str = "aws/sagemaker/ModelMonitoring/";

/// `datum` as a batch monitor publishes it: `aws/sagemaker/Endpoints/x` becomes
/// `aws/sagemaker/ModelMonitoring/x`, and the `Endpoint` dimension is dropped.
pub fn to_batch(mut datum: MetricDatum) -> MetricDatum {
    if let Some(rest) = datum.namespace.strip_prefix(ENDPOINT_NS) {
        datum.namespace = format!("{BATCH_NS}{rest}");
    }
    datum.dimensions.retain(|(n, _)| n != dimensions::ENDPOINT);
    datum
}

/// A [`MetricSink`] that publishes through `inner` what [`to_batch`] makes of each datum.
pub struct BatchMetricSink<'a, M: ?Sized>(pub &'a M);

impl<M: MetricSink + ?Sized> MetricSink for BatchMetricSink<'_, M> {
    async fn publish(&self, data: &[MetricDatum]) -> Result<(), CoreError> {
        let moved: Vec<MetricDatum> = data.iter().cloned().map(to_batch).collect();
        self.0.publish(&moved).await
    }
}
