//! Building planes from the trees of a dump.
//!
//! A dump holds one or more *segments*: runs of trees that belong to one plane. A line such
//! as `IODeviceTree:` starts a new segment and names its plane. A segment without such a
//! line is given a plane by [`infer_plane`]. Entries are buffered per segment and added to
//! the registry when the segment ends, so that an entry met again in a later plane (same
//! registry entry ID) becomes one entry sitting in both planes.

use super::ReadError;
use crate::registry::{ClassId, Entry, EntryId, Link, Registry};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

/// Registry entry ID → the entry read for it.
pub(super) type IdMap = HashMap<u64, EntryId, IdHash>;

/// Hashes registry entry IDs with one seeded multiply that folds the 128-bit product, instead
/// of SipHash (a fifth of the final flush). The seed comes from std's random keys, so IDs
/// crafted to collide cannot be written in advance.
#[derive(Clone)]
pub(super) struct IdHash(u64);

impl Default for IdHash {
    fn default() -> Self {
        IdHash(RandomState::new().hash_one(0x6f69_7363_6f70_6521_u64) | 1)
    }
}

impl BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher {
            seed: self.0,
            hash: 0,
        }
    }
}

pub(super) struct IdHasher {
    seed: u64,
    hash: u64,
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.hash
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, id: u64) {
        let m = u128::from(id ^ self.hash ^ self.seed) * u128::from(0x9e37_79b9_7f4a_7c15_u64);
        self.hash = (m as u64) ^ ((m >> 64) as u64);
    }
}

/// An entry read from a tree line, and its parent (an index into the same segment).
#[derive(Debug)]
pub(super) struct Pending {
    pub entry: Entry,
    pub parent: Option<usize>,
    /// The tree line's 1-based number.
    pub line: usize,
}

#[derive(Debug, Default)]
pub(super) struct Segment {
    /// The plane named by a header line (`IOService:`), if any.
    pub plane: Option<String>,
    pub nodes: Vec<Pending>,
}

/// The nodes of a later chunk of a chunked read (see `super::chunked`), numbered as that
/// chunk numbered them: the first `placeholders` stand for the entries open above the
/// chunk's first line (`outer`, by depth, numbered in the whole segment), the others follow
/// the nodes before them from `base` on. Classes are the chunk's own, mapped to the
/// registry's by `classes`.
#[derive(Debug)]
pub(super) struct Later {
    pub nodes: Vec<Pending>,
    pub placeholders: usize,
    pub outer: Vec<usize>,
    pub base: usize,
    pub classes: Vec<ClassId>,
}

impl Later {
    /// The index in the whole segment of the chunk's node `i`.
    pub fn place(&self, i: usize) -> usize {
        place_in(&self.outer, self.placeholders, self.base, i)
    }

    /// How many entries the chunk read (its placeholders aside).
    pub fn len(&self) -> usize {
        self.nodes.len() - self.placeholders
    }

    /// Each entry's parent (numbered in the whole segment) and the entry, in order.
    pub fn links(&self) -> impl Iterator<Item = (Option<usize>, &Entry)> {
        self.nodes[self.placeholders..]
            .iter()
            .map(|n| (n.parent.map(|p| self.place(p)), &n.entry))
    }

    /// The chunk's nodes numbered as the whole segment numbers them.
    pub fn into_nodes(self) -> impl Iterator<Item = Pending> {
        let Later {
            nodes,
            placeholders,
            outer,
            base,
            classes,
        } = self;
        nodes.into_iter().skip(placeholders).map(move |mut node| {
            node.parent = node.parent.map(|p| place_in(&outer, placeholders, base, p));
            node.entry.class = node
                .entry
                .class
                .map(|c| classes.get(c.0 as usize).copied().unwrap_or(c));
            node
        })
    }
}

fn place_in(outer: &[usize], placeholders: usize, base: usize, i: usize) -> usize {
    match outer.get(i) {
        Some(&o) if i < placeholders => o,
        _ => base + i - placeholders,
    }
}

