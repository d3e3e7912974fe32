//! `ioscope classes`: every class the registry or the kernel's diagnostics know, with its
//! instance count.
//!
//! Two counts, and why they differ: `instances` counts the unique registry entries of the
//! class (all planes, an entry with several parents once); `kernel` is what the root's
//! `IOKitDiagnostics` → `Classes` says — what `ioclasscount` prints. xnu counts every live
//! object of the class, in the registry or not (buffers, commands, user-client helpers), and
//! adds 1 to a class for each direct subclass that has live instances (the subclass's
//! metaclass holds its superclass), so `kernel` is usually the larger.

use crate::registry::{Registry, Value};
use serde::Serialize;
use std::collections::BTreeMap;

/// One class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassCount {
    pub class: String,
    pub superclass: Option<String>,
    /// Unique registry entries of exactly this class.
    pub instances: u64,
    /// The kernel's count (`IOKitDiagnostics` → `Classes`), when the source carries it.
    pub kernel: Option<u64>,
    /// With a baseline: the same measure there (`ClassCount::count`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<u64>,
    /// With a baseline: `count - baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<i64>,
}

impl ClassCount {
    /// The count `ioclasscount` would print: the kernel's when known, else the registry's.
    pub(crate) fn count(&self) -> u64 {
        self.kernel.unwrap_or(self.instances)
    }
}

/// The kernel's class counts from the registry root's `IOKitDiagnostics` → `Classes`.
pub(crate) fn kernel_counts(r: &Registry) -> Option<BTreeMap<String, u64>> {
    let root = r
        .entries()
        .find(|(id, _)| r.is_registry_root(*id))
        .map(|(_, e)| e)?;
    let Some(Value::Dict(diag)) = root.property("IOKitDiagnostics") else {
        return None;
    };
    let classes = diag.iter().find(|(k, _)| k == "Classes").map(|(_, v)| v)?;
    let Value::Dict(pairs) = classes else {
        return None;
    };
    Some(
        pairs
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Integer(i) => Some((k.to_string_lossy().into_owned(), i.bits)),
                _ => None,
            })
            .collect(),
    )
}

/// Every class, sorted by name: those with registry entries and those the kernel counts.
pub fn census(r: &Registry) -> Vec<ClassCount> {
    let mut instances: BTreeMap<String, u64> = BTreeMap::new();
    for (id, e) in r.entries() {
        if e.synthetic || !r.planes().iter().any(|p| p.contains(id)) {
            continue;
        }
        if let Some(c) = r.class_name(id) {
            *instances.entry(c.to_owned()).or_default() += 1;
        }
    }
    let kernel = kernel_counts(r);
    let mut names: Vec<String> = instances.keys().cloned().collect();
    if let Some(k) = &kernel {
        names.extend(k.keys().filter(|c| !instances.contains_key(*c)).cloned());
    }
    names.sort();
    names
        .into_iter()
        .map(|class| {
            let superclass = r
                .classes
                .get(&class)
                .and_then(|c| r.classes.superclass(c))
                .map(|s| r.classes.name(s).to_owned());
            ClassCount {
                instances: instances.get(&class).copied().unwrap_or(0),
                kernel: kernel.as_ref().map(|k| k.get(&class).copied().unwrap_or(0)),
                superclass,
                class,
                baseline: None,
                delta: None,
            }
        })
        .collect()
}

/// Adds the baseline's count and the delta to each class (a class missing on one side
/// counts 0 there); classes only the baseline has are added with a count of 0.
pub fn with_baseline(mut now: Vec<ClassCount>, before: &[ClassCount]) -> Vec<ClassCount> {
    let old: BTreeMap<&str, u64> = before
        .iter()
        .map(|c| (c.class.as_str(), c.count()))
        .collect();
    for c in &mut now {
        let b = old.get(c.class.as_str()).copied().unwrap_or(0);
        c.baseline = Some(b);
        c.delta = Some(c.count() as i64 - b as i64);
    }
    for b in before {
        if !now.iter().any(|c| c.class == b.class) {
            now.push(ClassCount {
                class: b.class.clone(),
                superclass: b.superclass.clone(),
                instances: 0,
                kernel: b.kernel.map(|_| 0),
                baseline: Some(b.count()),
                delta: Some(-(b.count() as i64)),
            });
        }
    }
    now.sort_by(|a, b| a.class.cmp(&b.class));
    now
}

/// `ioclasscount CLASS…`: only the named classes (exact names), in the order given; a name
/// nothing counts is listed with 0.
pub fn select(all: Vec<ClassCount>, wanted: &[String]) -> Vec<ClassCount> {
    if wanted.is_empty() {
        return all;
    }
    wanted
        .iter()
        .map(|w| {
            all.iter()
                .find(|c| &c.class == w)
                .cloned()
                .unwrap_or(ClassCount {
                    class: w.clone(),
                    superclass: None,
                    instances: 0,
                    kernel: all.first().and_then(|c| c.kernel.map(|_| 0)),
                    baseline: None,
                    delta: None,
                })
        })
        .collect()
}

/// `ioclasscount`'s `Name = N` lines (with a baseline: `Name = N (was B, +D)`).
pub fn text(rows: &[ClassCount]) -> String {
    let mut out = String::new();
    for c in rows {
        out.push_str(&format!("{} = {}", c.class, c.count()));
        if let (Some(b), Some(d)) = (c.baseline, c.delta) {
            out.push_str(&format!(" (was {b}, {d:+})"));
        }
        out.push('\n');
    }
    crate::registry::escape::lines_for_terminal(&out)
}
