//! The CloudWatch Embedded Metric Format adapter (see the [`crate::metrics`] docs for how
//! statistic sets are written).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::metrics::validate::{invalid, number, validate_all};
use crate::metrics::{limits, MetricDatum, MetricSink, MetricValue};
use crate::CoreError;

/// Root member of an EMF line that carries the exact statistic sets (see the module docs).
pub const EMF_STATISTIC_VALUES_MEMBER: &str = "StatisticValues";
const EMF_METADATA_MEMBER: &str = "_aws";

/// What makes data one EMF directive: namespace, dimension pairs in order, epoch ms.
type EmfGroupKey<'a> = (&'a str, &'a [(String, String)], i64);

/// One EMF object under construction: its metrics have unique names.
struct EmfChunk<'a> {
    names: HashSet<&'a str>,
    items: Vec<&'a MetricDatum>,
}

/// Data sharing namespace, dimension set and timestamp (ms): one EMF directive.
struct EmfGroup<'a> {
    head: &'a MetricDatum,
    chunks: Vec<EmfChunk<'a>>,
    /// chunks before this index are full
    first_open: usize,
}

impl<'a> EmfGroup<'a> {
    /// First-fit: the first chunk with room and without a metric of the same name.
    fn add(&mut self, d: &'a MetricDatum) {
        while self
            .chunks
            .get(self.first_open)
            .is_some_and(|c| c.items.len() >= limits::EMF_MAX_METRICS)
        {
            self.first_open += 1;
        }
        let slot = self.chunks[self.first_open..].iter().position(|c| {
            c.items.len() < limits::EMF_MAX_METRICS && !c.names.contains(d.name.as_str())
        });
        let chunk = match slot {
            Some(i) => &mut self.chunks[self.first_open + i],
            None => {
                self.chunks.push(EmfChunk {
                    names: HashSet::new(),
                    items: Vec::new(),
                });
                let last = self.chunks.len() - 1;
                &mut self.chunks[last]
            }
        };
        chunk.names.insert(d.name.as_str());
        chunk.items.push(d);
    }
}

fn check_emf_names(d: &MetricDatum) -> Result<(), CoreError> {
    let reserved = [EMF_METADATA_MEMBER, EMF_STATISTIC_VALUES_MEMBER];
    if reserved.contains(&d.name.as_str()) {
        return Err(invalid(
            d,
            &d.name,
            "metric name is reserved in modelwatch's EMF lines",
        ));
    }
    for (name, _) in &d.dimensions {
        if reserved.contains(&name.as_str()) {
            return Err(invalid(
                d,
                name,
                "dimension name is reserved in modelwatch's EMF lines",
            ));
        }
        if *name == d.name {
            return Err(invalid(
                d,
                name,
                "EMF puts metrics and dimensions side by side at the root: a metric cannot share a dimension's name",
            ));
        }
    }
    Ok(())
}

fn render_emf(head: &MetricDatum, items: &[&MetricDatum]) -> Result<String, CoreError> {
    let dimension_names: Vec<Value> = head
        .dimensions
        .iter()
        .map(|(n, _)| Value::String(n.clone()))
        .collect();
    let mut definitions = Vec::with_capacity(items.len());
    for d in items {
        let mut def = Map::new();
        def.insert("Name".into(), Value::String(d.name.clone()));
        if let Some(unit) = &d.unit {
            def.insert("Unit".into(), Value::String(unit.clone()));
        }
        definitions.push(Value::Object(def));
    }
    let mut directive = Map::new();
    directive.insert("Namespace".into(), Value::String(head.namespace.clone()));
    directive.insert(
        "Dimensions".into(),
        Value::Array(vec![Value::Array(dimension_names)]),
    );
    directive.insert("Metrics".into(), Value::Array(definitions));
    let mut meta = Map::new();
    meta.insert(
        "Timestamp".into(),
        Value::from(head.timestamp.timestamp_millis()),
    );
    meta.insert(
        "CloudWatchMetrics".into(),
        Value::Array(vec![Value::Object(directive)]),
    );

    let mut root = Map::new();
    root.insert(EMF_METADATA_MEMBER.into(), Value::Object(meta));
    for (name, value) in &head.dimensions {
        root.insert(name.clone(), Value::String(value.clone()));
    }
    let mut sets = Map::new();
    for d in items {
        let v = match d.value {
            MetricValue::Value(v) => v,
            MetricValue::Statistics {
                sample_count,
                sum,
                minimum,
                maximum,
            } => {
                sets.insert(
                    d.name.clone(),
                    statistic_values(d, sample_count, sum, minimum, maximum)?,
                );
                sum / sample_count
            }
        };
        root.insert(d.name.clone(), number(d, v)?);
    }
    if !sets.is_empty() {
        root.insert(EMF_STATISTIC_VALUES_MEMBER.into(), Value::Object(sets));
    }
    serde_json::to_string(&Value::Object(root)).map_err(|e| invalid(head, e, "cannot render EMF"))
}

