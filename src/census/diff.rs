//! `ioscope diff`: what changed between two registries.
//!
//! Entries are matched by registry entry ID; when either side has no IDs (text dumps before
//! 10.6) by path in the compared plane. Reported: entries added and removed (a subtree once,
//! at its top, with its size), retain-count changes, service state and busy-count changes, and
//! property changes with the key path inside nested containers. Volatile properties (the
//! [`VOLATILE`] table) are left out unless asked for; a per-class summary follows.

use crate::formats::json::write::value_json;
use crate::registry::{EntryId, Plane, Registry, ServiceState, Value};
use std::collections::{BTreeMap, HashMap};

/// Properties that change on their own on a running Mac, left out of a diff unless `--all`.
/// `key` is a top-level property; `inner` names keys inside it (empty: the whole property).
pub const VOLATILE: &[Volatile] = &[
    Volatile {
        key: "IOKitDiagnostics",
        inner: &[],
        why: "kernel allocation and instance counters",
    },
    Volatile {
        key: "IOPowerManagement",
        inner: &[
            "ActivityTickles",
            "TimeSinceLastTickle",
            "IdleTimerElapsedTime",
            "TimeSinceDeviceBusy",
            "DevicePowerStateChangeCount",
        ],
        why: "power-management times and counters",
    },
    Volatile {
        key: "PerformanceStatistics",
        inner: &[],
        why: "driver performance counters",
    },
    Volatile {
        key: "Statistics",
        inner: &[],
        why: "driver counters",
    },
    Volatile {
        key: "HIDIdleTime",
        inner: &[],
        why: "time since the last HID event",
    },
    Volatile {
        key: "CursorState",
        inner: &[],
        why: "HID cursor timestamps",
    },
    Volatile {
        key: "DebugState",
        inner: &[],
        why: "HID event queue counters",
    },
    Volatile {
        key: "IOReportLegendPublic",
        inner: &[],
        why: "IOReport channels, republished",
    },
];

/// One entry of [`VOLATILE`].
#[derive(Debug, Clone, Copy)]
pub struct Volatile {
    pub key: &'static str,
    pub inner: &'static [&'static str],
    pub why: &'static str,
}

/// Also volatile: any top-level key ending in one of these.
const VOLATILE_SUFFIXES: [&str; 3] = ["Statistics", "Timestamp", "TimeStamp"];

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// The plane for paths and subtrees (default IOService, else the first plane).
    pub plane: Option<String>,
    /// `-c`: only entries of this class or a subclass.
    pub class: Option<String>,
    /// `-n`: only entries with this name.
    pub name: Option<String>,
    /// `-k`: only entries having this property.
    pub key: Option<String>,
    /// `--all`: volatile properties and busy times too.
    pub all: bool,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Side {
    pub source: String,
    pub entries: usize,
    /// Entries compared: those in the compared plane that pass `-c`/`-n`/`-k`.
    pub compared: usize,
}

/// The top of an added or removed subtree.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Node {
    pub id: Option<String>,
    pub path: Option<String>,
    pub class: Option<String>,
    /// It and every entry below it (all added, or all removed).
    pub subtree: u64,
}

/// A property that differs: the key path (strings for keys, numbers for array indices)
/// and both values as `dump --format json` writes them (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyChange {
    pub path: Vec<PathStep>,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// An entry on both sides that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub id: Option<String>,
    pub path: Option<String>,
    pub class: Option<String>,
    pub retain: Option<(Option<u32>, Option<u32>)>,
    pub state: Option<(String, String)>,
    pub properties: Vec<PropertyChange>,
}

/// A class whose instance count changed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassChange {
    pub class: String,
    pub before: u64,
    pub after: u64,
    pub retain_before: u64,
    pub retain_after: u64,
}

/// The whole difference.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    pub a: Side,
    pub b: Side,
    pub added: Vec<Node>,
    pub removed: Vec<Node>,
    pub changed: Vec<Changed>,
    pub classes: Vec<ClassChange>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// One registry's entries as the diff sees them: the compared plane, and a key per entry.
