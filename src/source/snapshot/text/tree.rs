//! Building planes from the trees of a dump.
//!
//! A dump holds one or more *segments*: runs of trees that belong to one plane. A line such
//! as `IODeviceTree:` starts a new segment and names its plane. A segment without such a
//! line is given a plane by [`infer_plane`]. Entries are buffered per segment and added to
//! the registry when the segment ends, so that an entry met again in a later plane (same
//! registry entry ID) becomes one entry sitting in both planes.

use crate::registry::{Entry, EntryId, Registry};
use std::collections::HashMap;

/// An entry read from a tree line, and its parent (an index into the same segment).
#[derive(Debug)]
pub(super) struct Pending {
    pub entry: Entry,
    pub parent: Option<usize>,
}

#[derive(Debug, Default)]
pub(super) struct Segment {
    /// The plane named by a header line (`IOService:`), if any.
    pub plane: Option<String>,
    pub nodes: Vec<Pending>,
}

/// The plane of a segment that has no header line.
///
/// `ioreg -p IODeviceTree` shows the platform expert device under Root by its device-tree
/// name, `/` (older systems) or `device-tree` (Apple silicon); in the IOService plane it is
/// named after the model (`MacBookPro16,1`, `J313AP`). So: Root's first child named `/` or
/// `device-tree` means IODeviceTree; anything else (including `-r` subtrees with no Root)
/// means IOService, `ioreg`'s default plane.
pub(super) fn infer_plane(nodes: &[Pending]) -> &'static str {
    let root = nodes
        .iter()
        .position(|n| n.parent.is_none() && n.entry.is_root);
    let first_child = root.and_then(|r| nodes.iter().find(|n| n.parent == Some(r)));
    match first_child.map(|n| n.entry.name.as_bytes()) {
        Some(b"/" | b"device-tree") => "IODeviceTree",
        _ => "IOService",
    }
}

/// Adds a finished segment's entries to the registry, in its plane.
pub(super) fn flush(segment: Segment, registry: &mut Registry, by_id: &mut HashMap<u64, EntryId>) {
    if segment.nodes.is_empty() {
        return;
    }
    let plane = match segment.plane {
        Some(p) => p,
        None => infer_plane(&segment.nodes).to_owned(),
    };
    registry.plane_mut(&plane);
    let mut ids: Vec<EntryId> = Vec::with_capacity(segment.nodes.len());
    for node in segment.nodes {
        let id = place(node.entry, &plane, registry, by_id);
        let parent = node.parent.and_then(|p| ids.get(p).copied());
        let plane = registry.plane_mut(&plane);
        match parent {
            Some(p) => plane.add_child(p, id),
            None => plane.add_root(id),
        }
        ids.push(id);
    }
}

/// The registry entry for a node: an existing one with the same registry entry ID that sits
/// in another plane (names and locations that differ become overrides), or a new one.
fn place(
    entry: Entry,
    plane: &str,
    registry: &mut Registry,
    by_id: &mut HashMap<u64, EntryId>,
) -> EntryId {
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
