//! The probe (valid / released / dead name, last error decoded) and the handle lab of
//! `KernelSession` (Retain / Release / Obtain move the right counts; rules §1–§4).

use super::support::*;
use crate::kernel::session::{DemoControls, LabOp, LiveSession};
use crate::kernel::sim::SimKernel;
use crate::kernel::{
    HandleProbe, HandleState, IoKit, KernReturn, KernelSession, Port, port_type, probe,
};
use crate::registry::{EntryId, Origin, Registry};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The last error every probe of a stale handle records (its MIG call).
fn stale_error() -> Option<(String, KernReturn)> {
    Some((
        "IORegistryEntryGetRegistryEntryID".into(),
        KernReturn::MACH_SEND_INVALID_DEST,
    ))
}

/// What a probe must show for a live handle with `urefs` on an object with `kernel` count.
fn assert_valid_probe(p: &HandleProbe, urefs: u32, kernel: u32) {
    assert_eq!(p.state, HandleState::Valid);
    assert_eq!(p.send_refs, Ok(urefs));
    assert_eq!(p.dead_refs, Ok(0));
    assert_eq!(p.port_type, Ok(port_type::SEND));
    assert_eq!(p.kernel_retain, Some(kernel));
}

fn assert_released_probe(p: &HandleProbe) {
    assert_eq!(p.state, HandleState::Released);
    assert_eq!(p.send_refs, Err(KernReturn::INVALID_NAME));
    assert_eq!(p.dead_refs, Err(KernReturn::INVALID_NAME));
    assert_eq!(p.port_type, Err(KernReturn::INVALID_NAME));
    assert_eq!(p.kernel_retain, None, "the call failed: no count");
    assert_eq!(p.last_error, stale_error());
}

fn assert_dead_probe(p: &HandleProbe, urefs: u32) {
    assert_eq!(p.state, HandleState::DeadName);
    assert_eq!(p.send_refs, Ok(0));
    assert_eq!(p.dead_refs, Ok(urefs));
    assert_eq!(p.port_type, Ok(port_type::DEAD_NAME));
    assert_eq!(p.kernel_retain, None, "the call failed: no count");
    assert_eq!(p.last_error, stale_error());
}

#[test]
fn probe_tells_valid_released_and_dead_apart() {
    let sim = boot();
    let id = flash_drive(&sim);
    let mut table = crate::kernel::handles::HandleTable::new(sim.clone());
    table.adopt(id, lookup(&sim, id));
    table.bind(vec![Some(id)]);
    let h = table.get_mut(EntryId(0)).unwrap();
    let valid = probe(&*sim, h);
    assert_valid_probe(&valid, 1, expected_kernel_count(&sim, id, 1));
    assert_eq!(valid.last_error, None);
    assert!(!valid.state.is_stale());

    // Unplugged: a dead name; the decoded error names MACH_SEND_INVALID_DEST.
    let mut dead_handle = h.clone();
    assert_eq!(sim.object_retain(dead_handle.port), KernReturn::SUCCESS);
    crate::kernel::PlugControl::toggle_device(&*sim, id).unwrap();
    let dead = probe(&*sim, &mut dead_handle);
    assert_dead_probe(&dead, 2);
    assert!(dead.state.is_stale());
    let (_, code) = dead.last_error.clone().unwrap();
    assert!(
        code.explain()
            .names()
            .contains(&"MACH_SEND_INVALID_DEST".to_string())
    );

    // Released to zero: the name is gone.
    release_n(&sim, dead_handle.port, 2);
    let released = probe(&*sim, &mut dead_handle);
    assert_released_probe(&released);
}

/// A booted sim, the names it started with, a walked demo session over it, and the entry
/// the lab works on with its registry ID.
struct Lab {
    sim: Arc<SimKernel>,
    start: BTreeMap<Port, u32>,
    session: KernelSession<SimKernel>,
    entry: EntryId,
    id: u64,
}