struct View<'r> {
    r: &'r Registry,
    plane: Option<&'r Plane>,
    keys: HashMap<Key, EntryId, FoldState>,
    order: Vec<(Key, EntryId)>,
}

/// A keyed hash for the entry index: a folded 64×64→128-bit multiply with a per-process
/// random key (as foldhash and wyhash do), several times faster than SipHash on registry
/// IDs, and keyed so that a crafted dump cannot aim its IDs at one bucket.
#[derive(Clone, Copy)]
struct FoldState(u64);

impl FoldState {
    fn new() -> Self {
        use std::hash::BuildHasher;
        static KEY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let key = *KEY.get_or_init(|| {
            std::collections::hash_map::RandomState::new().hash_one(0x0069_6f73_636f_7065_u64) | 1
        });
        FoldState(key)
    }
}

impl std::hash::BuildHasher for FoldState {
    type Hasher = Fold;
    fn build_hasher(&self) -> Fold {
        Fold {
            h: self.0,
            key: self.0,
        }
    }
}

struct Fold {
    h: u64,
    key: u64,
}

fn fold_mul(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

impl std::hash::Hasher for Fold {
    fn finish(&self) -> u64 {
        fold_mul(self.h, self.key ^ 0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.h = fold_mul(self.h ^ n, self.key ^ 0x243f_6a88_85a3_08d3);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Id(u64),
    Path(String),
}

fn pick_plane<'r>(r: &'r Registry, name: Option<&str>) -> Option<&'r Plane> {
    match name {
        Some(n) => r.plane(n),
        None => r.plane("IOService").or_else(|| r.planes().first()),
    }
}

impl<'r> View<'r> {
    fn new(r: &'r Registry, options: &DiffOptions, by_id: bool) -> Self {
        let plane = pick_plane(r, options.plane.as_deref());
        let size = plane.map_or(0, Plane::len);
        let mut keys = HashMap::with_capacity_and_hasher(size, FoldState::new());
        let mut order = Vec::with_capacity(size);
        let entries: Vec<EntryId> = match plane {
            Some(p) => p.walk().map(|(e, _)| e).collect(),
            None => Vec::new(),
        };
        for e in entries {
            let entry = r.entry(e);
            if entry.synthetic || !selected(r, plane, e, options) {
                continue;
            }
            let key = match (by_id, entry.id) {
                (true, Some(id)) => Key::Id(id),
                _ => match plane.and_then(|p| r.path_in(p, e)) {
                    Some(path) => Key::Path(path),
                    None => continue,
                },
            };
            if keys.insert(key.clone(), e).is_none() {
                order.push((key, e));
            }
        }
        View {
            r,
            plane,
            keys,
            order,
        }
    }

    fn node(&self, e: EntryId, subtree: u64) -> Node {
        Node {
            id: self.r.entry(e).id.map(|i| format!("{i:#x}")),
            path: self.plane.and_then(|p| self.r.path_in(p, e)),
            class: self.r.class_name(e).map(str::to_owned),
            subtree,
        }
    }
}

fn selected(r: &Registry, plane: Option<&Plane>, e: EntryId, o: &DiffOptions) -> bool {
    let entry = r.entry(e);
    o.class
        .as_deref()
        .is_none_or(|c| entry.class.is_some_and(|id| r.classes.conforms_to(id, c)))
        && o.key.as_deref().is_none_or(|k| entry.property(k).is_some())
        && o.name
            .as_deref()
            .is_none_or(|n| plane.map_or(entry.name == n, |p| r.name_in(p, e) == n))
}

/// Compares `a` (before) with `b` (after).
pub fn diff(a: &Registry, b: &Registry, sources: (&str, &str), options: &DiffOptions) -> Diff {
    let has_ids = |r: &Registry| r.entries().any(|(_, e)| e.id.is_some());
    let by_id = has_ids(a) && has_ids(b);
    // The two sides are independent: each is indexed on its own thread.
    let (va, vb) = std::thread::scope(|t| {
        let vb = t.spawn(|| View::new(b, options, by_id));
        let va = View::new(a, options, by_id);
        (va, vb.join().expect("indexing a registry does not panic"))
    });
    // Each entry of `a` matched once: its entry in `b`, or none (removed).
    let matches: Vec<Option<EntryId>> = va
        .order
        .iter()
        .map(|(k, _)| vb.keys.get(k).copied())
        .collect();
    // Entries only one side has, as flags by entry index.
    let mut gone = vec![false; a.len()];
    let mut new = vec![false; b.len()];
    for (_, e) in &vb.order {
        new[e.index()] = true;
    }
    for ((_, ea), eb) in va.order.iter().zip(&matches) {
        match eb {
            Some(eb) => new[eb.index()] = false,
            None => gone[ea.index()] = true,
        }
    }
    let removed = tops(&va, &gone);
    let added = tops(&vb, &new);
    // Comparing entry by entry is most of the work: in chunks, one per core, kept in order.
    let pairs: Vec<(EntryId, EntryId)> = va
        .order
        .iter()
        .zip(&matches)
        .filter_map(|((_, ea), eb)| Some((*ea, (*eb)?)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16);
    let per = pairs.len().div_ceil(threads).max(4096);
    let (va, vb) = (&va, &vb);
    let changed: Vec<Changed> = std::thread::scope(|t| {
        let handles: Vec<_> = pairs
            .chunks(per)
            .map(|chunk| {
                t.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|&(ea, eb)| compare(va, ea, vb, eb, options.all))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("comparing entries does not panic"))
            .collect()
    });
    let classes = classes(va, vb);
    Diff {
        a: Side {
            source: sources.0.to_owned(),
            entries: a.entry_count(),
            compared: va.order.len(),
        },
        b: Side {
            source: sources.1.to_owned(),
            entries: b.entry_count(),
            compared: vb.order.len(),
        },
        added,
        removed,
        changed,
        classes,
    }
}

/// The tops of the subtrees made of `set`'s entries (an entry whose first parent is not in
/// the set), each with the size of its subtree in the set.
fn tops(v: &View<'_>, set: &[bool]) -> Vec<Node> {
    let Some(plane) = v.plane else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, e) in &v.order {
        let has = |x: EntryId| set.get(x.index()).copied().unwrap_or(false);
        if !has(*e) || plane.parent(*e).is_some_and(has) {
            continue;
        }
        let mut size = 0u64;
        let mut stack = vec![*e];
        while let Some(x) = stack.pop() {
            size += 1;
            stack.extend(
                plane
                    .children(x)
                    .iter()
                    .copied()
                    .filter(|&c| has(c) && plane.is_first_parent(x, c)),
            );
        }
        out.push(v.node(*e, size));
    }
    out
}

fn state_text(s: ServiceState) -> String {
    match s {
        ServiceState::Unknown => "unknown".into(),
        ServiceState::NotService => "not a service".into(),
        ServiceState::Service(i) => match i.busy {
            Some(b) => format!("{}, busy {b}", i.state_words()),
            None => i.state_words(),
        },
    }
}

fn compare(va: &View<'_>, ea: EntryId, vb: &View<'_>, eb: EntryId, all: bool) -> Option<Changed> {
    let (x, y) = (va.r.entry(ea), vb.r.entry(eb));
    let retain = (x.retain != y.retain).then_some((x.retain, y.retain));
    let state_differs = match (x.state, y.state) {
        (ServiceState::Service(p), ServiceState::Service(q)) => {
            p.state != q.state || p.busy != q.busy || (all && p.busy_time_ns != q.busy_time_ns)
        }
        (p, q) => p != q,
    };
    let state = state_differs.then(|| (state_text(x.state), state_text(y.state)));
    let mut properties = Vec::new();
    // Most entries are unchanged: equal properties need no key-by-key walk.
    if x.properties != y.properties {
        let mut path = Vec::new();
        compare_props(
            &x.properties,
            &y.properties,
            all,
            &mut path,
            &mut properties,
        );
    }
    if retain.is_none() && state.is_none() && properties.is_empty() {
        return None;
    }
    let node = vb.node(eb, 1);
    Some(Changed {
        id: node.id,
        path: node.path,
        class: node.class,
        retain,
        state,
        properties,
    })
}

/// Whether a top-level property (or `inner` inside it) is volatile.
pub fn is_volatile(key: &str, inner: Option<&str>) -> bool {
    VOLATILE_SUFFIXES.iter().any(|s| key.ends_with(s))
        || VOLATILE.iter().any(|v| {
            v.key == key && (v.inner.is_empty() || inner.is_some_and(|i| v.inner.contains(&i)))
        })
}

fn first<'v>(pairs: &'v [(crate::registry::Text, Value)], key: &str) -> Option<&'v Value> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn compare_props(
    a: &[(crate::registry::Text, Value)],
    b: &[(crate::registry::Text, Value)],
    all: bool,
    path: &mut Vec<PathStep>,
    out: &mut Vec<PropertyChange>,
) {
    let mut keys: Vec<String> = Vec::new();
    for (k, _) in a.iter().chain(b) {
        let k = k.to_string_lossy().into_owned();
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for k in keys {
        let inner_volatile = |k: &str| match path.first() {
            Some(PathStep::Key(top)) => is_volatile(top, Some(k)),
            _ => is_volatile(k, None),
        };
        if !all && (path.len() <= 1) && inner_volatile(&k) {
            continue;
        }
        if !all && path.is_empty() && k == "IOUserClientCreator" {
            // The same process name with another PID is the same client, reopened.
            let name = |v: Option<&Value>| match v {
                Some(Value::String(s)) => {
                    crate::census::clients::parse_creator(&s.to_string_lossy()).map(|c| c.1)
                }
                _ => None,
            };
            let (x, y) = (first(a, &k), first(b, &k));
            if x.is_some() && name(x) == name(y) {
                continue;
            }
        }
        path.push(PathStep::Key(k.clone()));
        compare_values(first(a, &k), first(b, &k), all, path, out);
        path.pop();
    }
}

fn compare_values(
    a: Option<&Value>,
    b: Option<&Value>,
    all: bool,
    path: &mut Vec<PathStep>,
    out: &mut Vec<PropertyChange>,
) {
    match (a, b) {
        (Some(Value::Dict(x)), Some(Value::Dict(y))) => compare_props(x, y, all, path, out),
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                path.push(PathStep::Index(i));
                compare_values(Some(p), Some(q), all, path, out);
                path.pop();
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push(PropertyChange {
            path: path.clone(),
            before: x.map(value_json),
            after: y.map(value_json),
        }),
    }
}

/// Classes whose instance count changed, with summed retain counts before and after.
fn classes(va: &View<'_>, vb: &View<'_>) -> Vec<ClassChange> {
    let count = |v: &View<'_>| {
        // By interned class first (no string per entry), then by name.
        let mut by_id: HashMap<crate::registry::ClassId, (u64, u64)> = HashMap::new();
        for (_, e) in &v.order {
            let entry = v.r.entry(*e);
            if let Some(c) = entry.class {
                let slot = by_id.entry(c).or_default();
                slot.0 += 1;
                slot.1 += u64::from(entry.retain.unwrap_or(0));
            }
        }
        let mut m: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (c, (n, retain)) in by_id {
            let slot = m.entry(v.r.classes.name(c).to_owned()).or_default();
            slot.0 += n;
            slot.1 += retain;
        }
        m
    };
    let (before, after) = (count(va), count(vb));
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|c| {
            let (b, rb) = before.get(c).copied().unwrap_or_default();
            let (a, ra) = after.get(c).copied().unwrap_or_default();
            (a != b).then(|| ClassChange {
                class: c.clone(),
                before: b,
                after: a,
                retain_before: rb,
                retain_after: ra,
            })
        })
        .collect()
}