pub(crate) fn statistic_values(
    d: &MetricDatum,
    sample_count: f64,
    sum: f64,
    minimum: f64,
    maximum: f64,
) -> Result<Value, CoreError> {
    let mut set = Map::new();
    set.insert("SampleCount".into(), number(d, sample_count)?);
    set.insert("Sum".into(), number(d, sum)?);
    set.insert("Minimum".into(), number(d, minimum)?);
    set.insert("Maximum".into(), number(d, maximum)?);
    Ok(Value::Object(set))
}

/// Renders `data` as CloudWatch Embedded Metric Format documents, one JSON line each
/// (without the trailing newline).
///
/// Data are grouped by (namespace, dimension names and values in order, timestamp in epoch
/// ms), groups in order of first appearance. Each group becomes one or more documents
/// `{"_aws":{"Timestamp":ms,"CloudWatchMetrics":[{"Namespace","Dimensions":[[names…]],
/// "Metrics":[{"Name","Unit"?}…]}]}, dimension values…, metric values…,
/// "StatisticValues"?}`: at most [`limits::EMF_MAX_METRICS`] metrics per document and metric
/// names unique per document (a repeated name goes to the next document, first fit; input
/// order is kept within a document). Statistic sets are published as their mean, see the
/// module docs. CloudWatch drops EMF metrics whose timestamp is more than two weeks old or
/// two hours ahead (the log line is still stored).
///
/// # Errors
/// [`validate`](crate::metrics::validate) errors; a metric or dimension named `_aws` or `StatisticValues`, or a metric
/// named like one of its dimensions (both would be root members).
pub fn emf_documents(data: &[MetricDatum]) -> Result<Vec<String>, CoreError> {
    validate_all(data)?;
    for d in data {
        check_emf_names(d)?;
    }
    let mut index: HashMap<EmfGroupKey<'_>, usize> = HashMap::new();
    let mut groups: Vec<EmfGroup<'_>> = Vec::new();
    for d in data {
        let key = (
            d.namespace.as_str(),
            d.dimensions.as_slice(),
            d.timestamp.timestamp_millis(),
        );
        let gi = *index.entry(key).or_insert_with(|| {
            groups.push(EmfGroup {
                head: d,
                chunks: Vec::new(),
                first_open: 0,
            });
            groups.len() - 1
        });
        groups[gi].add(d);
    }
    let mut out = Vec::new();
    for g in &groups {
        for chunk in &g.chunks {
            out.push(render_emf(g.head, &chunk.items)?);
        }
    }
    Ok(out)
}

/// Publishes metrics as EMF lines on a writer (see [`emf_documents`]).
///
/// Each `publish` validates and renders everything first, then writes every line with its
/// `\n` under one lock and flushes, so concurrent publishes never interleave inside a line.
#[derive(Debug)]
pub struct EmfSink<W> {
    out: Mutex<W>,
}

/// The Lambda default: EMF lines on standard output, which Lambda forwards to CloudWatch
/// Logs; CloudWatch extracts the metrics from them without any API call.
pub type EmfStdoutSink = EmfSink<std::io::Stdout>;

impl<W: Write + Send> EmfSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }

    /// The writer back (tests read what was written).
    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    fn write_lines(&self, lines: &[String]) -> std::io::Result<()> {
        // A poisoned lock only means another thread panicked mid-write; the writer is usable.
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        for line in lines {
            let mut bytes = Vec::with_capacity(line.len() + 1);
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
            out.write_all(&bytes)?;
        }
        out.flush()
    }
}

impl EmfStdoutSink {
    /// A sink writing to the process's standard output.
    #[must_use]
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }
}

