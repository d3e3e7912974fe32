//! `ioscope stats`: one JSON object describing a loaded registry.
//!
//! Scripts and benchmarks rely on these field names; keep them stable.

use crate::registry::Registry;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub reader: &'static str,
    /// Every registry entry in every plane, once (an entry with several parents once; in a
    /// dump without registry entry IDs, each appearance is its own entry).
    pub entries: usize,
    /// Appearances: one per entry per path from the top of its plane, summed over planes —
    /// what a text dump's `+-o` lines count (`ioreg` prints an entry under every parent).
    pub appearances: u64,
    /// Entries with more than one parent in some plane.
    pub multi_parent: usize,
    /// Entries whose parent the dump lacks (gathered under one "unattached entries" node).
    pub unattached: usize,
    /// The dump has no registry entry IDs (before 10.6): an entry with several parents could
    /// not be recognised, so each of its appearances counts as an entry.
    pub unmerged: bool,
    /// (parent, child) links the dump listed more than once (each kept once).
    pub duplicate_links: usize,
    /// What the reader noticed, one line each (with the line or byte where it applies).
    pub warnings: Vec<String>,
    /// Top-level properties over all entries.
    pub properties: usize,
    /// Plane name → number of entries in it.
    pub planes: BTreeMap<String, usize>,
    /// Deepest tree depth over all planes (a root is 0).
    pub max_depth: usize,
    pub raw_values: usize,
    pub clipped_lines: usize,
    /// The lines clipped at `ioreg`'s width (the first thousand).
    pub clipped_at: Vec<u64>,
    pub truncated: bool,
    /// Where a truncated input stopped (`line N` or `byte N`) and why.
    pub truncated_at: Option<String>,
    pub load_ms: f64,
}

impl Stats {
    pub fn of(registry: &Registry, load_ms: f64) -> Self {
        let planes = registry
            .planes()
            .iter()
            .map(|p| {
                let n = p.len() as u64 - unattached_nodes(registry, p);
                (p.name().to_owned(), n as usize)
            })
            .collect();
        let max_depth = registry
            .planes()
            .iter()
            .flat_map(|p| p.walk().map(|(_, d)| d))
            .max()
            .unwrap_or(0);
        Stats {
            reader: registry.report.origin.reader_name(),
            entries: registry.entry_count(),
            appearances: registry
                .planes()
                .iter()
                .map(|p| p.appearances() - unattached_nodes(registry, p))
                .fold(0u64, u64::saturating_add),
            multi_parent: multi_parent(registry),
            unattached: registry.report.unattached,
            unmerged: registry.report.unmerged,
            duplicate_links: registry.report.duplicate_links,
            warnings: registry.report.warnings.clone(),
            properties: registry.property_count(),
            planes,
            max_depth,
            raw_values: registry.report.raw_values,
            clipped_lines: registry.report.clipped_lines,
            truncated: registry.report.truncated.is_some(),
            truncated_at: registry
                .report
                .truncated
                .as_ref()
                .map(|t| format!("{}: {}", t.position, t.message)),
            clipped_at: registry.report.clipped_at.clone(),
            load_ms: (load_ms * 1000.0).round() / 1000.0,
        }
    }
}

/// The synthetic "unattached entries" node of a plane (not an appearance of an entry).
fn unattached_nodes(registry: &Registry, plane: &crate::registry::Plane) -> u64 {
    plane
        .roots()
        .iter()
        .filter(|&&r| registry.entry(r).synthetic)
        .count() as u64
}

/// Entries with more than one parent in at least one plane, each counted once.
fn multi_parent(registry: &Registry) -> usize {
    let mut seen = std::collections::HashSet::new();
    for plane in registry.planes() {
        for (id, _) in plane.walk() {
            if plane.parents(id).nth(1).is_some() {
                seen.insert(id);
            }
        }
    }
    seen.len()
}
