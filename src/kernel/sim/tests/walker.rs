//! The walker and KernelSession hold exactly one name per entry and give back every
//! iterator and temporary reference, on every path: the task's name count is the same
//! after ten refreshes, and back to where it started once the session is dropped.

use super::support::*;
use crate::kernel::session::{Change, DemoControls, LiveSession};
use crate::kernel::sim::SimKernel;
use crate::kernel::{
    BusyState, IoKit, KernReturn, KernelSession, PlugControl, Port, ServiceNotice, Watch, port_type,
};
use crate::registry::Properties;
use crate::registry::{Origin, Registry};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;

fn walk<K: IoKit + ?Sized>(session: &mut KernelSession<K>) -> Registry {
    session.walk(&mut |_| {}).expect("walk")
}

/// After a walk: our space is the runtime's names plus one live send right per handle,
/// one handle per walked entry.
fn assert_one_name_per_entry<K: IoKit + ?Sized>(
    sim: &SimKernel,
    session: &KernelSession<K>,
    registry: &Registry,
    runtime: usize,
) {
    assert_eq!(session.handles().len(), registry.len());
    let now = names(sim);
    assert_eq!(now.len(), runtime + registry.len());
    let sends = now.values().filter(|&&t| t == port_type::SEND).count();
    assert_eq!(sends, registry.len(), "every handle is a live send right");
    for (_, e) in registry.entries() {
        let h = session
            .handles()
            .by_registry_id(e.id.expect("walked entries have IDs"))
            .expect("a handle per entry");
        assert_eq!(send_refs(sim, h.port), Ok(h.held));
        assert_eq!(h.held, 1);
    }
}

#[test]
fn ten_refreshes_hold_the_name_count_and_dropping_returns_to_the_start() {
    let sim = boot();
    let start = names(&sim);
    let mut session = KernelSession::new(sim.clone(), Origin::Demo);
    let first = walk(&mut session);
    assert_eq!(
        first.len(),
        sim.entry_count(),
        "every booted entry is walked"
    );
    assert!(
        first.report.warnings.is_empty(),
        "{:?}",
        first.report.warnings
    );
    assert_one_name_per_entry(&sim, &session, &first, start.len());
    let after_first = names(&sim);
    for _ in 0..10 {
        let again = walk(&mut session);
        assert_eq!(again.len(), first.len());
        assert_eq!(names(&sim), after_first, "same names, same types");
    }
    assert_drop_restores(&sim, session, &start);
}

#[test]
fn unplug_and_replug_between_walks_release_the_vanished_handles() {
    let sim = boot();
    let start = names(&sim);
    let mut session = KernelSession::new(sim.clone(), Origin::Demo).with_plug(sim.clone());
    let before = walk(&mut session);
    let device = flash_drive(&sim);
    let event = sim.toggle_device(device).unwrap();
    let unplugged = walk(&mut session);
    // Gone: the terminated services, and the IOPowerConnections PMstop detached.
    let vanished: Vec<(u64, &str)> = before
        .entries()
        .filter(|(_, e)| unplugged.find_by_id(e.id.unwrap()).is_none())
        .map(|(i, e)| (e.id.unwrap(), before.class_name(i).unwrap()))
        .collect();
    assert!(
        event
            .terminated
            .iter()
            .all(|id| vanished.iter().any(|v| v.0 == *id))
    );
    let detached = vanished
        .iter()
        .filter(|(id, _)| !event.terminated.contains(id));
    assert!(detached.clone().count() > 0);
    assert!(
        detached
            .clone()
            .all(|&(_, class)| class == "IOPowerConnection")
    );
    assert_eq!(unplugged.len() + vanished.len(), before.len());
    assert_one_name_per_entry(&sim, &session, &unplugged, start.len());
    let replugged_event = sim.toggle_device(device).unwrap();
    let replugged = walk(&mut session);
    // The device comes back whole: its services and their power connections.
    assert_eq!(replugged.len(), before.len());
    assert!(replugged.find_by_id(replugged_event.published[0]).is_some());
    assert_one_name_per_entry(&sim, &session, &replugged, start.len());
    assert_drop_restores(&sim, session, &start);
}

