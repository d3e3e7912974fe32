//! One plane's tree: parents and ordered children of the entries that sit in it.

use super::{EntryId, Text};
use std::collections::HashMap;

const ABSENT: u32 = u32::MAX;
const TOP: u32 = u32::MAX - 1;

/// What [`Plane::add_child`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A new link.
    Added,
    /// The link was already there (kept once).
    Again,
}

/// A registry plane (`IOService`, `IODeviceTree`, …). Entries are linked by index;
/// an entry not in the plane has no slot in use here.
#[derive(Debug, Clone, Default)]
pub struct Plane {
    name: Box<str>,
    /// Entries with no parent in this plane, in order (usually just `Root`).
    roots: Vec<EntryId>,
    /// Per entry index: parent index, `TOP` for a root, `ABSENT` if not in the plane.
    parent: Vec<u32>,
    children: Vec<Vec<EntryId>>,
    members: usize,
    /// Parents after the first, for the few entries that have several in this plane
    /// (IOHIDSystem, IONetworkStack, RAID sets, their user clients…), in the order met.
    more_parents: HashMap<EntryId, Vec<EntryId>>,
    /// (parent, child) links listed more than once; each is kept once.
    duplicate_links: usize,
    /// Names and locations that differ from the entry's own in this plane.
    names: HashMap<EntryId, Text>,
    locations: HashMap<EntryId, Option<Text>>,
}

impl Plane {
    pub fn new(name: &str) -> Self {
        Plane {
            name: name.into(),
            ..Plane::default()
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn roots(&self) -> &[EntryId] {
        &self.roots
    }

    /// Number of entries in this plane.
    pub fn len(&self) -> usize {
        self.members
    }

    pub fn is_empty(&self) -> bool {
        self.members == 0
    }

    fn slot(&mut self, id: EntryId) {
        let need = id.index() + 1;
        if self.parent.len() < need {
            self.parent.resize(need, ABSENT);
            self.children.resize_with(need, Vec::new);
        }
    }

    pub fn contains(&self, id: EntryId) -> bool {
        self.parent.get(id.index()).is_some_and(|&p| p != ABSENT)
    }

    /// Adds `id` as a top-level entry of the plane. Does nothing if it is already in the plane.
    pub fn add_root(&mut self, id: EntryId) {
        self.slot(id);
        if self.parent[id.index()] == ABSENT {
            self.parent[id.index()] = TOP;
            self.roots.push(id);
            self.members += 1;
        }
    }

    /// Links `child` under `parent` (after its other children). The parent joins the plane as a
    /// root if it was not in it. An entry may have several parents (the registry is a graph):
    /// the first link made is its first parent, the one [`Plane::parent`] returns and its path
    /// follows; later ones are recorded in order. A link made twice is kept once.
    pub fn add_child(&mut self, parent: EntryId, child: EntryId) -> Link {
        if !self.contains(parent) {
            self.add_root(parent);
        }
        self.slot(child);
        match self.parent[child.index()] {
            ABSENT => {
                self.parent[child.index()] = parent.0;
                self.members += 1;
            }
            TOP => {
                // A top entry found to have a parent after all: that parent becomes its first.
                self.parent[child.index()] = parent.0;
                self.roots.retain(|&r| r != child);
            }
            first if first == parent.0 => {
                self.duplicate_links += 1;
                return Link::Again;
            }
            _ => {
                let more = self.more_parents.entry(child).or_default();
                if more.contains(&parent) {
                    self.duplicate_links += 1;
                    return Link::Again;
                }
                more.push(parent);
            }
        }
        self.children[parent.index()].push(child);
        Link::Added
    }

    /// Puts `child`'s parents in the order `order` lists them (a reader that links in another
    /// order than the source lists parents); parents `order` omits keep their place after.
    pub fn order_parents(&mut self, child: EntryId, order: &[EntryId]) {
        let mut all: Vec<EntryId> = self.parents(child).collect();
        if all.len() < 2 {
            return;
        }
        let rank = |p: &EntryId| order.iter().position(|o| o == p).unwrap_or(usize::MAX);
        all.sort_by_key(rank);
        self.parent[child.index()] = all[0].0;
        self.more_parents.insert(child, all[1..].to_vec());
    }

    /// The first parent (what `IORegistryEntryGetParentEntry` returns).
    pub fn parent(&self, id: EntryId) -> Option<EntryId> {
        match self.parent.get(id.index()) {
            Some(&p) if p != ABSENT && p != TOP => Some(EntryId(p)),
            _ => None,
        }
    }

    /// Every parent, the first first.
    pub fn parents(&self, id: EntryId) -> impl Iterator<Item = EntryId> + '_ {
        self.parent(id)
            .into_iter()
            .chain(self.more_parents.get(&id).into_iter().flatten().copied())
    }

    /// Whether `parent` is `child`'s first parent (so `child` under `parent` is its first
    /// appearance, the one a walk of unique entries follows).
    pub fn is_first_parent(&self, parent: EntryId, child: EntryId) -> bool {
        self.parent(child) == Some(parent)
    }

    /// Entries with more than one parent in this plane.
    pub fn multi_parent(&self) -> usize {
        self.more_parents.len()
    }

    /// (parent, child) links that were listed more than once (kept once).
    pub fn duplicate_links(&self) -> usize {
        self.duplicate_links
    }

    /// An entry on a cycle of parent links, if the links claim one (a registry is acyclic;
    /// a file that says otherwise is refused). Linear in the links.
    pub fn find_cycle(&self) -> Option<EntryId> {
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; self.children.len()];
        for start in 0..self.children.len() {
            if state[start] != NEW || !self.contains(EntryId(start as u32)) {
                continue;
            }
            state[start] = OPEN;
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            while let Some(top) = stack.last_mut() {
                let (node, next) = *top;
                match self.children[node].get(next) {
                    Some(&c) => {
                        top.1 += 1;
                        match state[c.index()] {
                            OPEN => return Some(c),
                            NEW => {
                                state[c.index()] = OPEN;
                                stack.push((c.index(), 0));
                            }
                            _ => {}
                        }
                    }
                    None => {
                        state[node] = DONE;
                        stack.pop();
                    }
                }
            }
        }
        None
    }

