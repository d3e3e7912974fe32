//! Leak hunting in the explorer: a baseline to compare with (`b`, `--diff A B`, a moment of
//! the timeline), the changes drawn in the tree (added entries, removed ones kept as ghosts
//! in their old place, changed retain counts, states and properties), the change filter
//! (`d`) and jumps (`]`/`[`), and the classes (`c`) and user-clients (`u`) tables.
//!
//! The comparison itself is [`crate::census::diff::diff`]; this module only maps its result onto the
//! entries of the registry on screen.

use super::state::{Mode, State, plane_at};
use super::update::{jump_to_entry, reselect};
use crate::census::classes::{self, ClassCount};
use crate::census::clients::{self, ProcessClients};
use crate::census::diff::{self, Changed, Diff, DiffOptions, Node};
use crate::registry::{EntryId, Plane, Registry, Value};
use std::collections::HashMap;

/// How an entry differs from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Not in the baseline.
    Added,
    /// Only in the baseline: kept on screen, in its old place, as a ghost.
    Ghost,
    /// In both, different: the index of its [`Changed`] in [`Leak::diff`].
    Changed(usize),
}

/// What the tree is filtered to by this module (re-applied after each refresh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeakFilter {
    /// `d`: the changes and their ancestors.
    Changes,
    /// Enter in the classes table: the instances of this class.
    Class(String),
    /// Enter in the clients table: this process's user clients.
    Process(u32, String),
}

/// Columns the classes table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClassSort {
    #[default]
    Name,
    Count,
    Delta,
}

impl ClassSort {
    pub(crate) fn next(self) -> Self {
        match self {
            ClassSort::Name => ClassSort::Count,
            ClassSort::Count => ClassSort::Delta,
            ClassSort::Delta => ClassSort::Name,
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            ClassSort::Name => "name",
            ClassSort::Count => "count",
            ClassSort::Delta => "delta",
        }
    }
}

/// The registry compared with.
#[derive(Debug, Clone)]
pub struct Baseline {
    pub registry: Registry,
    /// Where it came from (a file name, `baseline at 10:31:02`, `moment 3.0 s`).
    pub label: String,
    pub classes: Vec<ClassCount>,
    pub clients: Vec<ProcessClients>,
}

impl Baseline {
    pub(crate) fn new(registry: Registry, label: String) -> Self {
        Baseline {
            classes: classes::census(&registry),
            clients: clients::census(&registry),
            registry,
            label,
        }
    }
}

/// The explorer's leak-hunting state.
#[derive(Debug, Clone, Default)]
pub struct Leak {
    pub baseline: Option<Baseline>,
    /// The last comparison of the registry on screen with the baseline.
    pub diff: Option<Diff>,
    pub marks: HashMap<EntryId, Mark>,
    pub filter: Option<LeakFilter>,
    /// The rows of the open classes or clients table.
    pub class_rows: Vec<ClassCount>,
    pub client_rows: Vec<ProcessClients>,
}

impl Leak {
    /// Compares `registry` with the baseline in `plane` (IOService when absent), adds the
    /// removed entries to it as ghosts and remembers the marks. Without a baseline it
    /// returns `registry` unchanged.
    pub(crate) fn prepare(&mut self, mut registry: Registry, plane: &str) -> Registry {
        self.marks.clear();
        self.diff = None;
        let Some(base) = &self.baseline else {
            return registry;
        };
        let plane_name = if base.registry.plane(plane).is_some() && registry.plane(plane).is_some()
        {
            plane.to_owned()
        } else {
            "IOService".to_owned()
        };
        let options = DiffOptions {
            plane: Some(plane_name.clone()),
            ..DiffOptions::default()
        };
        let d = diff::diff(&base.registry, &registry, (&base.label, "now"), &options);
        let after = Lookup::new(&registry, &plane_name);
        for (i, c) in d.changed.iter().enumerate() {
            if let Some(e) = after.find(c.id.as_deref(), c.path.as_deref()) {
                self.marks.insert(e, Mark::Changed(i));
            }
        }
        if let Some(p) = registry.plane(&plane_name) {
            for top in &d.added {
                if let Some(e) = after.find(top.id.as_deref(), top.path.as_deref()) {
                    for x in first_parent_subtree(p, e) {
                        self.marks.insert(x, Mark::Added);
                    }
                }
            }
        }
        let ghosts = add_ghosts(
            &base.registry,
            &mut registry,
            &plane_name,
            &d.removed,
            &after,
        );
        for g in ghosts {
            self.marks.insert(g, Mark::Ghost);
        }
        self.diff = Some(d);
        registry
    }