/// Where the [`Saboteur`] unplugs the armed device.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trap {
    /// Right after `IOIteratorNext` hands out the device: its registry ID read fails.
    Next,
    /// Right after the device's child iterator was created: the walker holds the
    /// device's (now dead) name and must still release the iterator.
    ChildIterator,
}

/// An `IoKit` that forwards to the simulated kernel and unplugs a device in the middle of
/// a walk, so calls on names already handed out fail with `MACH_SEND_INVALID_DEST`.
struct Saboteur {
    sim: Arc<SimKernel>,
    /// Registry ID of the device to unplug (0: disarmed).
    armed: AtomicU64,
    trap: Trap,
}

impl Saboteur {
    fn spring(&self, trap: Trap, name: Port) {
        let armed = self.armed.load(Ordering::SeqCst);
        if trap == self.trap
            && armed != 0
            && self.sim.registry_entry_get_registry_entry_id(name) == Ok(armed)
        {
            self.armed.store(0, Ordering::SeqCst);
            self.sim.toggle_device(armed).expect("unplug");
        }
    }
}

impl IoKit for Saboteur {
    fn registry_get_root_entry(&self) -> Port {
        self.sim.registry_get_root_entry()
    }
    fn registry_entry_get_child_iterator(
        &self,
        entry: Port,
        plane: &str,
    ) -> Result<Port, KernReturn> {
        let iter = self.sim.registry_entry_get_child_iterator(entry, plane);
        self.spring(Trap::ChildIterator, entry);
        iter
    }
    fn iterator_next(&self, iterator: Port) -> Port {
        let next = self.sim.iterator_next(iterator);
        self.spring(Trap::Next, next);
        next
    }
    fn registry_entry_get_name_in_plane(
        &self,
        entry: Port,
        plane: Option<&str>,
    ) -> Result<Vec<u8>, KernReturn> {
        self.sim.registry_entry_get_name_in_plane(entry, plane)
    }
    fn registry_entry_get_location_in_plane(
        &self,
        entry: Port,
        plane: Option<&str>,
    ) -> Result<Vec<u8>, KernReturn> {
        self.sim.registry_entry_get_location_in_plane(entry, plane)
    }
    fn registry_entry_get_path(&self, entry: Port, plane: &str) -> Result<Vec<u8>, KernReturn> {
        self.sim.registry_entry_get_path(entry, plane)
    }
    fn object_get_class(&self, object: Port) -> Result<String, KernReturn> {
        self.sim.object_get_class(object)
    }
    fn object_copy_superclass_for_class(&self, class: &str) -> Option<String> {
        self.sim.object_copy_superclass_for_class(class)
    }
    fn object_conforms_to(&self, object: Port, class: &str) -> bool {
        self.sim.object_conforms_to(object, class)
    }
    fn registry_entry_get_registry_entry_id(&self, entry: Port) -> Result<u64, KernReturn> {
        self.sim.registry_entry_get_registry_entry_id(entry)
    }
    fn object_get_kernel_retain_count(&self, object: Port) -> u32 {
        self.sim.object_get_kernel_retain_count(object)
    }
    fn object_get_user_retain_count(&self, object: Port) -> u32 {
        self.sim.object_get_user_retain_count(object)
    }
    fn service_get_busy_state_and_time(&self, service: Port) -> Result<BusyState, KernReturn> {
        self.sim.service_get_busy_state_and_time(service)
    }
    fn registry_entry_create_properties(&self, entry: Port) -> Result<Properties, KernReturn> {
        self.sim.registry_entry_create_properties(entry)
    }
    fn object_retain(&self, object: Port) -> KernReturn {
        self.sim.object_retain(object)
    }
    fn object_release(&self, object: Port) -> KernReturn {
        self.sim.object_release(object)
    }
    fn service_get_matching_service_by_id(&self, registry_id: u64) -> Port {
        self.sim.service_get_matching_service_by_id(registry_id)
    }
    fn service_get_matching_services(&self, class: &str) -> Result<Port, KernReturn> {
        self.sim.service_get_matching_services(class)
    }
    fn mach_port_get_refs(&self, name: Port, which: u32) -> Result<u32, KernReturn> {
        self.sim.mach_port_get_refs(name, which)
    }
    fn mach_port_type(&self, name: Port) -> Result<u32, KernReturn> {
        self.sim.mach_port_type(name)
    }
    fn mach_port_names(&self) -> Result<Vec<(Port, u32)>, KernReturn> {
        self.sim.mach_port_names()
    }
    fn watch_services(&self, sink: Sender<ServiceNotice>) -> Result<Box<dyn Watch>, KernReturn> {
        self.sim.watch_services(sink)
    }
}

