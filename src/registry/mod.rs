//! The registry model: an arena of entries shared by every source.
//!
//! Every reader (text, `ioreg -a` plist, IORegistryExplorer document), the walker
//! over the IOKit seam (live or simulated) and every writer speak this one model.
//! Entries live in a `Vec` and are named by [`EntryId`] indices, so building and
//! walking a registry of a million entries needs no reference counting; class
//! names are interned once in a `ClassTable`; planes keep their own parent and
//! child links so that one entry can sit in several planes.

mod class;
mod entry;
pub mod escape;
mod lazy;
pub mod limits;
mod meta;
mod path;
mod plane;
pub mod stats;
mod text;
mod value;

pub(crate) use class::{ClassId, ClassTable};
pub use entry::{Entry, EntryId, ServiceInfo, ServiceState};
pub use lazy::{EntryProperties, PropertySource, Span, Unavailable, unavailable_reads};
pub(crate) use limits::Budget;
pub use limits::{LimitExceeded, Limits};
pub(crate) use meta::LoadReport;
pub use meta::{HeaderStyle, Origin, TextDialect, Truncation};
pub(crate) use path::PathError;
pub(crate) use plane::{Link, PREFETCH_AHEAD, Plane, prefetch};
pub use text::Text;
pub(crate) use text::str_from_utf8;
#[cfg(test)]
pub(crate) use value::CF_EPOCH_UNIX;
pub(crate) use value::{Civil, parse_creator};
pub use value::{Date, IntRadix, Integer, Properties, Value};

/// The name of the synthetic node that holds a plane's unattached entries.
pub const UNATTACHED: &str = "unattached entries";