    /// How many ghosts the registry on screen holds (they are not registry entries).
    pub(crate) fn ghosts(&self) -> usize {
        self.marks.values().filter(|m| **m == Mark::Ghost).count()
    }

    pub(crate) fn mark(&self, id: EntryId) -> Option<Mark> {
        if self.marks.is_empty() {
            return None;
        }
        self.marks.get(&id).copied()
    }

    /// The comparison's changes of `id`, if it changed.
    pub(crate) fn changed(&self, id: EntryId) -> Option<&Changed> {
        match self.mark(id)? {
            Mark::Changed(i) => self.diff.as_ref()?.changed.get(i),
            _ => None,
        }
    }

    /// `+3 −1 ~12 vs baseline.txt` for the status line.
    pub(crate) fn summary(&self) -> Option<String> {
        let base = self.baseline.as_ref()?;
        let (mut added, mut ghosts, mut changed) = (0, 0, 0);
        for m in self.marks.values() {
            match m {
                Mark::Added => added += 1,
                Mark::Ghost => ghosts += 1,
                Mark::Changed(_) => changed += 1,
            }
        }
        Some(format!(
            "vs {}: +{added} −{ghosts} ~{changed}",
            crate::registry::escape::for_terminal(&base.label)
        ))
    }
}

/// Finds entries of the registry by the diff's `0x…` ID or, without IDs, by path.
struct Lookup {
    by_id: HashMap<u64, EntryId>,
    by_path: HashMap<String, EntryId>,
}

impl Lookup {
    fn new(r: &Registry, plane: &str) -> Self {
        let mut by_id = HashMap::new();
        for (e, entry) in r.entries() {
            if let Some(id) = entry.id
                && !entry.synthetic
            {
                by_id.entry(id).or_insert(e);
            }
        }
        let mut by_path = HashMap::new();
        if by_id.is_empty()
            && let Some(p) = r.plane(plane)
        {
            for (e, _) in p.walk() {
                if let Some(path) = r.path_in(p, e) {
                    by_path.entry(path).or_insert(e);
                }
            }
        }
        Lookup { by_id, by_path }
    }

    fn find(&self, id: Option<&str>, path: Option<&str>) -> Option<EntryId> {
        if let Some(id) = id.and_then(parse_hex) {
            return self.by_id.get(&id).copied();
        }
        path.and_then(|p| self.by_path.get(p).copied())
    }
}

fn parse_hex(text: &str) -> Option<u64> {
    u64::from_str_radix(text.strip_prefix("0x")?, 16).ok()
}

/// `top` and every entry below it through first parents.
fn first_parent_subtree(plane: &Plane, top: EntryId) -> Vec<EntryId> {
    let mut out = Vec::new();
    let mut stack = vec![top];
    while let Some(x) = stack.pop() {
        out.push(x);
        stack.extend(
            plane
                .children(x)
                .iter()
                .copied()
                .filter(|&c| plane.is_first_parent(x, c)),
        );
    }
    out
}

/// Copies each removed subtree of `before` into `after` as ghost entries (synthetic: no
/// census, writer or diff counts them), under the entry that was their parent (or at the
/// top when that is gone too). Returns the ghosts.
fn add_ghosts(
    before: &Registry,
    after: &mut Registry,
    plane: &str,
    removed: &[Node],
    lookup: &Lookup,
) -> Vec<EntryId> {
    let Some(old_plane) = before.plane(plane) else {
        return Vec::new();
    };
    let old = Lookup::new(before, plane);
    let mut ghosts = Vec::new();
    for top in removed {
        let Some(old_top) = old.find(top.id.as_deref(), top.path.as_deref()) else {
            continue;
        };
        let parent = old_plane.parent(old_top).and_then(|p| {
            let entry = before.entry(p);
            match entry.id {
                Some(id) => lookup.by_id.get(&id).copied(),
                None => before
                    .path_in(old_plane, p)
                    .and_then(|path| lookup.by_path.get(&path).copied()),
            }
        });
        let mut copies: HashMap<EntryId, EntryId> = HashMap::new();
        for x in first_parent_subtree(old_plane, old_top) {
            if before.entry(x).synthetic {
                continue;
            }
            let mut entry = before.entry(x).clone();
            entry.synthetic = true;
            entry.class = before.class_name(x).map(|c| after.classes.intern(c));
            let new = after.add_entry(entry);
            let p = after.plane_mut(plane);
            match old_plane.parent(x).and_then(|op| copies.get(&op).copied()) {
                Some(np) => {
                    p.add_child(np, new);
                }
                None => match parent {
                    Some(np) => {
                        p.add_child(np, new);
                    }
                    None => p.add_root(new),
                },
            }
            copies.insert(x, new);
            ghosts.push(new);
        }
    }
    ghosts
}

