//! The handle table: one held handle (a send right) per visited registry entry.
//!
//! Accounting rule: `Handle::held` is the number of user references *we* own on the
//! name. Every reference IOKit hands us (`IOIteratorNext`, a lookup, a notification)
//! is one more uref on the same name while we hold it, so the table gives back the
//! extras at once and keeps exactly one per entry; the handle lab changes `held` with
//! each successful `IOObjectRetain` (+1), `IOObjectRelease` (−1) and obtain (+1).
//! Dropping the table releases each name `held` times — exactly what it owns, no more
//! (a right pegged at 65535 urefs is not decremented by xnu, so it stays pegged).
//! The table is keyed by registry entry ID, so handles survive re-walks (same names);
//! [`HandleTable::bind`] maps the current registry's `EntryId`s onto it.

use super::{IoKit, KernReturn, Port};
use crate::registry::EntryId;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A send right we hold on one registry entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    pub port: Port,
    pub registry_id: u64,
    /// User references we own on `port` (0 once released to zero: the handle is stale).
    pub held: u32,
    /// The last failing call on this handle and its code.
    pub last_error: Option<(String, KernReturn)>,
}

/// Every handle we hold, released on drop.
pub(crate) struct HandleTable<K: IoKit + ?Sized> {
    kit: Arc<K>,
    by_id: HashMap<u64, Handle>,
    /// Current registry: `EntryId` index → registry ID.
    entries: Vec<Option<u64>>,
}

impl<K: IoKit + ?Sized> HandleTable<K> {
    pub(crate) fn new(kit: Arc<K>) -> Self {
        HandleTable {
            kit,
            by_id: HashMap::new(),
            entries: Vec::new(),
        }
    }

    pub(crate) fn kit(&self) -> &K {
        &self.kit
    }

    pub(crate) fn kit_arc(&self) -> &Arc<K> {
        &self.kit
    }

    /// Takes ownership of one reference on `port` for the entry `registry_id`. If we
    /// already hold that name, the extra uref is given back at once; a stale handle
    /// (released or dead) is replaced by the fresh name.
    pub(crate) fn adopt(&mut self, registry_id: u64, port: Port) {
        match self.by_id.get_mut(&registry_id) {
            Some(h) if h.port == port && h.held > 0 => {
                let code = self.kit.object_release(port);
                if !code.is_success() {
                    h.last_error = Some(("IOObjectRelease".into(), code));
                }
            }
            Some(h) => {
                let old = std::mem::replace(
                    h,
                    Handle {
                        port,
                        registry_id,
                        held: 1,
                        last_error: None,
                    },
                );
                release_held(&*self.kit, &old);
            }
            None => {
                self.by_id.insert(
                    registry_id,
                    Handle {
                        port,
                        registry_id,
                        held: 1,
                        last_error: None,
                    },
                );
            }
        }
    }

    /// The walker's version of [`adopt`](Self::adopt): a handle the user released to zero in
    /// the lab stays released. The kernel never revives a freed name (a name reused later
    /// carries a new generation, rules §2), so neither does a re-walk: the walk's fresh
    /// reference is given back at once and the handle stays stale until the user obtains
    /// the entry again (`o`). Dead names never reach here: their entries are gone from the walk.
    pub(crate) fn adopt_walked(&mut self, registry_id: u64, port: Port) {
        match self.by_id.get_mut(&registry_id) {
            Some(h) if h.held == 0 => {
                let code = self.kit.object_release(port);
                if !code.is_success() {
                    h.last_error = Some(("IOObjectRelease".into(), code));
                }
            }
            _ => self.adopt(registry_id, port),
        }
    }

    /// Releases the handles of entries not in `seen` (they vanished since the last walk).
    pub(crate) fn release_except(&mut self, seen: &HashSet<u64>) {
        let gone: Vec<u64> = self
            .by_id
            .keys()
            .filter(|id| !seen.contains(id))
            .copied()
            .collect();
        for id in gone {
            if let Some(h) = self.by_id.remove(&id) {
                release_held(&*self.kit, &h);
            }
        }
    }

    /// Maps the current registry's entries (index = `EntryId`) to registry IDs.
    pub(crate) fn bind(&mut self, entries: Vec<Option<u64>>) {
        self.entries = entries;
    }

    pub(crate) fn registry_id(&self, entry: EntryId) -> Option<u64> {
        self.entries.get(entry.index()).copied().flatten()
    }

    pub(crate) fn get(&self, entry: EntryId) -> Option<&Handle> {
        self.by_id.get(&self.registry_id(entry)?)
    }

    pub(crate) fn get_mut(&mut self, entry: EntryId) -> Option<&mut Handle> {
        let id = self.registry_id(entry)?;
        self.by_id.get_mut(&id)
    }

    #[cfg(test)]
    pub(crate) fn by_registry_id(&self, registry_id: u64) -> Option<&Handle> {
        self.by_id.get(&registry_id)
    }

    /// Current entries that have a handle, in entry order.
    pub(crate) fn entry_ids(&self) -> Vec<EntryId> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, id)| id.is_some_and(|id| self.by_id.contains_key(&id)))
            .map(|(i, _)| EntryId(i as u32))
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }
}

/// Gives back the references a handle owns; stops at the first failure (name gone).
fn release_held<K: IoKit + ?Sized>(kit: &K, h: &Handle) {
    for _ in 0..h.held {
        if !kit.object_release(h.port).is_success() {
            break;
        }
    }
}

impl<K: IoKit + ?Sized> Drop for HandleTable<K> {
    fn drop(&mut self) {
        for h in self.by_id.values() {
            release_held(&*self.kit, h);
        }
    }
}