/// A whole I/O Registry: entries, the planes they sit in, and where it came from.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: Vec<Entry>,
    planes: Vec<Plane>,
    /// Interned class names and the superclass of each class, when known.
    pub classes: ClassTable,
    /// What read this registry and what it noticed while reading.
    pub report: LoadReport,
    /// Some properties were left in the file they were read from (see [`EntryProperties`]).
    deferred: bool,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry that sits in no plane yet and returns its id.
    pub fn add_entry(&mut self, entry: Entry) -> EntryId {
        let id = EntryId(u32::try_from(self.entries.len()).expect("more than 4 billion entries"));
        self.entries.push(entry);
        id
    }

    /// Keeps the entries whose `keep` flag is set, in order, and returns each old index's new
    /// id (an index dropped maps to where the next kept one went: callers map dropped entries
    /// to kept ones first). For readers, before any entry is linked into a plane.
    pub(crate) fn drop_entries(&mut self, keep: &[bool]) -> Vec<EntryId> {
        debug_assert!(self.planes.iter().all(Plane::is_empty));
        let mut next = 0u32;
        let new_index = keep
            .iter()
            .map(|&k| {
                let id = EntryId(next);
                next += u32::from(k);
                id
            })
            .collect();
        let mut i = 0;
        self.entries.retain(|_| {
            i += 1;
            keep.get(i - 1).copied().unwrap_or(true)
        });
        new_index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, id: EntryId) -> &Entry {
        &self.entries[id.index()]
    }

    pub fn entry_mut(&mut self, id: EntryId) -> &mut Entry {
        &mut self.entries[id.index()]
    }

    /// All entries with their ids, in the order they were added.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (EntryId, &Entry)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (EntryId(i as u32), e))
    }

    pub(crate) fn entries_mut(&mut self) -> impl Iterator<Item = &mut Entry> + '_ {
        self.entries.iter_mut()
    }

    pub fn planes(&self) -> &[Plane] {
        &self.planes
    }

    pub fn plane(&self, name: &str) -> Option<&Plane> {
        self.planes.iter().find(|p| p.name() == name)
    }

    pub fn plane_index(&self, name: &str) -> Option<usize> {
        self.planes.iter().position(|p| p.name() == name)
    }

    /// The plane with this name, created (empty, after the others) if missing.
    pub fn plane_mut(&mut self, name: &str) -> &mut Plane {
        let index = match self.plane_index(name) {
            Some(i) => i,
            None => {
                self.planes.push(Plane::new(name));
                self.planes.len() - 1
            }
        };
        &mut self.planes[index]
    }

    /// Finds the first entry with this registry entry ID.
    pub(crate) fn find_by_id(&self, registry_id: u64) -> Option<EntryId> {
        self.entries()
            .find(|(_, e)| e.id == Some(registry_id))
            .map(|(id, _)| id)
    }

    /// The class name of an entry, if known.
    pub fn class_name(&self, id: EntryId) -> Option<&str> {
        self.entry(id).class.map(|c| self.classes.name(c))
    }

    /// The entry's class and its superclasses, leaf first (`IOUSBHostDevice`, `IOService`,
    /// `IORegistryEntry`), as far as the registry knows them.
    pub fn class_chain(&self, id: EntryId) -> Vec<&str> {
        match self.entry(id).class {
            Some(c) => self
                .classes
                .chain(c)
                .map(|c| self.classes.name(c))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The entry's name in `plane` (a plane may rename an entry).
    pub fn name_in<'a>(&'a self, plane: &'a Plane, id: EntryId) -> &'a Text {
        plane.name_override(id).unwrap_or(&self.entry(id).name)
    }

    /// The entry's location in `plane`, if it has one there.
    pub fn location_in<'a>(&'a self, plane: &'a Plane, id: EntryId) -> Option<&'a Text> {
        match plane.location_override(id) {
            Some(loc) => loc.as_ref(),
            None => self.entry(id).location.as_ref(),
        }
    }

    /// `name@location` as `ioreg` prints it on a tree line.
    pub fn label_in(&self, plane: &Plane, id: EntryId) -> String {
        let mut s = self.name_in(plane, id).to_string_lossy().into_owned();
        if let Some(loc) = self.location_in(plane, id) {
            s.push('@');
            s.push_str(&loc.to_string_lossy());
        }
        s
    }

    /// Whether this entry is the registry root (`Root`, class `IORegistryEntry`, no parent).
    pub fn is_registry_root(&self, id: EntryId) -> bool {
        let e = self.entry(id);
        self.planes.iter().all(|p| p.parent(id).is_none())
            && (e.is_root
                || (e.name.as_bytes() == b"Root" && self.class_name(id) == Some("IORegistryEntry")))
    }

    /// Gathers, in each plane that has the registry root, every other top entry (an entry
    /// whose parent the source lacks) under one synthetic node named [`UNATTACHED`], so that
    /// they are never taken for roots. Returns how many entries were gathered.
    pub(crate) fn gather_unattached(&mut self) -> usize {
        let mut gathered = 0;
        for index in 0..self.planes.len() {
            let plane = &self.planes[index];
            let has_root = plane.roots().iter().any(|&r| self.is_registry_root(r));
            let loose: Vec<EntryId> = plane
                .roots()
                .iter()
                .copied()
                .filter(|&r| !self.is_registry_root(r) && !self.entry(r).synthetic)
                .collect();
            if !has_root || loose.is_empty() {
                continue;
            }
            gathered += loose.len();
            let node = self.add_entry(Entry {
                synthetic: true,
                ..Entry::named(UNATTACHED)
            });
            let plane = &mut self.planes[index];
            plane.add_root(node);
            for e in loose {
                let _ = plane.add_child(node, e);
            }
        }
        self.report.unattached += gathered;
        gathered
    }

    /// Orders the parents of every entry with several by age, oldest first, for sources that
    /// do not record the kernel's order (`ioreg` text and archives print an entry under each
    /// parent in tree order, which is not the order it was attached in). The kernel's first
    /// parent is the one the entry was attached to when it was created, so it is older than
    /// the entry; registry entry IDs grow with creation, so the oldest parent is taken as the
    /// first (IONetworkStack and IOHIDSystem: IOResources, as `.ioreg` documents record it).
    /// Parents without an ID keep their place after those with one.
    pub(crate) fn order_parents_by_age(&mut self) {
        for index in 0..self.planes.len() {
            let multi: Vec<(EntryId, Vec<EntryId>)> = {
                let plane = &self.planes[index];
                plane
                    .walk()
                    .filter_map(|(e, _)| {
                        let mut ps: Vec<EntryId> = plane.parents(e).collect();
                        if ps.len() < 2 {
                            return None;
                        }
                        ps.sort_by_key(|&p| self.entry(p).id.unwrap_or(u64::MAX));
                        Some((e, ps))
                    })
                    .collect()
            };
            for (e, order) in multi {
                self.planes[index].order_parents(e, &order);
            }
        }
    }

    /// Entries that are real registry entries (not the synthetic unattached node).
    pub fn entry_count(&self) -> usize {
        self.entries.iter().filter(|e| !e.synthetic).count()
    }

    /// Total number of properties on all entries (top level only).
    pub fn property_count(&self) -> usize {
        self.entries.iter().map(|e| e.properties.len()).sum()
    }
}

#[cfg(test)]
mod tests;