/// What a sabotaged walk leaves: the sim, the names before the session, the session, the
/// faulty walk and the unplugged device's registry ID.
type Sabotaged = (
    Arc<SimKernel>,
    BTreeMap<Port, u32>,
    KernelSession<Saboteur>,
    Registry,
    u64,
);

/// Walks once cleanly, then unplugs the flash drive at `trap` during the second walk.
fn sabotaged_walk(trap: Trap) -> Sabotaged {
    let sim = boot();
    let start = names(&sim);
    let kit = Arc::new(Saboteur {
        sim: sim.clone(),
        armed: AtomicU64::new(0),
        trap,
    });
    let mut session = KernelSession::new(kit.clone(), Origin::Demo);
    walk(&mut session);
    let device = flash_drive(&sim);
    kit.armed.store(device, Ordering::SeqCst);
    let faulty = walk(&mut session);
    assert_eq!(kit.armed.load(Ordering::SeqCst), 0, "the trap was sprung");
    (sim, start, session, faulty, device)
}

#[test]
fn a_device_dying_under_iterator_next_fails_one_call_and_leaks_nothing() {
    let (sim, start, mut session, faulty, device) = sabotaged_walk(Trap::Next);
    let runtime = start.len();
    // The walker read the ID of the name IOIteratorNext had just handed out: dead by then.
    let failed: Vec<_> = faulty
        .report
        .warnings
        .iter()
        .filter(|w| w.contains("IORegistryEntryGetRegistryEntryID failed: 0x10000003"))
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", faulty.report.warnings);
    assert!(faulty.find_by_id(device).is_none());
    // The failed name was released, the vanished subtree's handles too.
    assert_one_name_per_entry(&sim, &session, &faulty, runtime);
    let next = walk(&mut session);
    assert!(next.report.warnings.is_empty());
    assert_one_name_per_entry(&sim, &session, &next, runtime);
    assert_drop_restores(&sim, session, &start);
}

#[test]
fn a_device_dying_under_its_child_iterator_leaks_nothing() {
    let (sim, start, mut session, faulty, device) = sabotaged_walk(Trap::ChildIterator);
    let runtime = start.len();
    // The device was read before it died, so it is in this walk; its children are not
    // (the iterator skips detached entries), and its handle is now a dead name.
    assert!(faulty.find_by_id(device).is_some());
    let h = session.handles().by_registry_id(device).unwrap().clone();
    assert_dead(&sim, h.port, 1);
    let live = names(&sim)
        .values()
        .filter(|&&t| t == port_type::SEND)
        .count();
    assert_eq!(live + 1, session.handles().len());
    assert_eq!(names(&sim).len(), runtime + session.handles().len());
    // The next walk no longer meets the device and releases the dead name.
    let next = walk(&mut session);
    assert!(next.find_by_id(device).is_none());
    assert_released(&sim, h.port);
    assert_one_name_per_entry(&sim, &session, &next, runtime);
    assert_drop_restores(&sim, session, &start);
}

/// A booted sim, its names, and a walked session subscribed to notifications.
fn watching_session() -> (
    Arc<SimKernel>,
    BTreeMap<Port, u32>,
    KernelSession<SimKernel>,
) {
    let sim = boot();
    let start = names(&sim);
    let mut session = KernelSession::new(sim.clone(), Origin::Demo)
        .with_watch()
        .unwrap();
    walk(&mut session);
    (sim, start, session)
}

#[test]
fn undelivered_notices_are_released_when_the_session_is_dropped() {
    let (sim, start, session) = watching_session();
    sim.toggle_device(flash_drive(&sim)).unwrap();
    // Not polled: each terminated notice still owns a uref on its (held) name.
    assert_drop_restores(&sim, session, &start);
}