/// `b`: the registry on screen becomes the baseline (its ghosts are synthetic: the census
/// and the diff skip them).
pub(crate) fn mark_baseline(s: &mut State, label: String) {
    let registry = s.registry.clone();
    s.leak.baseline = Some(Baseline::new(registry, label));
    s.leak.marks.clear();
    s.leak.diff = None;
    if s.leak.filter == Some(LeakFilter::Changes) {
        s.leak.filter = None;
        super::update::leave_filter(s);
    }
    s.message = Some(
        "baseline marked: refreshes are compared with it; d shows the changes, ]/[ jump".into(),
    );
}

/// The tree filtered to `keep` entries and their ancestors (every parent), all expanded.
fn filter_to(s: &mut State, wanted: &[EntryId], filter: LeakFilter) -> bool {
    if !show_entries(s, wanted) {
        return false;
    }
    s.leak.filter = Some(filter);
    true
}

/// The tree filtered to `wanted` entries and their ancestors (every parent), all expanded,
/// the selection on one of them; false (and nothing changed) when none is in the plane.
/// Also the ports view's filter (`P`, Enter).
pub(super) fn show_entries(s: &mut State, wanted: &[EntryId]) -> bool {
    let entry = s.selected_entry();
    let plane = plane_at(&s.registry, s.plane);
    let mut keep = vec![false; s.registry.len()];
    let mut stack: Vec<EntryId> = wanted
        .iter()
        .copied()
        .filter(|&e| plane.contains(e))
        .collect();
    if stack.is_empty() {
        return false;
    }
    while let Some(x) = stack.pop() {
        if std::mem::replace(&mut keep[x.index()], true) {
            continue;
        }
        stack.extend(plane.parents(x));
    }
    if !s.view.is_filtered() {
        s.filter_saved = Some(s.view.expansion());
    }
    super::update::show_only(s, keep);
    reselect(
        s,
        entry
            .filter(|e| wanted.contains(e))
            .or(wanted.first().copied()),
    );
    true
}

/// The entries a filter keeps.
fn wanted(s: &State, filter: &LeakFilter) -> Vec<EntryId> {
    let r = &s.registry;
    match filter {
        LeakFilter::Changes => changes_in_order(s),
        LeakFilter::Class(c) => r
            .entries()
            .filter(|(id, e)| !e.synthetic && r.class_name(*id) == Some(c.as_str()))
            .map(|(id, _)| id)
            .collect(),
        LeakFilter::Process(pid, name) => r
            .entries()
            .filter(|(_, e)| {
                !e.synthetic
                    && matches!(e.property("IOUserClientCreator"), Some(Value::String(t))
                        if clients::parse_creator(&t.to_string_lossy())
                            .is_some_and(|(p, n)| p == *pid && &n == name))
            })
            .map(|(id, _)| id)
            .collect(),
    }
}

/// Applies `filter`; says so when nothing in the plane matches.
pub(crate) fn apply(s: &mut State, filter: LeakFilter) {
    let wanted = wanted(s, &filter);
    // Instances only another plane holds (a device-tree node's class): show that plane.
    if !wanted.is_empty()
        && !wanted.iter().any(|&e| s.plane().contains(e))
        && let Some(p) = s
            .registry
            .planes()
            .iter()
            .position(|p| wanted.iter().any(|&e| p.contains(e)))
    {
        super::update::switch_plane(s, p);
    }
    let what = match &filter {
        LeakFilter::Changes => "changes".to_string(),
        LeakFilter::Class(c) => {
            format!("instances of {}", crate::registry::escape::for_terminal(c))
        }
        LeakFilter::Process(pid, n) => format!(
            "user clients of {} (pid {pid})",
            crate::registry::escape::for_terminal(n)
        ),
    };
    if filter_to(s, &wanted, filter) {
        s.message = Some(format!(
            "showing {} {what} and their ancestors (Esc shows everything)",
            wanted.len()
        ));
    } else {
        s.message = Some(format!("no {what} in the {} plane", s.plane().name()));
    }
}

