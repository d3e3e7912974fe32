//! One plane's tree: parents and ordered children of the entries that sit in it.

use super::{EntryId, Text};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const TOP: u32 = u32::MAX;

/// One member of a plane: its parent (`TOP` for a root) and its children in order.
#[derive(Debug, Clone)]
struct Node {
    parent: u32,
    children: Vec<EntryId>,
}

/// A registry plane (`IOService`, `IODeviceTree`, …). Entries are linked by index; only
/// the plane's members have a node here, so a plane costs memory in proportion to its own
/// members, however many entries the registry holds (a dump naming 20,000 planes of one
/// entry each once cost planes × entries).
#[derive(Debug, Clone, Default)]
pub struct Plane {
    name: Box<str>,
    /// Entries with no parent in this plane, in order (usually just `Root`).
    roots: Vec<EntryId>,
    nodes: HashMap<EntryId, Node, BuildHasherDefault<IdHasher>>,
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
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn contains(&self, id: EntryId) -> bool {
        self.nodes.contains_key(&id)
    }

    /// Adds `id` as a top-level entry of the plane. Does nothing if it is already in the plane.
    pub fn add_root(&mut self, id: EntryId) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.nodes.entry(id) {
            slot.insert(Node {
                parent: TOP,
                children: Vec::new(),
            });
            self.roots.push(id);
        }
    }

    /// Appends `child` to `parent`'s children. The parent joins the plane as a root if it was
    /// not in it. An entry has one parent per plane: if `child` is already in the plane, only
    /// the extra child link is recorded (IOKit allows several parents; the first one wins here).
    pub fn add_child(&mut self, parent: EntryId, child: EntryId) {
        if !self.contains(parent) {
            self.add_root(parent);
        }
        if self.nodes.get(&child).is_some_and(|n| n.parent == parent.0) {
            // The same link again: kept once (a document listing one child many times per
            // level would make every walk exponential).
            return;
        }
        self.nodes.entry(child).or_insert(Node {
            parent: parent.0,
            children: Vec::new(),
        });
        if let Some(node) = self.nodes.get_mut(&parent) {
            node.children.push(child);
        }
    }

    pub fn parent(&self, id: EntryId) -> Option<EntryId> {
        match self.nodes.get(&id) {
            Some(n) if n.parent != TOP => Some(EntryId(n.parent)),
            _ => None,
        }
    }

    /// Children in order; empty for an entry not in the plane.
    pub fn children(&self, id: EntryId) -> &[EntryId] {
        self.nodes.get(&id).map_or(&[], |n| n.children.as_slice())
    }

    /// Depth below the top of the plane (a root is 0).
    pub fn depth(&self, id: EntryId) -> usize {
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

    /// Every entry of the plane in tree (pre-)order, with its depth.
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
