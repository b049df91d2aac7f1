//! The ingest side: one capture object's records split by target model, beside the
//! monitor's own (overall) partial profile.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use crate::config::MonitorConfig;
use crate::data_quality::checks::Baseline;
use crate::data_quality::consume::{PartialProfile, Profiler};
use crate::layout::{model_profile_key, CaptureKey};
use crate::store::{Body, Line, StateFile};
use crate::CoreError;

use super::attribute::Attributor;
use super::{OVER_CAP, UNATTRIBUTED};

/// The data-quality consumer of a multi-model monitor: every line goes to the overall
/// profiler (the monitor's report is unchanged) and to its target model's profiler.
///
/// At most `max_models` models per object get a profiler of their own; the records of
/// further models go to [`OVER_CAP`], those of no model to [`UNATTRIBUTED`] (neither counts
/// against the cap), so every record is in exactly one per-model state.
pub struct ModelProfiler<'a> {
    overall: Profiler,
    models: BTreeMap<String, Profiler>,
    attributor: Attributor,
    max_models: usize,
    cfg: MonitorConfig,
    baseline: &'a Baseline,
    key: CaptureKey,
    source: String,
}

impl<'a> ModelProfiler<'a> {
    /// The consumer of the capture object `key` (named `source`) for the multi-model
    /// monitor `cfg`.
    ///
    /// # Errors
    /// [`CoreError::Config`] for an invalid capture mapping or `multi_model` block.
    pub fn new(
        key: &CaptureKey,
        source: &str,
        cfg: &MonitorConfig,
        baseline: &'a Baseline,
    ) -> Result<Self, CoreError> {
        let settings = cfg.multi_model.clone().unwrap_or_default();
        let attributor = Attributor::new(&settings, source).map_err(|e| CoreError::Config {
            field: format!("monitor {}: {}", cfg.name, e.field()),
            value: e.value(),
            message: e.to_string(),
        })?;
        Ok(Self {
            overall: Profiler::new(key, source, cfg, baseline)?,
            models: BTreeMap::new(),
            attributor,
            max_models: settings.max_models,
            cfg: cfg.clone(),
            baseline,
            key: key.clone(),
            source: source.into(),
        })
    }

    /// The profiler of `model`'s records: its own, [`OVER_CAP`]'s past the cap.
    fn profiler(&mut self, model: Option<String>) -> Result<&mut Profiler, CoreError> {
        let mut name = model.unwrap_or_else(|| UNATTRIBUTED.to_owned());
        if !self.models.contains_key(&name) {
            let counted = self
                .models
                .keys()
                .filter(|m| *m != UNATTRIBUTED && *m != OVER_CAP)
                .count();
            if name != UNATTRIBUTED && counted >= self.max_models {
                name = OVER_CAP.to_owned();
            }
        }
        Ok(match self.models.entry(name) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(Profiler::new(
                &self.key,
                &self.source,
                &self.cfg,
                self.baseline,
            )?),
        })
    }

    /// Takes line `line_no` (1-based) of the object.
    pub fn push(&mut self, line_no: u64, line: &Line<'_>) {
        self.overall.push(line_no, line);
        let model = match line {
            Line::Ok(b) if b.iter().all(u8::is_ascii_whitespace) => return,
            Line::Ok(b) => self.attributor.model_of(b),
            Line::TooLong { .. } => self.attributor.key_model().map(str::to_owned),
        };
        // Profiler::new failed for the overall profiler already if it fails at all (the same
        // cfg and baseline), so this branch is not reached in practice.
        if let Ok(p) = self.profiler(model) {
            p.push(line_no, line);
        }
    }

    /// The overall partial profile, and each model's state file as `(key, body)` for
    /// `monitor` (by model name).
    ///
    /// # Errors
    /// [`CoreError::State`] if encoding a state fails.
    pub fn finish(
        self,
        monitor: &str,
        capture: &CaptureKey,
    ) -> Result<(PartialProfile, Vec<(String, Body)>), CoreError> {
        let mut files = Vec::with_capacity(self.models.len());
        for (model, p) in self.models {
            let partial = p.finish();
            let key = model_profile_key(monitor, capture, &model);
            files.push((key, partial.to_body()?));
        }
        Ok((self.overall.finish(), files))
    }
}
