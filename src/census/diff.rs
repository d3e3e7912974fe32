//! `ioscope diff`: what changed between two registries.
//!
//! Entries are matched by registry entry ID; when either side has no IDs (text dumps before
//! 10.6) by path in the compared plane. Reported: entries added and removed (a subtree once,
//! at its top, with its size), retain-count changes, service state and busy-count changes, and
//! property changes with the key path inside nested containers. Volatile properties (the
//! [`VOLATILE`] table) are left out unless asked for; a per-class summary follows.

use crate::formats::json::write::value_json;
use crate::registry::{EntryId, PREFETCH_AHEAD, Plane, Registry, ServiceState, Value, prefetch};
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

/// One registry's entries as the diff sees them: the compared plane, the compared entries in
/// tree order, and each one's key (registry ID, or path when a side has no IDs).
struct View<'r> {
    r: &'r Registry,
    plane: Option<&'r Plane>,
    /// The compared entries in tree order, each with its key.
    order: Vec<(EntryId, Key)>,
    /// Entries keyed by registry ID.
    ids: IdIndex,
    /// Keys of the entries keyed by path (no ID on this entry or on either side), and where
    /// each is. Entries sharing a path (twin siblings with neither unit address nor ID, in
    /// old text dumps) are told apart by their rank among those: the first matches the
    /// first, the second the second.
    paths: Vec<(String, u32)>,
    by_path: HashMap<(String, u32), EntryId, FoldState>,
    /// Per interned class: the compared entries of it and their summed retain counts.
    classes: Vec<(u64, u64)>,
}

/// How an entry is found on the other side: by registry ID, or by the path at this index
/// of `View::paths`.
#[derive(Debug, Clone, Copy)]
enum Key {
    Id(u64),
    Path(usize),
}

/// Registry ID → entry. Registry IDs count up from a base as the kernel creates entries, so
/// a registry's IDs usually fill most of their range: then a table indexed by `id - base`
/// (one load per lookup, no hashing), else a hash map.
enum IdIndex {
    /// Slot `id - base`: the entry's index, or `u32::MAX` for none.
    Table {
        base: u64,
        slots: Vec<u32>,
    },
    Map(HashMap<u64, EntryId, FoldState>),
}

impl IdIndex {
    /// An index for IDs between `min` and `max`, about `count` of them.
    fn new(min: u64, max: u64, count: usize) -> Self {
        let dense = max
            .checked_sub(min)
            .and_then(|span| usize::try_from(span).ok())
            .filter(|&span| span < count.saturating_mul(4).saturating_add(4096));
        match dense {
            Some(span) => IdIndex::Table {
                base: min,
                slots: vec![u32::MAX; span + 1],
            },
            None => IdIndex::Map(HashMap::with_capacity_and_hasher(count, FoldState::new())),
        }
    }

    /// Records `id` → `e` unless `id` is already there (the first entry with an ID keeps it);
    /// whether it was new.
    fn insert(&mut self, id: u64, e: EntryId) -> bool {
        match self {
            IdIndex::Table { base, slots } => {
                // `new` sized the table for every ID inserted.
                let slot = &mut slots[(id - *base) as usize];
                let new = *slot == u32::MAX;
                if new {
                    *slot = e.0;
                }
                new
            }
            IdIndex::Map(m) => match m.entry(id) {
                std::collections::hash_map::Entry::Occupied(_) => false,
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(e);
                    true
                }
            },
        }
    }

    fn get(&self, id: u64) -> Option<EntryId> {
        match self {
            IdIndex::Table { base, slots } => {
                let at = usize::try_from(id.checked_sub(*base)?).ok()?;
                slots
                    .get(at)
                    .copied()
                    .filter(|&s| s != u32::MAX)
                    .map(EntryId)
            }
            IdIndex::Map(m) => m.get(&id).copied(),
        }
    }
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

fn pick_plane<'r>(r: &'r Registry, name: Option<&str>) -> Option<&'r Plane> {
    match name {
        Some(n) => r.plane(n),
        None => r.plane("IOService").or_else(|| r.planes().first()),
    }
}

