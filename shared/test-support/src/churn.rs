//! The tiny churn model the handler and ingest tests share: its four-row training set and
//! its capture lines.

use serde_json::json;

/// The training set, `churn,age,balance`; the tests' captures replay its rows (label first,
/// as the model output comes first in a capture record).
pub const TRAIN_CSV: &str =
    "churn,age,balance\n0,34,1200.5\n1,51,310.25\n0,27,88.0\n1,45,5020.75\n";

/// A capture line of the churn endpoint at 03:12:`second` on 2026-11-01: CSV input `input`
/// (`age,balance`), CSV output `output` (`text/csv; charset=utf-8`, as a SageMaker container
/// may declare it), a UUID-shaped event id ending in `second`.
pub fn capture_line(second: u32, output: &str, input: &str) -> String {
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": input, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": output, "encoding": "CSV"}
        },
        "eventMetadata": {
            "eventId": format!("5f0c0000-0000-4000-8000-0000000000{second:02}"),
            "inferenceTime": format!("2026-11-01T03:12:{second:02}Z")
        },
        "eventVersion": "0"
    })
    .to_string()
}