/// After a refresh: the filter this module set, applied to the new registry.
pub(crate) fn reapply(s: &mut State) {
    if let Some(f) = s.leak.filter.clone() {
        let wanted = wanted(s, &f);
        if !filter_to(s, &wanted, f) {
            s.leak.filter = None;
        }
    }
}

/// `d`: the changes and their ancestors, or everything again.
pub(crate) fn toggle_changes(s: &mut State) {
    if s.leak.filter == Some(LeakFilter::Changes) && s.view.is_filtered() {
        s.leak.filter = None;
        super::update::leave_filter(s);
        return;
    }
    if s.leak.baseline.is_none() {
        s.message = Some(NO_BASELINE.into());
        return;
    }
    apply(s, LeakFilter::Changes);
}

pub(crate) const NO_BASELINE: &str =
    "no baseline: b marks one (live or demo), or open ioscope --diff A B";

/// Changed, added and ghost entries in tree order (first appearances).
fn changes_in_order(s: &State) -> Vec<EntryId> {
    if s.leak.marks.is_empty() {
        return Vec::new();
    }
    s.plane()
        .walk()
        .map(|(e, _)| e)
        .filter(|e| s.leak.marks.contains_key(e))
        .collect()
}

/// `]`/`[`: the next or previous change after the selection, in tree order (wrapping).
pub(crate) fn jump_change(s: &mut State, forward: bool) {
    if s.leak.baseline.is_none() {
        s.message = Some(NO_BASELINE.into());
        return;
    }
    let order = changes_in_order(s);
    if order.is_empty() {
        s.message = Some("no changes since the baseline".into());
        return;
    }
    let pos: HashMap<EntryId, usize> = s
        .plane()
        .walk()
        .enumerate()
        .map(|(i, (e, _))| (e, i))
        .collect();
    let here = s.selected_entry().and_then(|e| pos.get(&e).copied());
    let target = match (here, forward) {
        (None, true) => order.first(),
        (None, false) => order.last(),
        (Some(h), true) => order.iter().find(|e| pos[e] > h).or(order.first()),
        (Some(h), false) => order.iter().rev().find(|e| pos[e] < h).or(order.last()),
    }
    .copied();
    if let Some(t) = target {
        jump_to_entry(s, t);
        let n = order.iter().position(|&e| e == t).map_or(0, |i| i + 1);
        s.message = Some(format!("change {n}/{}", order.len()));
    }
}

/// `c`: the classes table, with deltas when there is a baseline.
pub(crate) fn open_classes(s: &mut State) {
    s.leak.class_rows = class_rows(s);
    s.mode = Mode::Classes {
        selected: 0,
        sort: ClassSort::default(),
    };
}

fn class_rows(s: &State) -> Vec<ClassCount> {
    let now = classes::census(&s.registry);
    match &s.leak.baseline {
        Some(b) => classes::with_baseline(now, &b.classes),
        None => now,
    }
}

/// The classes table's rows in `sort` order: name ascending; count, delta descending.
pub(crate) fn sorted_classes(s: &State, sort: ClassSort) -> Vec<&ClassCount> {
    let mut rows: Vec<&ClassCount> = s.leak.class_rows.iter().collect();
    match sort {
        ClassSort::Name => rows.sort_by(|a, b| a.class.cmp(&b.class)),
        ClassSort::Count => {
            rows.sort_by(|a, b| b.count().cmp(&a.count()).then(a.class.cmp(&b.class)))
        }
        ClassSort::Delta => rows.sort_by(|a, b| {
            b.delta
                .unwrap_or(0)
                .cmp(&a.delta.unwrap_or(0))
                .then(a.class.cmp(&b.class))
        }),
    }
    rows
}

/// `u`: the user clients per process, with growth when there is a baseline.
pub(crate) fn open_clients(s: &mut State) {
    s.leak.client_rows = client_rows(s);
    s.mode = Mode::Clients { selected: 0 };
}

fn client_rows(s: &State) -> Vec<ProcessClients> {
    let now = clients::census(&s.registry);
    match &s.leak.baseline {
        Some(b) => clients::with_baseline(now, &b.clients),
        None => now,
    }
}

/// After a refresh: the open table's rows recounted.
pub(crate) fn recount(s: &mut State) {
    match s.mode {
        Mode::Classes { .. } => s.leak.class_rows = class_rows(s),
        Mode::Clients { .. } => s.leak.client_rows = client_rows(s),
        _ => {}
    }
}