impl<'r> View<'r> {
    fn new(r: &'r Registry, options: &DiffOptions, by_id: bool) -> Self {
        let plane = pick_plane(r, options.plane.as_deref());
        let mut order = Vec::with_capacity(plane.map_or(0, Plane::len));
        let mut paths = Vec::new();
        let mut by_path = HashMap::with_hasher(FoldState::new());
        let mut classes = vec![(0, 0); r.classes.len()];
        let count = |classes: &mut Vec<(u64, u64)>, e: EntryId, sign: i64| {
            let entry = r.entry(e);
            if let Some(slot) = entry.class.and_then(|c| classes.get_mut(c.0 as usize)) {
                let retain = u64::from(entry.retain.unwrap_or(0));
                if sign > 0 {
                    (slot.0, slot.1) = (slot.0 + 1, slot.1 + retain);
                } else {
                    (slot.0, slot.1) = (slot.0 - 1, slot.1 - retain);
                }
            }
        };
        // The range of the IDs met, for the index built after the walk (sized from it).
        let (mut min, mut max, mut with_id) = (u64::MAX, 0, 0);
        // The walk's order, computed level by level (`Plane::pre_order`: the walk itself waits
        // on memory at every step, a tenth of a second on a million entries).
        let tree = plane.map(Plane::pre_order).unwrap_or_default();
        for (at, &e) in tree.iter().enumerate() {
            // Tree order jumps about the entries: ask for those a few steps ahead.
            if let Some(&ahead) = tree.get(at + PREFETCH_AHEAD) {
                let entry = r.entry(ahead);
                prefetch(entry);
                prefetch(&entry.synthetic);
            }
            let entry = r.entry(e);
            if entry.synthetic || !selected(r, plane, e, options) {
                continue;
            }
            let key = match (by_id, entry.id) {
                (true, Some(id)) => {
                    (min, max, with_id) = (min.min(id), max.max(id), with_id + 1);
                    Key::Id(id)
                }
                _ => {
                    let Some(path) = plane.and_then(|p| r.path_in(p, e)) else {
                        continue;
                    };
                    let mut rank = 0;
                    while by_path.contains_key(&(path.clone(), rank)) {
                        rank += 1;
                    }
                    by_path.insert((path.clone(), rank), e);
                    paths.push((path, rank));
                    Key::Path(paths.len() - 1)
                }
            };
            order.push((e, key));
            count(&mut classes, e, 1);
        }
        // IDs indexed in tree order: of entries sharing one ID, the first keeps it and the
        // others are not compared (nor counted).
        let mut ids = IdIndex::new(min, max, with_id);
        order.retain(|&(e, key)| match key {
            Key::Id(id) if !ids.insert(id, e) => {
                count(&mut classes, e, -1);
                false
            }
            _ => true,
        });
        View {
            r,
            plane,
            order,
            ids,
            paths,
            by_path,
            classes,
        }
    }

