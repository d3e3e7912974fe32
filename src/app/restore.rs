//! Keeping expansion and selection across a refresh: entries are remembered by
//! registry entry ID (stable for the life of the kernel object), falling back to the
//! path in the plane for entries without one (old dumps).

use super::state::{State, plane_at};
use super::update::switch_plane;
use crate::registry::{EntryId, Registry};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Id(u64),
    Path(String),
}

/// What to restore after a reload.
#[derive(Debug, Clone, Default)]
pub struct Remembered {
    plane: String,
    expanded: Vec<Key>,
    selected: Option<Key>,
}

fn key_of(registry: &Registry, plane_index: usize, id: EntryId) -> Option<Key> {
    match registry.entry(id).id {
        Some(rid) => Some(Key::Id(rid)),
        None => registry
            .path_in(plane_at(registry, plane_index), id)
            .map(Key::Path),
    }
}

/// Remembers the plane, the expanded entries and the selection.
pub fn remember(s: &State) -> Remembered {
    let expanded = s
        .view
        .expanded_ids()
        .filter_map(|id| key_of(&s.registry, s.plane, id))
        .collect();
    Remembered {
        plane: s.plane().name().to_string(),
        expanded,
        selected: s
            .selected_entry()
            .and_then(|id| key_of(&s.registry, s.plane, id)),
    }
}

/// Applies what was remembered to a state that just received a new registry.
pub fn restore(s: &mut State, keys: &Remembered) {
    let wanted = s.registry.plane_index(&keys.plane).unwrap_or(s.plane);
    let by_id: HashMap<u64, EntryId> = s
        .registry
        .entries()
        .filter_map(|(id, e)| e.id.map(|rid| (rid, id)))
        .collect();
    let needs_paths = keys
        .expanded
        .iter()
        .chain(&keys.selected)
        .any(|k| matches!(k, Key::Path(_)));
    let by_path: HashMap<String, EntryId> = if needs_paths {
        let plane = plane_at(&s.registry, wanted);
        plane
            .walk()
            .filter_map(|(id, _)| s.registry.path_in(plane, id).map(|p| (p, id)))
            .collect()
    } else {
        HashMap::new()
    };
    let find = |k: &Key| match k {
        Key::Id(rid) => by_id.get(rid).copied(),
        Key::Path(p) => by_path.get(p).copied(),
    };
    let open: Vec<EntryId> = keys.expanded.iter().filter_map(find).collect();
    s.view.mark_expanded(open);
    switch_plane(s, wanted);
    if let Some(id) = keys.selected.as_ref().and_then(find) {
        s.select_entry(id);
    }
}