impl Lab {
    /// The lab on the entry `pick` chooses (by registry ID) in a freshly booted sim.
    fn on(pick: fn(&SimKernel) -> u64) -> Self {
        let sim = boot();
        let start = names(&sim);
        let id = pick(&sim);
        let mut session = KernelSession::new(sim.clone(), Origin::Demo).with_plug(sim.clone());
        let registry: Registry = session.walk(&mut |_| {}).unwrap();
        let entry = registry.find_by_id(id).expect("walked");
        Lab {
            sim,
            start,
            session,
            entry,
            id,
        }
    }

    fn op(&mut self, op: LabOp) -> HandleProbe {
        self.session.lab(self.entry, op).expect("a handle").probe
    }

    fn held(&self) -> u32 {
        self.session.handles().get(self.entry).unwrap().held
    }

    fn port(&self) -> Port {
        self.session.handles().get(self.entry).unwrap().port
    }

    /// The kernel count of the entry's object with one port (§1).
    fn kernel(&self) -> u32 {
        expected_kernel_count(&self.sim, self.id, 1)
    }

    /// Drops the session: the task is back to its boot names.
    fn finish(self) {
        assert_drop_restores(&self.sim, self.session, &self.start);
    }
}

/// The registry ID of the device-tree node `efi` (not a service), found through the seam.
fn efi_id(sim: &SimKernel) -> u64 {
    let efi = walk_to(sim, DEVICE_TREE, &["/", "efi"]);
    let id = sim.registry_entry_get_registry_entry_id(efi).unwrap();
    release_n(sim, efi, 1);
    id
}

#[test]
fn lab_retain_release_and_obtain_move_urefs_not_the_kernel_count() {
    let mut lab = Lab::on(flash_drive);
    let (port, kernel) = (lab.port(), lab.kernel());
    for (op, urefs) in [
        (LabOp::Retain, 2),
        (LabOp::Obtain, 3),
        (LabOp::Release, 2),
        (LabOp::Release, 1),
    ] {
        let p = lab.op(op);
        assert_eq!(p.port, port, "{op:?} keeps the name");
        assert_valid_probe(&p, urefs, kernel);
        assert_eq!(p.last_error, None);
        assert_eq!(lab.held(), urefs);
    }
    lab.finish();
}

#[test]
fn lab_release_to_zero_then_obtain_gives_a_new_name() {
    let mut lab = Lab::on(flash_drive);
    let old = lab.port();
    assert_released_probe(&lab.op(LabOp::Release));
    // Released names refuse both calls with KERN_INVALID_NAME (§4 table); the lab keeps
    // the count at 0 and the probe shows the handle stale.
    for op in [LabOp::Release, LabOp::Retain] {
        assert_released_probe(&lab.op(op));
        assert_eq!(lab.held(), 0);
    }
    let fresh = lab.op(LabOp::Obtain);
    // LIFO reuse of the freed slot with generation + 4 (§2).
    assert_reused(old, fresh.port);
    assert_valid_probe(&fresh, 1, lab.kernel());
    lab.finish();
}

#[test]
fn lab_on_a_dead_name_moves_dead_name_urefs() {
    let mut lab = Lab::on(flash_drive);
    lab.session.toggle_plug(lab.entry).unwrap();
    assert_dead_probe(&lab.op(LabOp::Retain), 2);
    assert_dead_probe(&lab.op(LabOp::Release), 1);
    // A terminated service cannot be obtained again.
    assert_dead_probe(&lab.op(LabOp::Obtain), 1);
    lab.finish();
}

#[test]
fn lab_obtain_of_a_plain_entry_iterates_its_parent() {
    let mut lab = Lab::on(efi_id);
    let p = lab.op(LabOp::Obtain);
    assert_valid_probe(&p, 2, lab.kernel());
    lab.finish();
}