    /// The entry of this view under the key `key` of `other`.
    fn counterpart(&self, other: &View<'_>, key: Key) -> Option<EntryId> {
        match key {
            Key::Id(id) => self.ids.get(id),
            Key::Path(at) => self.by_path.get(&other.paths[at]).copied(),
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
        .map(|&(_, k)| vb.counterpart(&va, k))
        .collect();
    // Entries only one side has, as flags by entry index.
    let mut gone = vec![false; a.len()];
    let mut new = vec![false; b.len()];
    for &(e, _) in &vb.order {
        new[e.index()] = true;
    }
    for (&(ea, _), eb) in va.order.iter().zip(&matches) {
        match eb {
            Some(eb) => new[eb.index()] = false,
            None => gone[ea.index()] = true,
        }
    }
    let removed = tops(&va, &gone);
    let added = tops(&vb, &new);
    let changed = compare_matched(&va, &vb, &matches, options.all);
    let classes = classes(&va, &vb);
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

/// The matched entries that differ, in `a`'s tree order.
///
/// Comparing entry by entry is most of the work, and most of that is reading every property
/// of both sides. The entries are taken in the order they sit in memory (their index, the
/// order a reader met them, which a generated registry builds breadth-first), not in tree
/// order, so that the reads run ahead instead of jumping about; on every core. The few that
/// differ are put back in tree order at the end.
fn compare_matched(
    va: &View<'_>,
    vb: &View<'_>,
    matches: &[Option<EntryId>],
    all: bool,
) -> Vec<Changed> {
    // Each of `a`'s entries' place in tree order, by entry index.
    let mut rank = vec![u32::MAX; va.r.len()];
    for (i, &(ea, _)) in va.order.iter().enumerate() {
        rank[ea.index()] = i as u32;
    }
    let pairs: Vec<(u32, EntryId, EntryId)> = rank
        .iter()
        .enumerate()
        .filter_map(|(ea, &i)| {
            let eb = (*matches.get(i as usize)?)?;
            Some((i, EntryId(ea as u32), eb))
        })
        .collect();
    drop(rank);
    // Small chunks handed out in turn, so that a thread the machine's other work holds back
    // leaves its share to the others instead of keeping them waiting at the end.
    const CHUNK: usize = 8192;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16)
        .min(pairs.len().div_ceil(CHUNK))
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut found = Vec::new();
        loop {
            let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) * CHUNK;
            let Some(chunk) = pairs.get(at..(at + CHUNK).min(pairs.len())) else {
                break found;
            };
            for (k, &(i, ea, eb)) in chunk.iter().enumerate() {
                // Each entry's properties are an allocation of their own: start loading
                // those a few pairs ahead, so that the loads overlap instead of queueing.
                if let Some(&(_, pa, pb)) = chunk.get(k + PREFETCH_AHEAD) {
                    prefetch(va.r.entry(pa).properties.as_ptr());
                    prefetch(vb.r.entry(pb).properties.as_ptr());
                }
                found.extend(compare(va, ea, vb, eb, all).map(|c| (i, c)));
            }
        }
    };
    let mut changed: Vec<(u32, Changed)> = std::thread::scope(|t| {
        let helpers: Vec<_> = (1..threads).map(|_| t.spawn(work)).collect();
        let mut changed = work();
        for h in helpers {
            changed.extend(h.join().expect("comparing entries does not panic"));
        }
        changed
    });
    changed.sort_unstable_by_key(|&(i, _)| i);
    changed.into_iter().map(|(_, c)| c).collect()
}

