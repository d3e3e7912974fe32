//! `ioscope stats`: one JSON object describing a loaded registry.
//!
//! Scripts and benchmarks rely on these field names; keep them stable.

use crate::registry::Registry;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub reader: &'static str,
    /// Every entry in every plane, once.
    pub entries: usize,
    /// Top-level properties over all entries.
    pub properties: usize,
    /// Plane name → number of entries in it.
    pub planes: BTreeMap<String, usize>,
    /// Deepest tree depth over all planes (a root is 0).
    pub max_depth: usize,
    pub raw_values: usize,
    pub clipped_lines: usize,
    pub truncated: bool,
    pub load_ms: f64,
}

impl Stats {
    pub fn of(registry: &Registry, load_ms: f64) -> Self {
        let planes = registry
            .planes()
            .iter()
            .map(|p| (p.name().to_owned(), p.len()))
            .collect();
        let max_depth = registry
            .planes()
            .iter()
            .flat_map(|p| p.walk().map(|(_, d)| d))
            .max()
            .unwrap_or(0);
        Stats {
            reader: registry.report.origin.reader_name(),
            entries: registry.len(),
            properties: registry.property_count(),
            planes,
            max_depth,
            raw_values: registry.report.raw_values,
            clipped_lines: registry.report.clipped_lines,
            truncated: registry.report.truncated.is_some(),
            load_ms: (load_ms * 1000.0).round() / 1000.0,
        }
    }
}