/// The plane of a segment that has no header line.
///
/// `ioreg -p IODeviceTree` shows the platform expert device under Root by its device-tree
/// name, `/` (older systems) or `device-tree` (Apple silicon); in the IOService plane it is
/// named after the model (`MacBookPro16,1`, `J313AP`). So: Root's first child named `/` or
/// `device-tree` means IODeviceTree; anything else (including `-r` subtrees with no Root)
/// means IOService, `ioreg`'s default plane.
pub(super) fn infer_plane(nodes: &[Pending]) -> &'static str {
    let mut guess = PlaneGuess::default();
    guess.see(nodes.iter().map(|n| (n.parent, &n.entry)));
    guess.at_end()
}

/// [`infer_plane`] as a segment's nodes come, batch by batch: known as soon as Root's
/// first child has come (nothing after it can change the answer).
#[derive(Debug, Default)]
pub(super) struct PlaneGuess {
    seen: usize,
    root: Option<usize>,
    answer: Option<&'static str>,
}

impl PlaneGuess {
    /// The next nodes: each one's parent (numbered in the segment) and entry.
    pub fn see<'e>(&mut self, links: impl Iterator<Item = (Option<usize>, &'e Entry)>) {
        for (parent, entry) in links {
            let i = self.seen;
            self.seen += 1;
            match self.root {
                _ if self.answer.is_some() => {}
                None if parent.is_none() && entry.is_root => self.root = Some(i),
                Some(r) if parent == Some(r) => {
                    self.answer = Some(match entry.name.as_bytes() {
                        b"/" | b"device-tree" => "IODeviceTree",
                        _ => "IOService",
                    });
                }
                _ => {}
            }
        }
    }

    /// The plane, once the nodes seen decide it.
    pub fn known(&self) -> Option<&'static str> {
        self.answer
    }

    /// The plane when no more nodes come.
    pub fn at_end(&self) -> &'static str {
        self.answer.unwrap_or("IOService")
    }
}

/// What merging repeated appearances found, for the load report.
#[derive(Debug, Default)]
pub(super) struct Merged {
    /// Tree lines that repeat an entry already shown in the same plane (same registry
    /// entry ID): `ioreg` prints an entry with several parents under each of them.
    pub appearances: usize,
    /// A parent listing the same child twice (kept once).
    pub duplicate_links: usize,
}

/// Adds a finished segment's entries to the registry, in its plane.
///
/// A tree line whose registry entry ID was already met in this plane is the same entry
/// under another parent: it becomes one more parent link of that entry, and the subtree
/// printed again below it (`ioreg` prints the whole subtree under each parent) is matched
/// to the entries already read. Dumps without IDs cannot be merged: each line stays its
/// own entry. A link that would make an entry its own ancestor is refused.
pub(super) fn flush(
    segment: Segment,
    registry: &mut Registry,
    by_id: &mut IdMap,
    merged: &mut Merged,
) -> Result<(), ReadError> {
    if segment.nodes.is_empty() {
        return Ok(());
    }
    let plane = match segment.plane {
        Some(p) => p,
        None => infer_plane(&segment.nodes).to_owned(),
    };
    let mut flusher = Flusher::new(plane, segment.nodes.len(), registry, by_id);
    for node in segment.nodes {
        flusher.add(node, registry, by_id, merged)?;
    }
    Ok(())
}

/// [`flush`] node by node: a chunked read flushes each chunk's nodes as they come.
pub(super) struct Flusher {
    plane: String,
    /// Per node of the segment so far: its entry, its parent (a node), and whether it is a
    /// repeated appearance or inside the subtree printed again below one (whose links are
    /// known already).
    ids: Vec<EntryId>,
    parents: Vec<Option<usize>>,
    echo: Vec<bool>,
}

impl Flusher {
    /// For a segment of about `n` nodes in `plane`.
    pub fn new(plane: String, n: usize, registry: &mut Registry, by_id: &mut IdMap) -> Self {
        registry.plane_mut(&plane);
        by_id.reserve(n);
        Flusher {
            plane,
            ids: Vec::with_capacity(n),
            parents: Vec::with_capacity(n),
            echo: Vec::with_capacity(n),
        }
    }