    /// How many times the entries of this plane appear when every entry is shown under
    /// every parent, as `ioreg` prints a plane (what a text dump's `+-o` lines count);
    /// saturates at `u64::MAX`. Linear in the links. Call on an acyclic plane.
    pub fn appearances(&self) -> u64 {
        let mut memo = HashMap::new();
        self.roots.iter().fold(0u64, |sum, &r| {
            sum.saturating_add(self.appearances_below(r, &mut memo))
        })
    }

    /// Appearances of `id` and everything below it, counting each appearance of a shared
    /// entry (memoised per entry, so a shared subtree is counted once, not walked again).
    pub fn appearances_below(&self, id: EntryId, memo: &mut HashMap<EntryId, u64>) -> u64 {
        if let Some(&n) = memo.get(&id) {
            return n;
        }
        // Post-order without recursion: a hostile file may nest deeply.
        let mut stack = vec![(id, false)];
        while let Some((e, children_done)) = stack.pop() {
            if memo.contains_key(&e) {
                continue;
            }
            if children_done {
                let n = self.children(e).iter().fold(1u64, |s, c| {
                    s.saturating_add(memo.get(c).copied().unwrap_or(0))
                });
                memo.insert(e, n);
            } else {
                stack.push((e, true));
                for &c in self.children(e) {
                    if !memo.contains_key(&c) {
                        stack.push((c, false));
                    }
                }
            }
        }
        memo.get(&id).copied().unwrap_or(1)
    }

    /// Children in order, each once, including those whose first parent is another entry;
    /// empty for an entry not in the plane.
    pub fn children(&self, id: EntryId) -> &[EntryId] {
        self.children.get(id.index()).map_or(&[], Vec::as_slice)
    }

    /// Depth below the top of the plane (a root is 0).
    pub fn depth(&self, id: EntryId) -> usize {
        let mut d = 0;
        let mut cur = id;
        while let Some(p) = self.parent(cur) {
            d += 1;
            cur = p;
            if d > self.parent.len() {
                break;
            }
        }
        d
    }

    /// Every entry of the plane once, in tree (pre-)order through first parents, with its
    /// depth: the walk of unique entries (search, counts), never exponential.
    pub fn walk(&self) -> impl Iterator<Item = (EntryId, usize)> + '_ {
        let mut stack: Vec<(EntryId, usize)> = self.roots.iter().rev().map(|&r| (r, 0)).collect();
        std::iter::from_fn(move || {
            let (id, depth) = stack.pop()?;
            for &c in self.children(id).iter().rev() {
                if self.parent(c) == Some(id) {
                    stack.push((c, depth + 1));
                }
            }
            Some((id, depth))
        })
    }

    pub fn set_name_override(&mut self, id: EntryId, name: Text) {
        self.names.insert(id, name);
    }

    pub fn set_location_override(&mut self, id: EntryId, location: Option<Text>) {
        self.locations.insert(id, location);
    }

    pub fn name_override(&self, id: EntryId) -> Option<&Text> {
        self.names.get(&id)
    }

    /// `Some(None)` means "no location in this plane" even if the entry has one elsewhere.
    pub fn location_override(&self, id: EntryId) -> Option<&Option<Text>> {
        self.locations.get(&id)
    }
}
