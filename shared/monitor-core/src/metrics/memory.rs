//! The in-memory adapter (tests, dry runs).

use std::sync::Mutex;

use crate::metrics::validate::validate_all;
use crate::metrics::{MetricDatum, MetricSink};
use crate::CoreError;

/// Collects published data in memory (tests, dry runs). Validates like the real sinks.
#[derive(Debug, Default)]
pub struct MemoryMetricSink {
    data: Mutex<Vec<MetricDatum>>,
}

impl MemoryMetricSink {
    /// An empty sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<MetricDatum>> {
        // A poisoned lock only means another test thread panicked; the data are still valid.
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of everything published so far, in publish order.
    #[must_use]
    pub fn data(&self) -> Vec<MetricDatum> {
        self.lock().clone()
    }

    /// Removes and returns everything published so far.
    pub fn take(&self) -> Vec<MetricDatum> {
        std::mem::take(&mut *self.lock())
    }
}

impl MetricSink for MemoryMetricSink {
    async fn publish(&self, data: &[MetricDatum]) -> Result<(), CoreError> {
        validate_all(data)?;
        self.lock().extend_from_slice(data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_support::*;

    #[tokio::test]
    async fn memory_sink_collects_valid_data() {
        let sink = MemoryMetricSink::new();
        sink.publish(&file_data()).await.unwrap();
        assert!(sink.publish(&[value("x", f64::NAN)]).await.is_err());
        assert_eq!(sink.data(), file_data());
        assert_eq!(sink.take().len(), 3);
        assert!(sink.data().is_empty());
    }
}
