//! One plane's tree: parents and ordered children of the entries that sit in it.

use super::{EntryId, Text};
use std::collections::HashMap;

const ABSENT: u32 = u32::MAX;
const TOP: u32 = u32::MAX - 1;

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

    /// Appends `child` to `parent`'s children. The parent joins the plane as a root if it was
    /// not in it. An entry has one parent per plane: if `child` is already in the plane, only
    /// the extra child link is recorded (IOKit allows several parents; the first one wins here).
    pub fn add_child(&mut self, parent: EntryId, child: EntryId) {
        if !self.contains(parent) {
            self.add_root(parent);
        }
        self.slot(child);
        if self.parent[child.index()] == ABSENT {
            self.parent[child.index()] = parent.0;
            self.members += 1;
        }
        self.children[parent.index()].push(child);
    }

    pub fn parent(&self, id: EntryId) -> Option<EntryId> {
        match self.parent.get(id.index()) {
            Some(&p) if p != ABSENT && p != TOP => Some(EntryId(p)),
            _ => None,
        }
    }

    /// Children in order; empty for an entry not in the plane.
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