impl<W: Write + Send> MetricSink for EmfSink<W> {
    async fn publish(&self, data: &[MetricDatum]) -> Result<(), CoreError> {
        let lines = emf_documents(data)?;
        self.write_lines(&lines).map_err(|source| CoreError::Io {
            key: "EMF output".into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::namespaces;
    use crate::metrics::test_support::*;

    #[test]
    fn emf_golden_small_case() {
        let data = [
            value("records_analyzed", 3.0).with_unit("Count"),
            stats("feature_data_age"),
        ];
        let lines = emf_documents(&data).unwrap();
        // mean of the statistic set = 10 / 4 = 2.5
        let golden = concat!(
            r#"{"_aws":{"Timestamp":1704164400000,"CloudWatchMetrics":[{"Namespace":"aws/sagemaker/Endpoints/data-metrics","#,
            r#""Dimensions":[["Endpoint","MonitoringSchedule"]],"Metrics":[{"Name":"records_analyzed","Unit":"Count"},"#,
            r#"{"Name":"feature_data_age"}]}]},"Endpoint":"ep","MonitoringSchedule":"sched","records_analyzed":3.0,"#,
            r#""feature_data_age":2.5,"StatisticValues":{"feature_data_age":{"SampleCount":4.0,"Sum":10.0,"Minimum":1.0,"Maximum":4.0}}}"#
        );
        assert_eq!(lines, vec![golden.to_string()]);

        // Structure, as CloudWatch Logs reads it: every referenced target is a root member of
        // the right type.
        let doc = parse(&lines[0]);
        let aws = &doc["_aws"];
        assert_eq!(aws["Timestamp"].as_i64(), Some(1_704_164_400_000));
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 1);
        let dir = &directives[0];
        assert_eq!(dir["Namespace"], namespaces::DATA_ENDPOINT);
        for set in dir["Dimensions"].as_array().unwrap() {
            for name in set.as_array().unwrap() {
                assert!(doc[name.as_str().unwrap()].is_string());
            }
        }
        for def in dir["Metrics"].as_array().unwrap() {
            assert!(doc[def["Name"].as_str().unwrap()].is_number());
        }
    }

    #[test]
    fn emf_splits_more_than_100_metrics_and_repeated_names() {
        let mut data: Vec<MetricDatum> = (0..250)
            .map(|i| value(&format!("m{i:03}"), i as f64))
            .collect();
        // a repeated name in the same group must not share a document with its twin
        data.push(value("m000", 1000.0));
        let lines = emf_documents(&data).unwrap();
        assert_eq!(lines.len(), 3);
        let mut seen = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let doc = parse(line);
            let defs = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap();
            assert!(defs.len() <= limits::EMF_MAX_METRICS, "document {i}");
            let names: HashSet<&str> = defs.iter().map(|d| d["Name"].as_str().unwrap()).collect();
            assert_eq!(names.len(), defs.len(), "names unique in document {i}");
            for name in names {
                seen.push((name.to_string(), doc[name].as_f64().unwrap()));
            }
        }
        // 100 + 100 + 50, the twin m000 joins the third (first with room and without m000)
        let sizes: Vec<usize> = lines
            .iter()
            .map(|l| {
                parse(l)["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, vec![100, 100, 51]);
        seen.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        assert_eq!(seen.len(), 251);
        assert_eq!(seen[0], ("m000".to_string(), 0.0));
        assert_eq!(seen[1], ("m000".to_string(), 1000.0));
        assert_eq!(seen[250], ("m249".to_string(), 249.0));
    }

    #[test]
    fn emf_groups_by_namespace_dimensions_and_timestamp() {
        let mut later = value("a", 1.0);
        later.timestamp = ts() + chrono::Duration::hours(1);
        let mut other_dims = value("a", 2.0);
        other_dims.dimensions = vec![("MonitoringSchedule".into(), "sched".into())];
        let mut other_ns = value("a", 3.0);
        other_ns.namespace = namespaces::DATA_BATCH.into();
        let data = [
            value("a", 0.0),
            later,
            other_dims,
            other_ns,
            value("b", 4.0),
        ];
        let lines = emf_documents(&data).unwrap();
        assert_eq!(lines.len(), 4);
        let first = parse(&lines[0]);
        assert_eq!(first["a"], 0.0);
        assert_eq!(first["b"], 4.0);
        assert_eq!(parse(&lines[1])["_aws"]["Timestamp"], 1_704_168_000_000i64);
        assert_eq!(
            parse(&lines[2])["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["MonitoringSchedule"]])
        );
        assert_eq!(
            parse(&lines[3])["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            namespaces::DATA_BATCH
        );
    }

    #[tokio::test]
    async fn emf_sink_writes_one_line_per_document() {
        let sink = EmfSink::new(Vec::new());
        let data: Vec<MetricDatum> = (0..101).map(|i| value(&format!("m{i}"), 1.0)).collect();
        sink.publish(&data).await.unwrap();
        assert!(sink.publish(&[value("bad", f64::INFINITY)]).await.is_err());
        let out = String::from_utf8(sink.into_inner()).unwrap();
        assert!(out.ends_with('\n'));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines, emf_documents(&data).unwrap());
        assert_eq!(lines.len(), 2);
    }
}
