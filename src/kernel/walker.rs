//! The walker: builds a [`Registry`] plane by plane through the [`IoKit`] seam only,
//! the way `ioreg` does (root entry, child iterators, `IOIteratorNext`).
//!
//! Every reference it receives goes either to the [`HandleTable`] (one held handle per
//! entry) or straight back (`IOObjectRelease`): iterators are released after use on
//! every path. A failing call on one entry is recorded on that entry (a line in the
//! [`LoadReport`](crate::registry::LoadReport) warnings) and does not stop the walk.
//! An entry met in several planes is one entry (matched by registry entry ID).

use super::handles::HandleTable;
use super::{IoKit, KernReturn, Port};
use crate::kernel::session::WalkProgress;
use crate::registry::{
    ClassId, Entry, EntryId, Origin, Registry, ServiceInfo, ServiceState, Text, Value,
};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when the process is asked to end (SIGTERM, SIGHUP): every walk in progress stops at
/// its next entry, giving back what it holds, instead of finishing a walk nobody will see.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// Stops every walk in progress (and every later one): the process is ending.
pub(crate) fn cancel_walks() {
    CANCEL.store(true, Ordering::Relaxed);
}

/// `KERN_ABORTED`: what a cancelled walk returns.
pub(crate) const ABORTED: KernReturn = KernReturn(0xe);

/// Planes walked when the root does not list them (`IORegistryPlanes`).
pub(crate) const DEFAULT_PLANES: &[&str] = &["IOService", "IODeviceTree", "IOPower", "IOUSB"];

/// Progress is reported every this many entries.
const PROGRESS_EVERY: usize = 64;

struct Walk<'a, K: IoKit + ?Sized> {
    table: &'a mut HandleTable<K>,
    registry: Registry,
    by_id: HashMap<u64, EntryId>,
    seen_ids: HashSet<u64>,
    resolved_classes: HashSet<ClassId>,
    progress: &'a mut dyn FnMut(WalkProgress),
    plane_no: usize,
    planes: usize,
    cancel: &'a AtomicBool,
}

/// Walks every plane. The handle table keeps one handle per entry; handles of entries
/// that vanished since the last walk are released. Fails only if the root cannot be had.
pub(crate) fn walk<K: IoKit + ?Sized>(
    table: &mut HandleTable<K>,
    origin: Origin,
    progress: &mut dyn FnMut(WalkProgress),
) -> Result<Registry, KernReturn> {
    walk_until(table, origin, progress, &CANCEL)
}

/// [`walk`], stopping with [`ABORTED`] at the next entry once `cancel` is set. A stopped
/// walk gives back every reference it received that the table does not keep (iterators,
/// extra urefs); the table keeps its handles and its binding to the last complete walk.
pub(crate) fn walk_until<K: IoKit + ?Sized>(
    table: &mut HandleTable<K>,
    origin: Origin,
    progress: &mut dyn FnMut(WalkProgress),
    cancel: &AtomicBool,
) -> Result<Registry, KernReturn> {
    let planes = plane_names(table.kit())?;
    let mut w = Walk {
        table,
        registry: Registry::new(),
        by_id: HashMap::new(),
        seen_ids: HashSet::new(),
        resolved_classes: HashSet::new(),
        progress,
        plane_no: 0,
        planes: planes.len(),
        cancel,
    };
    w.registry.report.origin = origin;
    for (i, plane) in planes.iter().enumerate() {
        w.plane_no = i;
        w.report();
        w.walk_plane(plane)?;
        if w.cancelled() {
            return Err(ABORTED);
        }
    }
    w.plane_no = planes.len();
    w.report();
    let Walk {
        table,
        registry,
        seen_ids,
        ..
    } = w;
    table.release_except(&seen_ids);
    table.bind(registry.entries().map(|(_, e)| e.id).collect());
    Ok(registry)
}