/// The tops of the subtrees made of `set`'s entries (an entry whose first parent is not in
/// the set), each with the size of its subtree in the set.
fn tops(v: &View<'_>, set: &[bool]) -> Vec<Node> {
    let Some(plane) = v.plane else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &(e, _) in &v.order {
        let has = |x: EntryId| set.get(x.index()).copied().unwrap_or(false);
        if !has(e) || plane.parent(e).is_some_and(has) {
            continue;
        }
        let mut size = 0u64;
        let mut stack = vec![e];
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
        out.push(v.node(e, size));
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
pub(crate) fn is_volatile(key: &str, inner: Option<&str>) -> bool {
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
        // Counted by interned class while indexing (no string per entry), then by name.
        let mut m: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (c, &(n, retain)) in v.classes.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let slot = m
                .entry(
                    v.r.classes
                        .name(crate::registry::ClassId(c as u32))
                        .to_owned(),
                )
                .or_default();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Entry;

    /// One entry to build: name, registry ID, index of its parent among those listed before
    /// it (`None`: the platform entry, the plane's `IOService:/`), retain count and properties.
    type Spec<'s> = (
        &'s str,
        Option<u64>,
        Option<usize>,
        u32,
        Vec<(&'s str, Value)>,
    );

    /// A registry with Root, its platform entry below it (IDs 1 and 2 when the entries have
    /// IDs) and the IOService plane `specs` describes, the entries added in the order
    /// `add_order` gives (indices into `specs`; the memory order the diff compares in) and
    /// linked in `specs` order (the tree order).
    fn registry_in_order(specs: &[Spec<'_>], add_order: &[usize]) -> Registry {
        let mut r = Registry::new();
        let with_ids = specs.iter().any(|s| s.1.is_some());
        let root = r.add_entry(Entry {
            id: with_ids.then_some(1),
            is_root: true,
            ..Entry::named("Root")
        });
        let mac = r.add_entry(Entry {
            id: with_ids.then_some(2),
            ..Entry::named("Mac")
        });
        let mut ids = vec![EntryId(0); specs.len()];
        for &i in add_order {
            let (name, id, _, retain, props) = &specs[i];
            ids[i] = r.add_entry(Entry {
                id: *id,
                retain: Some(*retain),
                properties: props
                    .iter()
                    .map(|(k, v)| ((*k).into(), v.clone()))
                    .collect(),
                ..Entry::named(*name)
            });
        }
        let plane = r.plane_mut("IOService");
        plane.add_root(root);
        plane.add_child(root, mac);
        for (i, spec) in specs.iter().enumerate() {
            plane.add_child(spec.2.map_or(mac, |p| ids[p]), ids[i]);
        }
        r
    }

    fn registry(specs: &[Spec<'_>]) -> Registry {
        registry_in_order(specs, &(0..specs.len()).collect::<Vec<_>>())
    }

    fn run(a: &Registry, b: &Registry) -> Diff {
        diff(a, b, ("a", "b"), &DiffOptions::default())
    }

    fn keys(p: &PropertyChange) -> Vec<String> {
        p.path
            .iter()
            .map(|s| match s {
                PathStep::Key(k) => k.clone(),
                PathStep::Index(i) => i.to_string(),
            })
            .collect()
    }

    #[test]
    fn values_of_the_same_length_with_other_bytes_are_changes() {
        let props = |model: &str, data: &[u8], inner: &str| {
            vec![
                ("model", Value::string(model)),
                ("reg", Value::Data(data.into())),
                (
                    "dict",
                    Value::Dict(vec![(
                        "inner".into(),
                        Value::Array(vec![Value::u64(1), Value::string(inner)]),
                    )]),
                ),
            ]
        };
        let specs = |m: &str, d: &[u8], i: &str| -> Vec<Spec<'static>> {
            vec![
                ("X", Some(0x101), None, 1, props(m, d, i)),
                (
                    "Y",
                    Some(0x102),
                    None,
                    1,
                    props("same", b"\x01\x02", "same"),
                ),
            ]
        };
        let same = registry(&specs(
            "MacBookPro18,1",
            b"\x00\x01\x02\x03",
            "abcdefghijklmnopqrstuvwxyz0123",
        ));
        // One byte changed in each: a string, a data value, a long string deep in a dict.
        let other = registry(&specs(
            "MacBookPro18,2",
            b"\x00\x01\x02\x04",
            "abcdefghijklmnopqrstuvwxyz0124",
        ));
        assert!(run(&same, &same.clone()).is_empty());
        let d = run(&same, &other);
        assert!(d.added.is_empty() && d.removed.is_empty(), "{d:?}");
        assert_eq!(d.changed.len(), 1, "{d:?}");
        let c = &d.changed[0];
        assert_eq!(c.id.as_deref(), Some("0x101"));
        assert_eq!((c.retain, &c.state), (None, &None));
        let paths: Vec<Vec<String>> = c.properties.iter().map(keys).collect();
        assert_eq!(
            paths,
            [vec!["model"], vec!["reg"], vec!["dict", "inner", "1"]]
        );
        assert_eq!(
            c.properties[0].before.as_deref(),
            Some("\"MacBookPro18,1\"")
        );
        assert_eq!(c.properties[0].after.as_deref(), Some("\"MacBookPro18,2\""));
    }

    #[test]
    fn an_entry_moved_under_another_parent_is_the_same_entry_found_by_its_id() {
        let a = registry(&[
            ("P1", Some(0x101), None, 1, vec![]),
            ("P2", Some(0x102), None, 1, vec![]),
            ("X", Some(0x103), Some(0), 4, vec![("k", Value::u64(1))]),
        ]);
        let b = registry(&[
            ("P1", Some(0x101), None, 1, vec![]),
            ("P2", Some(0x102), None, 1, vec![]),
            ("X", Some(0x103), Some(1), 5, vec![("k", Value::u64(2))]),
        ]);
        let d = run(&a, &b);
        assert!(d.added.is_empty() && d.removed.is_empty(), "{d:?}");
        assert_eq!(d.changed.len(), 1, "{d:?}");
        let c = &d.changed[0];
        assert_eq!(c.id.as_deref(), Some("0x103"));
        assert_eq!(c.path.as_deref(), Some("IOService:/P2/X"));
        assert_eq!(c.retain, Some((Some(4), Some(5))));
        assert_eq!(c.properties.len(), 1);
    }

    #[test]
    fn entries_compared_in_memory_order_are_reported_in_tree_order() {
        // Tree: A → B → C, and D beside A; added to the registry out of tree order.
        let specs = |retain: u32| -> Vec<Spec<'static>> {
            vec![
                ("A", Some(0x104), None, retain, vec![]),
                ("B", Some(0x103), Some(0), retain, vec![]),
                ("C", Some(0x102), Some(1), retain, vec![]),
                ("D", Some(0x101), None, retain, vec![]),
            ]
        };
        let a = registry_in_order(&specs(1), &[3, 2, 1, 0]);
        let b = registry_in_order(&specs(2), &[1, 3, 0, 2]);
        let d = run(&a, &b);
        let names: Vec<_> = d.changed.iter().map(|c| c.path.as_deref()).collect();
        assert_eq!(
            names,
            [
                Some("IOService:/A"),
                Some("IOService:/A/B"),
                Some("IOService:/A/B/C"),
                Some("IOService:/D")
            ]
        );
    }

    #[test]
    fn ids_far_apart_are_matched_as_well_as_ids_close_together() {
        // IDs spread over the whole range (a hash map, not a table) on one side only.
        let spread = registry(&[
            ("A", Some(1 << 40), None, 1, vec![]),
            ("B", Some(u64::MAX), None, 1, vec![]),
        ]);
        let close = registry(&[
            ("C", Some(3), None, 1, vec![]),
            ("B", Some(u64::MAX), None, 3, vec![]),
        ]);
        assert!(run(&spread, &spread.clone()).is_empty());
        for (x, y, gone, new) in [(&spread, &close, "A", "C"), (&close, &spread, "C", "A")] {
            let d = run(x, y);
            let path = |n: &Node| n.path.clone().unwrap_or_default();
            assert_eq!(
                d.removed.iter().map(path).collect::<Vec<_>>(),
                [format!("IOService:/{gone}")]
            );
            assert_eq!(
                d.added.iter().map(path).collect::<Vec<_>>(),
                [format!("IOService:/{new}")]
            );
            assert_eq!(d.changed.len(), 1, "{d:?}");
            assert_eq!(d.changed[0].id.as_deref(), Some("0xffffffffffffffff"));
        }
    }

    #[test]
    fn of_entries_sharing_an_id_the_first_in_tree_order_is_compared() {
        // X and Y claim one ID; Y sits first in memory, X first in the tree. The IDs are
        // indexed after the walk: X keeps the ID, Y is neither compared nor counted.
        let specs = |x_retain: u32, y_retain: u32| -> Vec<Spec<'static>> {
            vec![
                ("X", Some(0x101), None, x_retain, vec![]),
                ("Y", Some(0x101), None, y_retain, vec![]),
            ]
        };
        let a = registry_in_order(&specs(1, 1), &[1, 0]);
        let d = run(&a, &registry_in_order(&specs(1, 5), &[1, 0]));
        assert!(d.is_empty(), "{d:?}");
        // Root, the platform entry and X.
        assert_eq!((d.a.compared, d.b.compared), (3, 3));
        let d = run(&a, &registry_in_order(&specs(2, 1), &[1, 0]));
        assert_eq!(d.changed.len(), 1, "{d:?}");
        assert_eq!(d.changed[0].path.as_deref(), Some("IOService:/X"));
        assert_eq!(d.changed[0].retain, Some((Some(1), Some(2))));
    }

    #[test]
    fn twins_with_one_path_and_no_ids_are_matched_first_with_first() {
        // Old text dumps: no IDs, and two siblings with the same name and no location.
        let twins = |n: usize, last: u64| -> Registry {
            let mut specs: Vec<Spec<'static>> = Vec::new();
            for i in 0..n {
                let v = if i + 1 == n { last } else { i as u64 };
                specs.push(("Twin", None, None, 1, vec![("n", Value::u64(v))]));
            }
            registry(&specs)
        };
        let two = twins(2, 1);
        assert!(run(&two, &two.clone()).is_empty());
        let d = run(&two, &twins(3, 2));
        assert_eq!(d.removed, []);
        assert_eq!(d.changed, []);
        assert_eq!(d.added.len(), 1, "{d:?}");
        assert_eq!(d.added[0].path.as_deref(), Some("IOService:/Twin"));
        let d = run(&two, &twins(2, 7));
        assert_eq!(d.changed.len(), 1, "{d:?}");
        assert_eq!(d.changed[0].properties[0].after.as_deref(), Some("7"));
        // Both twins and the platform entry (Root has no path).
        assert_eq!((d.a.compared, d.b.compared), (3, 3));
    }
}