#[test]
fn polled_notices_are_released_and_held_services_go_with_the_next_walk() {
    let (sim, start, mut session) = watching_session();
    let device = flash_drive(&sim);
    let event = sim.toggle_device(device).unwrap();
    let changes = session.poll_changes();
    let expected: Vec<Change> = event
        .terminated
        .iter()
        .map(|&id| Change::Terminated {
            registry_id: Some(id),
        })
        .collect();
    assert_eq!(changes, expected);
    // Held (§4 exception): the device's handle is still a live send right, 1 uref (ours).
    let h = session.handles().by_registry_id(device).unwrap().clone();
    assert_live(&sim, h.port, 1);
    let next = walk(&mut session);
    assert_released(&sim, h.port);
    assert_one_name_per_entry(&sim, &session, &next, start.len());
    assert_drop_restores(&sim, session, &start);
}

/// Issue 17 (long runs hold memory flat): a walk makes one iterator per entry and plane;
/// freed iterators and their ports are reused, so ten more walks (and the probes between
/// them) leave the simulated kernel's tables the size they had after warm-up.
#[test]
fn repeated_walks_do_not_grow_the_kernels_tables() {
    let sim = boot();
    let mut session = KernelSession::new(sim.clone(), Origin::Demo);
    // The second walk opens a few more iterators at once than the first had free.
    walk(&mut session);
    walk(&mut session);
    let warm = sim.table_sizes();
    for _ in 0..10 {
        walk(&mut session);
        session.probe_all();
    }
    assert_eq!(sim.table_sizes(), warm);
}

/// Issue 17: walks are interruptible. A walk whose cancel flag is set (SIGTERM or SIGHUP
/// while walking) stops at the next entry with KERN_ABORTED, gives back its iterators and
/// extra references, and a later walk works as before; dropping the table leaves the task
/// with the names it started with.
#[test]
fn a_cancelled_walk_stops_with_kern_aborted_and_leaks_nothing() {
    use crate::kernel::handles::HandleTable;
    use crate::kernel::walker::{ABORTED, walk_until};
    use std::sync::atomic::AtomicBool;
    let sim = boot();
    let start = names(&sim);
    let mut table = HandleTable::new(sim.clone());
    let cancel = AtomicBool::new(false);
    let mut reports = 0;
    let result = walk_until(
        &mut table,
        Origin::Demo,
        &mut |p| {
            reports += 1;
            if p.entries >= 128 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    );
    assert_eq!(result.err(), Some(ABORTED));
    assert!(reports >= 2);
    // Only handles (live send rights, one uref each) are left: no iterator, no extra uref.
    let held = names(&sim);
    assert_eq!(held.len(), start.len() + table.len());
    assert!(
        table.len() < sim.entry_count(),
        "stopped early: {}",
        table.len()
    );
    cancel.store(false, Ordering::Relaxed);
    let registry = walk_until(&mut table, Origin::Demo, &mut |_| {}, &cancel).expect("walk");
    assert_eq!(registry.len(), sim.entry_count());
    assert_drop_restores(&sim, table, &start);
}

/// Issue 17: `--demo-hotplug` for hours. Each replug builds the device again (new objects,
/// new registry IDs); the instances unplugged before are freed once no port of theirs is
/// alive, so hot-plug cycles with their re-walks leave the kernel's tables the size they
/// had after warm-up.
#[test]
fn hotplug_cycles_with_rewalks_do_not_grow_the_kernels_tables() {
    let sim = boot();
    let mut session = KernelSession::new(sim.clone(), Origin::Demo).with_plug(sim.clone());
    let cycle = |session: &mut KernelSession<SimKernel>| {
        for _ in 0..2 {
            session.demo_hotplug().unwrap();
            walk(session);
            session.probe_all();
        }
    };
    walk(&mut session);
    for _ in 0..3 {
        cycle(&mut session);
    }
    let warm = sim.table_sizes();
    for _ in 0..10 {
        cycle(&mut session);
    }
    assert_eq!(sim.table_sizes(), warm);
}
