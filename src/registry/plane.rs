//! One plane's tree: parents and ordered children of the entries that sit in it.

use super::{EntryId, Text};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const TOP: u32 = u32::MAX;

/// What [`Plane::add_child`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A new link.
    Added,
    /// The link was already there (kept once).
    Again,
}

/// One member of a plane: its parent (`TOP` for a root) and its children in order.
#[derive(Debug, Clone)]
struct Node {
    id: EntryId,
    parent: u32,
    children: Vec<EntryId>,
}

/// A registry plane (`IOService`, `IODeviceTree`, …). Entries are linked by index; only
/// the plane's members have a node here, so a plane costs memory in proportion to its own
/// members, however many entries the registry holds (a dump naming 20,000 planes of one
/// entry each once cost planes × entries). See `Members` (below).
#[derive(Debug, Clone, Default)]
pub struct Plane {
    name: Box<str>,
    /// Entries with no parent in this plane, in order (usually just `Root`).
    roots: Vec<EntryId>,
    nodes: Members,
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
    pub(crate) fn new(name: &str) -> Self {
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
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn contains(&self, id: EntryId) -> bool {
        self.nodes.get(id).is_some()
    }

    /// Adds `id` as a top-level entry of the plane. Does nothing if it is already in the plane.
    pub fn add_root(&mut self, id: EntryId) {
        let node = Node {
            id,
            parent: TOP,
            children: Vec::new(),
        };
        if self.nodes.insert_new(id, node) {
            self.roots.push(id);
        }
    }

    /// Links `child` under `parent` (after its other children). The parent joins the plane as a
    /// root if it was not in it. An entry may have several parents (the registry is a graph):
    /// the first link made is its first parent, the one [`Plane::parent`] returns and its path
    /// follows; later ones are recorded in order. A link made twice is kept once (a document
    /// listing one child many times per level would otherwise make every walk exponential).
    pub fn add_child(&mut self, parent: EntryId, child: EntryId) -> Link {
        if !self.contains(parent) {
            self.add_root(parent);
        }
        match self.nodes.get(child).map(|n| n.parent) {
            None => {
                self.nodes.insert_new(
                    child,
                    Node {
                        id: child,
                        parent: parent.0,
                        children: Vec::new(),
                    },
                );
            }
            Some(TOP) => {
                // A top entry found to have a parent after all: that parent becomes its first.
                if let Some(n) = self.nodes.get_mut(child) {
                    n.parent = parent.0;
                }
                self.roots.retain(|&r| r != child);
            }
            Some(first) if first == parent.0 => {
                self.duplicate_links += 1;
                return Link::Again;
            }
            Some(_) => {
                let more = self.more_parents.entry(child).or_default();
                if more.contains(&parent) {
                    self.duplicate_links += 1;
                    return Link::Again;
                }
                more.push(parent);
            }
        }
        if let Some(node) = self.nodes.get_mut(parent) {
            node.children.push(child);
        }
        Link::Added
    }

    /// Puts `child`'s parents in the order `order` lists them (a reader that links in another
    /// order than the source lists parents); parents `order` omits keep their place after.
    pub(crate) fn order_parents(&mut self, child: EntryId, order: &[EntryId]) {
        let mut all: Vec<EntryId> = self.parents(child).collect();
        if all.len() < 2 {
            return;
        }
        let rank = |p: &EntryId| order.iter().position(|o| o == p).unwrap_or(usize::MAX);
        all.sort_by_key(rank);
        if let Some(n) = self.nodes.get_mut(child) {
            n.parent = all[0].0;
        }
        self.more_parents.insert(child, all[1..].to_vec());
    }

    /// The first parent (what `IORegistryEntryGetParentEntry` returns).
    pub fn parent(&self, id: EntryId) -> Option<EntryId> {
        match self.nodes.get(id) {
            Some(n) if n.parent != TOP => Some(EntryId(n.parent)),
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
    pub(crate) fn is_first_parent(&self, parent: EntryId, child: EntryId) -> bool {
        self.parent(child) == Some(parent)
    }

    /// Entries with more than one parent in this plane.
    pub(crate) fn multi_parent(&self) -> usize {
        self.more_parents.len()
    }

    /// An entry on a cycle of parent links, if the links claim one (a registry is acyclic;
    /// a file that says otherwise is refused). Linear in the links.
    pub(crate) fn find_cycle(&self) -> Option<EntryId> {
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let n = self.nodes.len();
        let mut state = vec![NEW; n];
        for start in 0..n {
            if state[start] != NEW {
                continue;
            }
            state[start] = OPEN;
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            while let Some(top) = stack.last_mut() {
                let (node, next) = *top;
                match self.nodes.nodes[node].children.get(next) {
                    Some(&c) => {
                        top.1 += 1;
                        let Some(cp) = self.nodes.position(c) else {
                            continue;
                        };
                        match state[cp] {
                            OPEN => return Some(c),
                            NEW => {
                                state[cp] = OPEN;
                                stack.push((cp, 0));
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
    pub(crate) fn appearances_below(&self, id: EntryId, memo: &mut HashMap<EntryId, u64>) -> u64 {
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
        self.nodes.get(id).map_or(&[], |n| n.children.as_slice())
    }

    #[cfg(test)]
    /// Depth below the top of the plane (a root is 0).
    pub(crate) fn depth(&self, id: EntryId) -> usize {
        let mut d = 0;
        let mut cur = id;
        while let Some(p) = self.parent(cur) {
            d += 1;
            cur = p;
            if d > self.nodes.len() {
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

    /// The entries [`Plane::walk`] yields, in the same order, collected at once (without depths).
    ///
    /// On a large plane the walk is bound by memory latency: each step needs the node it just
    /// pushed, so its loads follow one another. This goes level by level instead (breadth
    /// first, where the loads of a whole level are known in advance and overlap), then places
    /// each entry at its pre-order position from the sizes of the subtrees before it — several
    /// times faster on a million entries. Same first-parent rule: an entry is reached once,
    /// under its first parent.
    pub fn pre_order(&self) -> Vec<EntryId> {
        let nodes = &self.nodes.nodes;
        // Breadth-first through first parents: node positions, and where each one's children
        // start in `queue` (the children of `queue[i]` are `queue[start[i]..start[i + 1]]`).
        let mut queue: Vec<u32> = Vec::with_capacity(nodes.len());
        queue.extend(
            self.roots
                .iter()
                .filter_map(|&r| self.nodes.position(r).map(|p| p as u32)),
        );
        let roots = queue.len();
        let mut start: Vec<u32> = Vec::with_capacity(nodes.len() + 1);
        let mut i = 0;
        while let Some(&at) = queue.get(i) {
            // The children lists are separate allocations spread over the heap: ask for the
            // one a few steps ahead now, so that its load overlaps this step's work.
            if let Some(&ahead) = queue.get(i + PREFETCH_AHEAD) {
                prefetch(nodes[ahead as usize].children.as_ptr());
            }
            start.push(queue.len() as u32);
            let node = &nodes[at as usize];
            for &c in &node.children {
                if let Some(p) = self.nodes.position(c) {
                    let parent = nodes[p].parent;
                    if parent != TOP && parent == node.id.0 {
                        queue.push(p as u32);
                    }
                }
            }
            i += 1;
        }
        start.push(queue.len() as u32);
        let n = queue.len();
        // Subtree sizes, children (later in the queue) before their parent.
        let mut size = vec![1u32; n];
        for i in (0..n).rev() {
            let (from, to) = (start[i] as usize, start[i + 1] as usize);
            size[i] += size[from..to].iter().sum::<u32>();
        }
        // Pre-order positions: the roots one after another, then each node's children from
        // just after it, each after the subtrees of the siblings before it.
        let mut rank = vec![0u32; n];
        let mut next = 0;
        for i in 0..roots {
            rank[i] = next;
            next += size[i];
        }
        for i in 0..n {
            let mut next = rank[i] + 1;
            for j in start[i] as usize..start[i + 1] as usize {
                rank[j] = next;
                next += size[j];
            }
        }
        let mut out = vec![EntryId(0); n];
        for (i, &at) in queue.iter().enumerate() {
            out[rank[i] as usize] = nodes[at as usize].id;
        }
        out
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

/// How many steps ahead [`prefetch`] is used in loops that run through memory out of order.
pub(crate) const PREFETCH_AHEAD: usize = 16;

/// Asks the processor to start loading the cache line at `p` (a hint: never faults, any
/// address will do, a no-op where the target has no stable prefetch instruction).
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch reads nothing the program sees and cannot fault, whatever the
        // address; SSE, which it needs, is part of every x86_64 processor.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The members of a plane and their nodes, found by entry id.
///
/// Nodes sit in a vector in the order they joined; the index from entry id to node is a
/// vector by entry index while the plane is dense (at least a quarter of the ids up to its
/// largest are members: the usual case, and a lookup is one load), and a hash map once it
/// is sparse (fewer than an eighth). Either way the index costs at most 32 bytes per member,
/// and the switch, with that margin between the two thresholds, costs amortised constant
/// time per member.
#[derive(Debug, Clone, Default)]
struct Members {
    nodes: Vec<Node>,
    index: Index,
    /// One more than the largest entry index ever added.
    span: usize,
}

#[derive(Debug, Clone)]
enum Index {
    /// Per entry index: the node's position + 1, or 0 if not a member.
    Dense(Vec<u32>),
    Sparse(HashMap<EntryId, u32, BuildHasherDefault<IdHasher>>),
}

impl Default for Index {
    fn default() -> Self {
        Index::Dense(Vec::new())
    }
}

impl Members {
    fn len(&self) -> usize {
        self.nodes.len()
    }

    fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn position(&self, id: EntryId) -> Option<usize> {
        match &self.index {
            Index::Dense(v) => match v.get(id.index()) {
                Some(&p) if p > 0 => Some(p as usize - 1),
                _ => None,
            },
            Index::Sparse(m) => m.get(&id).map(|&p| p as usize),
        }
    }

    fn get(&self, id: EntryId) -> Option<&Node> {
        self.position(id).map(|p| &self.nodes[p])
    }

    fn get_mut(&mut self, id: EntryId) -> Option<&mut Node> {
        self.position(id).map(|p| &mut self.nodes[p])
    }

    /// Adds `id` with `node` unless it is a member already; whether it was added.
    fn insert_new(&mut self, id: EntryId, node: Node) -> bool {
        if self.position(id).is_some() {
            return false;
        }
        let position = self.nodes.len() as u32;
        self.nodes.push(node);
        self.span = self.span.max(id.index() + 1);
        let members = self.nodes.len();
        match &mut self.index {
            Index::Dense(_) if members.saturating_mul(8) < self.span => self.reindex(false),
            Index::Sparse(_) if members.saturating_mul(4) >= self.span => self.reindex(true),
            Index::Dense(v) => {
                if v.len() < self.span {
                    v.resize(self.span, 0);
                }
                v[id.index()] = position + 1;
            }
            Index::Sparse(m) => {
                m.insert(id, position);
            }
        }
        true
    }

    /// Rebuilds the index, dense or sparse, from the nodes' ids.
    fn reindex(&mut self, dense: bool) {
        let ids = self.nodes.iter().map(|n| n.id);
        self.index = if dense {
            let mut v = vec![0u32; self.span];
            for (p, id) in ids.enumerate() {
                v[id.index()] = p as u32 + 1;
            }
            Index::Dense(v)
        } else {
            let mut m = HashMap::with_capacity_and_hasher(self.nodes.len(), Default::default());
            for (p, id) in ids.enumerate() {
                m.insert(id, p as u32);
            }
            Index::Sparse(m)
        };
    }
}

/// Hashes an [`EntryId`] (a small dense index) with one multiplication: the plane's map is
/// looked up on every step of every walk, where SipHash would cost several times as much.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walked(p: &Plane) -> Vec<EntryId> {
        p.walk().map(|(e, _)| e).collect()
    }

    /// `pre_order` gives what `walk` gives, in its order, where the first-parent rule matters:
    /// several roots, entries under several parents (reached once, under the first), parents
    /// reordered, a top entry that gains a parent, links made twice, and a cycle of first
    /// parents that no root reaches.
    #[test]
    fn pre_order_is_the_walk_in_its_order() {
        let e = EntryId;
        let mut p = Plane::new("P");
        p.add_root(e(10));
        p.add_child(e(10), e(3));
        p.add_child(e(10), e(4));
        p.add_child(e(3), e(5));
        p.add_child(e(4), e(5)); // a second parent: 5 stays under 3
        p.add_child(e(4), e(6));
        p.add_child(e(3), e(5)); // again: kept once
        p.add_child(e(6), e(7));
        p.add_child(e(5), e(8));
        p.add_child(e(7), e(8)); // 8 under 5 first
        p.order_parents(e(8), &[e(7), e(5)]); // now under 7 first
        p.add_root(e(20)); // a second root...
        p.add_child(e(20), e(21));
        p.add_root(e(30));
        p.add_child(e(6), e(30)); // ...and a top entry that gains a parent
        p.add_root(e(40));
        p.add_child(e(40), e(41));
        p.add_child(e(41), e(40)); // 40 and 41: each the other's first parent, no root
        let walk = walked(&p);
        assert_eq!(
            walk,
            [10, 3, 5, 4, 6, 7, 8, 30, 20, 21].map(e),
            "the walk this test is built on"
        );
        assert_eq!(p.pre_order(), walk);
        assert_eq!(Plane::new("empty").pre_order(), []);
    }

    /// Random planes, dense and sparse, with shared entries: the same entries in the same order.
    #[test]
    fn pre_order_matches_the_walk_on_random_planes() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for round in 0..200 {
            let mut p = Plane::new("P");
            let spread = if round % 3 == 0 { 1_000_000 } else { 1 };
            let members = 1 + next(300);
            let id = |i: u64| EntryId((i * spread) as u32);
            for _ in 0..1 + next(3) {
                p.add_root(id(next(members)));
            }
            for _ in 0..members * 2 {
                p.add_child(id(next(members)), id(next(members)));
            }
            assert_eq!(p.pre_order(), walked(&p), "round {round}");
        }
    }

    /// A plane of a few far-apart entries costs what it holds (a hash index), and one that
    /// fills in becomes dense again; links read the same either way.
    #[test]
    fn sparse_and_dense_planes_link_alike() {
        let mut p = Plane::new("P");
        p.add_root(EntryId(4_000_000));
        p.add_child(EntryId(4_000_000), EntryId(7));
        assert!(matches!(p.nodes.index, Index::Sparse(_)));
        assert_eq!(p.parent(EntryId(7)), Some(EntryId(4_000_000)));
        assert_eq!(p.children(EntryId(4_000_000)), &[EntryId(7)]);
        assert!(!p.contains(EntryId(8)));
        for i in 0..2_000_000 {
            if i != 7 {
                p.add_child(EntryId(7), EntryId(i));
            }
        }
        assert!(matches!(p.nodes.index, Index::Dense(_)));
        assert_eq!(p.len(), 2_000_001);
        assert_eq!(p.parent(EntryId(123_456)), Some(EntryId(7)));
        assert_eq!(p.children(EntryId(7)).len(), 1_999_999);
        assert_eq!(p.roots(), &[EntryId(4_000_000)]);
        assert_eq!(p.walk().count(), 2_000_001);
        // Far beyond: sparse again, nothing lost.
        p.add_child(EntryId(5), EntryId(u32::MAX - 2));
        assert!(matches!(p.nodes.index, Index::Sparse(_)));
        assert_eq!(p.parent(EntryId(u32::MAX - 2)), Some(EntryId(5)));
        assert_eq!(p.parent(EntryId(123_456)), Some(EntryId(7)));
        assert_eq!(p.len(), 2_000_002);
    }
}