    /// Adds the segment's next node.
    pub fn add(
        &mut self,
        node: Pending,
        registry: &mut Registry,
        by_id: &mut IdMap,
        merged: &mut Merged,
    ) -> Result<(), ReadError> {
        let Flusher {
            plane,
            ids,
            parents,
            echo,
        } = self;
        let plane: &str = plane;
        let parent = node.parent.filter(|&p| p < ids.len());
        let line = node.line;
        let repeat = node
            .entry
            .id
            .and_then(|i| by_id.get(&i).copied())
            .filter(|&e| registry.plane(plane).is_some_and(|p| p.contains(e)));
        let in_echo = parent.is_some_and(|p| echo[p]);
        // Inside a subtree printed again, a line that shows no ID (clipped at the terminal
        // width, or cut short) is the entry printed at the same place the first time: the
        // child of the same parent with the same name and location, and no ID either.
        let repeat = repeat.or_else(|| {
            let p = parent.filter(|_| in_echo && node.entry.id.is_none())?;
            echoed_child(registry, plane, ids[p], &node.entry)
        });
        let id = match repeat {
            Some(existing) => {
                merged.appearances += 1;
                if let Some(p) = parent
                    && is_ancestor(existing, p, ids, parents)
                {
                    return Err(ReadError::line(
                        line,
                        format!(
                            "entry {} (id {:#x}) is listed below itself in {plane}",
                            registry.entry(existing).name,
                            registry.entry(existing).id.unwrap_or(0)
                        ),
                    ));
                }
                existing
            }
            None => place(node.entry, plane, registry, by_id),
        };
        let plane = registry.plane_mut(plane);
        match parent {
            Some(p) => {
                if plane.add_child(ids[p], id) == Link::Again && !in_echo {
                    merged.duplicate_links += 1;
                }
            }
            None => plane.add_root(id),
        }
        ids.push(id);
        parents.push(parent);
        echo.push(in_echo || repeat.is_some());
        Ok(())
    }
}

/// The child of `parent` in `plane` that `entry` (a line without an ID inside a repeated
/// subtree) repeats: same name and location, no ID.
fn echoed_child(
    registry: &Registry,
    plane: &str,
    parent: EntryId,
    entry: &Entry,
) -> Option<EntryId> {
    let p = registry.plane(plane)?;
    p.children(parent).iter().copied().find(|&c| {
        let e = registry.entry(c);
        e.id.is_none() && e.name == entry.name && e.location == entry.location
    })
}

/// Whether `entry` is the node at `index` or one of its ancestors in the segment.
fn is_ancestor(entry: EntryId, index: usize, ids: &[EntryId], parents: &[Option<usize>]) -> bool {
    let mut cur = Some(index);
    while let Some(i) = cur {
        if ids[i] == entry {
            return true;
        }
        cur = parents[i];
    }
    false
}

/// The registry entry for a node: an existing one with the same registry entry ID that sits
/// in another plane (names and locations that differ become overrides), or a new one.
fn place(entry: Entry, plane: &str, registry: &mut Registry, by_id: &mut IdMap) -> EntryId {
    let existing = entry.id.and_then(|i| by_id.get(&i).copied());
    if let Some(existing) = existing {
        let in_plane = registry.plane(plane).is_some_and(|p| p.contains(existing));
        if !in_plane {
            let old = registry.entry(existing);
            let name = (old.name != entry.name).then(|| entry.name.clone());
            let location = (old.location != entry.location).then(|| entry.location.clone());
            if old.properties.is_empty() && !entry.properties.is_empty() {
                registry.entry_mut(existing).properties = entry.properties;
            }
            let p = registry.plane_mut(plane);
            if let Some(name) = name {
                p.set_name_override(existing, name);
            }
            if let Some(location) = location {
                p.set_location_override(existing, location);
            }
            return existing;
        }
    }
    let registry_id = entry.id;
    let id = registry.add_entry(entry);
    if let Some(r) = registry_id {
        by_id.entry(r).or_insert(id);
    }
    id
}