/// The `--format json` object.
pub fn json(d: &Diff) -> String {
    use serde_json::{Value as J, json};
    let raw = |s: &Option<String>| -> J {
        s.as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(J::Null)
    };
    let changed: Vec<J> = d
        .changed
        .iter()
        .map(|c| {
            let props: Vec<J> = c
                .properties
                .iter()
                .map(|p| {
                    let path: Vec<J> = p
                        .path
                        .iter()
                        .map(|s| match s {
                            PathStep::Key(k) => J::String(k.clone()),
                            PathStep::Index(i) => json!(i),
                        })
                        .collect();
                    json!({
                        "key": path.first().cloned().unwrap_or(J::Null),
                        "path": path,
                        "before": raw(&p.before),
                        "after": raw(&p.after),
                    })
                })
                .collect();
            json!({
                "id": c.id, "path": c.path, "class": c.class,
                "retain": c.retain.map(|(x, y)| json!([x, y])),
                "state": c.state.as_ref().map(|(x, y)| json!([x, y])),
                "properties": props,
            })
        })
        .collect();
    let classes: Vec<J> = d
        .classes
        .iter()
        .map(|c| json!({"class": c.class, "before": c.before, "after": c.after}))
        .collect();
    let v = json!({
        "a": d.a, "b": d.b,
        "added": d.added, "removed": d.removed,
        "changed": changed, "classes": classes,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    crate::registry::escape::json_controls(&s).into_owned()
}

/// The text report (`+` added, `-` removed, `~` changed, then classes); nothing when the
/// registries are the same, as diff does.
pub fn text(d: &Diff) -> String {
    if d.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "--- {} ({} entries)\n+++ {} ({} entries)\n",
        d.a.source, d.a.entries, d.b.source, d.b.entries
    );
    let label = |n: &Node| {
        let mut s = n.path.clone().unwrap_or_else(|| "?".into());
        if let Some(c) = &n.class {
            s.push_str(&format!("  <{c}"));
            if let Some(id) = &n.id {
                s.push_str(&format!(", id {id}"));
            }
            s.push('>');
        }
        if n.subtree > 1 {
            s.push_str(&format!("  ({} entries)", n.subtree));
        }
        s
    };
    for n in &d.removed {
        out.push_str(&format!("- {}\n", label(n)));
    }
    for n in &d.added {
        out.push_str(&format!("+ {}\n", label(n)));
    }
    for c in &d.changed {
        let node = Node {
            id: c.id.clone(),
            path: c.path.clone(),
            class: c.class.clone(),
            subtree: 1,
        };
        out.push_str(&format!("~ {}\n", label(&node)));
        if let Some((x, y)) = c.retain {
            let f = |v: Option<u32>| v.map_or("—".into(), |n| n.to_string());
            out.push_str(&format!("    retain {} → {}\n", f(x), f(y)));
        }
        if let Some((x, y)) = &c.state {
            out.push_str(&format!("    state {x} → {y}\n"));
        }
        for p in &c.properties {
            let path: Vec<String> = p
                .path
                .iter()
                .map(|s| match s {
                    PathStep::Key(k) => format!("{k:?}"),
                    PathStep::Index(i) => format!("[{i}]"),
                })
                .collect();
            let f = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
            out.push_str(&format!(
                "    {} {} → {}\n",
                path.join("."),
                f(&p.before),
                f(&p.after)
            ));
        }
    }
    if !d.classes.is_empty() {
        out.push_str("classes (instances, summed retain counts):\n");
        for c in &d.classes {
            out.push_str(&format!(
                "  {}: {} → {} (retain {} → {})\n",
                c.class, c.before, c.after, c.retain_before, c.retain_after
            ));
        }
    }
    crate::registry::escape::lines_for_terminal(&out)
}