/// Keys in the classes table.
pub(crate) fn classes_table(
    s: &mut State,
    selected: usize,
    sort: ClassSort,
    action: super::Action,
) -> Vec<super::Effect> {
    use super::Action;
    let n = s.leak.class_rows.len();
    match action {
        Action::Back | Action::Quit => s.mode = Mode::Normal,
        Action::SortNext => {
            s.mode = Mode::Classes {
                selected: 0,
                sort: sort.next(),
            }
        }
        Action::Accept => {
            let class = sorted_classes(s, sort)
                .get(selected)
                .map(|c| c.class.clone());
            if let Some(c) = class {
                s.mode = Mode::Normal;
                apply(s, LeakFilter::Class(c));
            }
        }
        _ => {
            let page = s.geometry.list.page();
            s.mode = Mode::Classes {
                selected: super::cursor::step(selected, n, page, action),
                sort,
            }
        }
    }
    Vec::new()
}

/// Keys in the clients table.
pub(crate) fn clients_table(
    s: &mut State,
    selected: usize,
    action: super::Action,
) -> Vec<super::Effect> {
    use super::Action;
    let n = s.leak.client_rows.len();
    match action {
        Action::Back | Action::Quit => s.mode = Mode::Normal,
        Action::Accept => {
            let p = s
                .leak
                .client_rows
                .get(selected)
                .map(|p| (p.pid, p.process.clone()));
            if let Some((pid, name)) = p {
                s.mode = Mode::Normal;
                apply(s, LeakFilter::Process(pid, name));
            }
        }
        _ => {
            let page = s.geometry.list.page();
            s.mode = Mode::Clients {
                selected: super::cursor::step(selected, n, page, action),
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Entry;

    /// Root → A → (B → C), D; every entry with an ID and a retain count.
    fn registry(with_b: bool, with_e: bool, a_retain: u32) -> Registry {
        let mut r = Registry::new();
        let mut add = |name: &str, id: u64, retain: u32| {
            r.add_entry(Entry {
                id: Some(id),
                retain: Some(retain),
                ..Entry::named(name)
            })
        };
        let root = add("Root", 1, 5);
        let a = add("A", 2, a_retain);
        let d = add("D", 5, 3);
        let b = with_b.then(|| (add("B", 3, 3), add("C", 4, 3)));
        let e = with_e.then(|| add("E", 6, 3));
        let p = r.plane_mut("IOService");
        p.add_root(root);
        p.add_child(root, a);
        if let Some((b, c)) = b {
            p.add_child(a, b);
            p.add_child(b, c);
        }
        p.add_child(a, d);
        if let Some(e) = e {
            p.add_child(d, e);
        }
        r
    }

    fn named(r: &Registry, name: &str) -> EntryId {
        r.entries().find(|(_, e)| e.name == name).unwrap().0
    }

    #[test]
    fn removed_subtrees_come_back_as_ghosts_under_their_old_parent() {
        let mut leak = Leak {
            baseline: Some(Baseline::new(registry(true, false, 4), "before".into())),
            ..Leak::default()
        };
        let r = leak.prepare(registry(false, true, 6), "IOService");
        let p = r.plane("IOService").unwrap();
        let (a, b, c) = (named(&r, "A"), named(&r, "B"), named(&r, "C"));
        assert_eq!(p.parent(b), Some(a));
        assert_eq!(p.parent(c), Some(b));
        assert!(r.entry(b).synthetic && r.entry(c).synthetic);
        assert_eq!(leak.mark(b), Some(Mark::Ghost));
        assert_eq!(leak.mark(c), Some(Mark::Ghost));
        assert_eq!(leak.mark(named(&r, "E")), Some(Mark::Added));
        assert_eq!(leak.mark(named(&r, "D")), None);
        assert_eq!(leak.changed(a).unwrap().retain, Some((Some(4), Some(6))));
        assert_eq!(leak.ghosts(), 2);
        // Ghosts are in no count: the census of the registry on screen skips them.
        let classes_now = classes::census(&r);
        assert!(classes_now.iter().all(|c| c.instances <= 3));
    }

    #[test]
    fn a_baseline_of_a_registry_with_ghosts_does_not_bring_them_back() {
        let mut leak = Leak {
            baseline: Some(Baseline::new(registry(true, false, 4), "before".into())),
            ..Leak::default()
        };
        let with_ghosts = leak.prepare(registry(false, false, 4), "IOService");
        leak.baseline = Some(Baseline::new(with_ghosts, "again".into()));
        let r = leak.prepare(registry(false, false, 4), "IOService");
        assert!(leak.marks.is_empty(), "{:?}", leak.marks);
        assert_eq!(r.len(), 3);
    }
}