/// The planes the root lists in `IORegistryPlanes`, else [`DEFAULT_PLANES`], IOService first.
fn plane_names<K: IoKit + ?Sized>(kit: &K) -> Result<Vec<String>, KernReturn> {
    let root = kit.registry_get_root_entry();
    if root == 0 {
        return Err(KernReturn::MACH_SEND_INVALID_DEST);
    }
    let props = kit.registry_entry_create_properties(root);
    kit.object_release(root);
    let mut names: Vec<String> = match props {
        Ok(p) => p
            .iter()
            .find(|(k, _)| k == "IORegistryPlanes")
            .and_then(|(_, v)| match v {
                Value::Dict(kv) => Some(kv.iter().map(|(k, _)| k.to_string()).collect()),
                _ => None,
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    if names.is_empty() {
        names = DEFAULT_PLANES.iter().map(|s| (*s).to_owned()).collect();
    }
    names.sort_by_key(|n| (n != "IOService", DEFAULT_PLANES.iter().position(|d| d == n)));
    Ok(names)
}

impl<K: IoKit + ?Sized> Walk<'_, K> {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn report(&mut self) {
        (self.progress)(WalkProgress {
            plane: self.plane_no,
            planes: self.planes,
            entries: self.registry.len(),
        });
    }

    fn warn(&mut self, what: String) {
        self.registry.report.warnings.push(what);
    }

    fn walk_plane(&mut self, plane: &str) -> Result<(), KernReturn> {
        let kit_root = self.table.kit().registry_get_root_entry();
        if kit_root == 0 {
            return Err(KernReturn::MACH_SEND_INVALID_DEST);
        }
        self.registry.plane_mut(plane);
        let mut in_plane = HashSet::new();
        if let Some(root) = self.visit(kit_root, plane, None, &mut in_plane)
            && let Some(e) = Some(self.registry.entry_mut(root))
        {
            e.is_root = true;
        }
        Ok(())
    }

    /// Visits one entry (taking ownership of `port`'s reference) and its subtree.
    fn visit(
        &mut self,
        port: Port,
        plane: &str,
        parent: Option<EntryId>,
        in_plane: &mut HashSet<EntryId>,
    ) -> Option<EntryId> {
        let kit = self.table.kit();
        if self.cancelled() {
            kit.object_release(port);
            return None;
        }
        let registry_id =
            match kit.registry_entry_get_registry_entry_id(port) {
                Ok(id) => id,
                Err(code) => {
                    kit.object_release(port);
                    self.warn(format!(
                    "{plane}: an entry under {}: IORegistryEntryGetRegistryEntryID failed: {code}",
                    parent.map_or("the root".into(), |p| self.registry.entry(p).name.to_string())
                ));
                    return None;
                }
            };
        let id = match self.by_id.get(&registry_id) {
            Some(&id) => {
                self.plane_names(id, port, plane);
                id
            }
            None => self.new_entry(port, registry_id, plane),
        };
        self.seen_ids.insert(registry_id);
        let first_time_here = in_plane.insert(id);
        let p = self.registry.plane_mut(plane);
        match parent {
            None => p.add_root(id),
            Some(parent) => {
                let _ = p.add_child(parent, id);
            }
        }
        if first_time_here {
            self.children(port, plane, id, in_plane);
        }
        self.table.adopt_walked(registry_id, port);
        Some(id)
    }

    /// Iterates `entry`'s children in `plane`, releasing the iterator afterwards.
    fn children(&mut self, port: Port, plane: &str, id: EntryId, in_plane: &mut HashSet<EntryId>) {
        let iter = match self
            .table
            .kit()
            .registry_entry_get_child_iterator(port, plane)
        {
            Ok(it) => it,
            Err(code) => {
                self.warn(format!(
                    "{plane}: {}: IORegistryEntryGetChildIterator failed: {code}",
                    self.registry.entry(id).name
                ));
                return;
            }
        };
        while !self.cancelled() {
            let child = self.table.kit().iterator_next(iter);
            if child == 0 {
                break;
            }
            self.visit(child, plane, Some(id), in_plane);
        }
        self.table.kit().object_release(iter);
    }

    /// Records a plane-specific name or location for an entry already seen elsewhere.
    fn plane_names(&mut self, id: EntryId, port: Port, plane: &str) {
        let kit = self.table.kit();
        let name = kit.registry_entry_get_name_in_plane(port, Some(plane));
        let location = kit
            .registry_entry_get_location_in_plane(port, Some(plane))
            .ok();
        let e = self.registry.entry(id);
        let name = name.ok().map(|n| Text::from_bytes(&n));
        let location = location.map(|l| Text::from_bytes(&l));
        let name_differs = name.as_ref().is_some_and(|n| *n != e.name);
        let location_differs = location != e.location;
        let p = self.registry.plane_mut(plane);
        if let Some(n) = name.filter(|_| name_differs) {
            p.set_name_override(id, n);
        }
        if location_differs {
            p.set_location_override(id, location);
        }
    }

    /// Reads everything about a new entry: names, class chain, ID, counts, state, properties.
    fn new_entry(&mut self, port: Port, registry_id: u64, plane: &str) -> EntryId {
        let kit = self.table.kit();
        let mut failures: Vec<(&str, KernReturn)> = Vec::new();
        let name = match kit.registry_entry_get_name_in_plane(port, Some(plane)) {
            Ok(n) => Text::from_bytes(&n),
            Err(code) => {
                failures.push(("IORegistryEntryGetNameInPlane", code));
                Text::from(format!("<entry {registry_id:#x}>"))
            }
        };
        let location = match kit.registry_entry_get_location_in_plane(port, Some(plane)) {
            Ok(l) => Some(Text::from_bytes(&l)),
            Err(KernReturn::IO_RETURN_NOT_FOUND) => None,
            Err(code) => {
                failures.push(("IORegistryEntryGetLocationInPlane", code));
                None
            }
        };
        let class = match kit.object_get_class(port) {
            Ok(c) => Some(c),
            Err(code) => {
                failures.push(("IOObjectGetClass", code));
                None
            }
        };
        let retain = kit.object_get_kernel_retain_count(port);
        let state = if kit.object_conforms_to(port, "IOService") {
            match kit.service_get_busy_state_and_time(port) {
                Ok(b) => ServiceState::Service(ServiceInfo {
                    state: b.state,
                    busy: Some(b.busy),
                    busy_time_ns: Some(b.accumulated_busy_time),
                }),
                Err(code) => {
                    failures.push(("IOServiceGetBusyStateAndTime", code));
                    ServiceState::Unknown
                }
            }
        } else {
            ServiceState::NotService
        };
        let properties = match kit.registry_entry_create_properties(port) {
            Ok(p) => p,
            Err(code) => {
                failures.push(("IORegistryEntryCreateCFProperties", code));
                Vec::new()
            }
        };
        let class_id = class.map(|c| self.intern_class(&c));
        let id = self.registry.add_entry(Entry {
            id: Some(registry_id),
            name,
            location,
            class: class_id,
            retain: (retain != 0).then_some(retain),
            state,
            properties: properties.into(),
            is_root: false,
            synthetic: false,
        });
        self.by_id.insert(registry_id, id);
        for (call, code) in failures {
            self.warn(format!("entry {registry_id:#x}: {call} failed: {code}"));
        }
        if self.registry.len().is_multiple_of(PROGRESS_EVERY) {
            self.report();
        }
        id
    }

    /// Interns a class and links its superclass chain (`IOObjectCopySuperclassForClass`),
    /// asking only for classes not resolved yet.
    fn intern_class(&mut self, name: &str) -> ClassId {
        let leaf = self.registry.classes.intern(name);
        let mut cur = leaf;
        let mut steps = 0;
        while self.resolved_classes.insert(cur) && steps < 64 {
            steps += 1;
            let cur_name = self.registry.classes.name(cur).to_owned();
            let Some(sup) = self.table.kit().object_copy_superclass_for_class(&cur_name) else {
                break;
            };
            if sup == "OSObject" {
                break;
            }
            let sup_id = self.registry.classes.intern(&sup);
            self.registry.classes.set_superclass(cur, sup_id);
            cur = sup_id;
        }
        leaf
    }
}