#[test]
fn a_walk_after_the_lab_keeps_the_counts_the_lab_set() {
    // Released to zero: the next walk meets the entry again, gives its fresh reference
    // back and leaves the user's handle released (the kernel does not revive a name).
    let mut lab = Lab::on(flash_drive);
    let old = lab.port();
    lab.op(LabOp::Release);
    lab.session.walk(&mut |_| {}).unwrap();
    assert_eq!(lab.port(), old);
    assert_released(&lab.sim, old);
    assert_eq!(lab.held(), 0);
    // Obtained again: a new, live name; the walk after keeps it at one uref.
    lab.op(LabOp::Obtain);
    lab.session.walk(&mut |_| {}).unwrap();
    assert_live(&lab.sim, lab.port(), 1);
    assert_eq!(lab.held(), 1);
    // Retained: the walk's own reference is given back, the lab's extra one stays.
    lab.op(LabOp::Retain);
    lab.session.walk(&mut |_| {}).unwrap();
    assert_live(&lab.sim, lab.port(), 2);
    assert_eq!(lab.held(), 2);
    lab.finish();
}

/// The lab reports the code of the call the user asked for: a release to zero succeeds
/// (KERN_SUCCESS), although the re-probe that follows fails with MACH_SEND_INVALID_DEST;
/// releasing the freed name again fails with its own KERN_INVALID_NAME.
#[test]
fn the_lab_reports_the_operations_own_code_not_the_reprobes() {
    let mut lab = Lab::on(flash_drive);
    let out = lab
        .session
        .lab(lab.entry, LabOp::Release)
        .expect("a handle");
    assert_eq!(
        (out.call, out.code),
        ("IOObjectRelease", KernReturn::SUCCESS)
    );
    assert_eq!(out.probe.last_error, stale_error());
    let again = lab
        .session
        .lab(lab.entry, LabOp::Release)
        .expect("a handle");
    assert_eq!(again.code, KernReturn::INVALID_NAME);
    let retain = lab.session.lab(lab.entry, LabOp::Retain).expect("a handle");
    assert_eq!(
        (retain.call, retain.code),
        ("IOObjectRetain", KernReturn::INVALID_NAME)
    );
    lab.finish();
}

/// Issue 21: a handle released to zero stays released through unplug, replug and the
/// re-walks that follow; the old name stays invalid (it never comes back to life) and only
/// `o` (obtain) gives the entry a live handle again, under a new name.
#[test]
fn a_released_handle_stays_released_through_replug_and_rewalks() {
    let mut lab = Lab::on(|sim| id_named(sim, "Magic Keyboard"));
    let old = lab.port();
    lab.op(LabOp::Release);
    for _ in 0..3 {
        lab.session.demo_hotplug().unwrap();
        let registry = lab.session.walk(&mut |_| {}).unwrap();
        lab.entry = registry.find_by_id(lab.id).expect("still walked");
        assert_released_probe(&lab.session.probe(lab.entry).unwrap());
        assert_eq!(lab.port(), old, "the handle keeps its (released) name");
        assert_eq!(lab.held(), 0);
        assert_released(&lab.sim, old);
    }
    let fresh = lab.op(LabOp::Obtain);
    assert_ne!(fresh.port, old);
    assert_valid_probe(&fresh, 1, lab.kernel());
    lab.finish();
}

/// Rules §2: after a whole rollover period of reuses, a name released in the lab can denote
/// another object again. The probe notices (another registry ID under our old name) and
/// shows the handle stale, not the other object's counts as ours.
#[test]
fn a_released_name_reused_by_another_object_is_shown_stale() {
    let mut lab = Lab::on(flash_drive);
    let old = lab.port();
    lab.op(LabOp::Release);
    // Cycle the freed slot with new iterators (a new object, so a new name, each time)
    // until its generation rolls over and the old name comes back.
    let mut got = 0;
    for _ in 0..64 {
        let it = lab
            .sim
            .service_get_matching_services("IOUSBHostDevice")
            .unwrap();
        if it == old {
            got = it;
            break;
        }
        release_n(&lab.sim, it, 1);
    }
    assert_eq!(
        got, old,
        "the slot's generation rolled over within 64 reuses"
    );
    let p = lab.session.probe(lab.entry).unwrap();
    assert_eq!(p.state, HandleState::Reused);
    assert!(p.state.is_stale());
    assert_eq!(p.kernel_retain, None);
    release_n(&lab.sim, got, 1);
    lab.finish();
}
