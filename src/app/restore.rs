//! Keeping expansion and selection across a refresh: entries are remembered by
//! registry entry ID (stable for the life of the kernel object), falling back to the
//! path in the plane for entries without one (old dumps). The selection is remembered
//! with its path and its ancestors too: a replugged device comes back under a new ID
//! at the same path, and when an entry is gone its nearest surviving ancestor is selected.

use super::state::{State, plane_at};
use super::update::switch_plane;
use crate::registry::{EntryId, Registry};
use std::cell::OnceCell;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Id(u64),
    Path(String),
}

/// What to restore after a reload.
#[derive(Debug, Clone, Default)]
pub(crate) struct Remembered {
    plane: String,
    expanded: Vec<Key>,
    /// The selection, then each ancestor up to the root; each by ID and by path.
    selected: Vec<Vec<Key>>,
    /// Filter mode was on: it is turned on again once the search has run on the new registry.
    pub filtered: bool,
}

fn key_of(registry: &Registry, plane_index: usize, id: EntryId) -> Option<Key> {
    match registry.entry(id).id {
        Some(rid) => Some(Key::Id(rid)),
        None => registry
            .path_in(plane_at(registry, plane_index), id)
            .map(Key::Path),
    }
}

/// Every key `id` can be found again by: its registry ID and its path.
fn keys_of(registry: &Registry, plane_index: usize, id: EntryId) -> Vec<Key> {
    let path = registry.path_in(plane_at(registry, plane_index), id);
    registry
        .entry(id)
        .id
        .map(Key::Id)
        .into_iter()
        .chain(path.map(Key::Path))
        .collect()
}

/// The selection and its ancestors in the plane, nearest first.
fn selection_chain(s: &State) -> Vec<Vec<Key>> {
    let plane = s.plane();
    std::iter::successors(s.selected_entry(), |&id| plane.parent(id))
        .map(|id| keys_of(&s.registry, s.plane, id))
        .collect()
}

/// Remembers the plane, the expanded entries and the selection.
pub(crate) fn remember(s: &State) -> Remembered {
    // In filter mode every match's ancestor is open; what the user opened is the
    // expansion saved when the filter began, and leaving the filter must bring that back.
    let expanded: Vec<EntryId> = match &s.filter_saved {
        Some(saved) => saved
            .iter()
            .enumerate()
            .filter(|(_, e)| **e)
            .map(|(i, _)| EntryId(i as u32))
            .collect(),
        None => s.view.expanded_ids().collect(),
    };
    Remembered {
        plane: s.plane().name().to_string(),
        expanded: expanded
            .into_iter()
            .filter_map(|id| key_of(&s.registry, s.plane, id))
            .collect(),
        selected: selection_chain(s),
        filtered: s.view.is_filtered(),
    }
}

/// Applies what was remembered to a state that just received a new registry.
pub(crate) fn restore(s: &mut State, keys: &Remembered) {
    let wanted = s.registry.plane_index(&keys.plane).unwrap_or(s.plane);
    let by_id: HashMap<u64, EntryId> = s
        .registry
        .entries()
        .filter_map(|(id, e)| e.id.map(|rid| (rid, id)))
        .collect();
    // Paths cost a walk of the plane: built only when an ID does not answer.
    let by_path: OnceCell<HashMap<String, EntryId>> = OnceCell::new();
    let paths = || {
        by_path.get_or_init(|| {
            let plane = plane_at(&s.registry, wanted);
            plane
                .walk()
                .filter_map(|(id, _)| s.registry.path_in(plane, id).map(|p| (p, id)))
                .collect()
        })
    };
    let find = |k: &Key| match k {
        Key::Id(rid) => by_id.get(rid).copied(),
        Key::Path(p) => paths().get(p).copied(),
    };
    let open: Vec<EntryId> = keys.expanded.iter().filter_map(&find).collect();
    let selected = keys
        .selected
        .iter()
        .find_map(|alternatives| alternatives.iter().find_map(&find));
    s.view.mark_expanded(open);
    switch_plane(s, wanted);
    if let Some(id) = selected {
        s.select_entry(id);
    }
}
