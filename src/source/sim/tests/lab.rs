//! The probe (valid / released / dead name, last error decoded) and the handle lab of
//! `KernelSession` (Retain / Release / Obtain move the right counts; rules §1–§4).

use super::support::*;
use crate::registry::{EntryId, Origin, Registry};
use crate::source::kernel::{
    HandleProbe, HandleState, IoKit, KernReturn, KernelSession, port_type, probe,
};
use crate::source::session::{LabOp, LiveSession};
use crate::source::sim::SimKernel;
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
    assert_eq!(p.kernel_retain, kernel);
}

fn assert_released_probe(p: &HandleProbe) {
    assert_eq!(p.state, HandleState::Released);
    assert_eq!(p.send_refs, Err(KernReturn::INVALID_NAME));
    assert_eq!(p.dead_refs, Err(KernReturn::INVALID_NAME));
    assert_eq!(p.port_type, Err(KernReturn::INVALID_NAME));
    assert_eq!(p.kernel_retain, 0);
    assert_eq!(p.last_error, stale_error());
}

fn assert_dead_probe(p: &HandleProbe, urefs: u32) {
    assert_eq!(p.state, HandleState::DeadName);
    assert_eq!(p.send_refs, Ok(0));
    assert_eq!(p.dead_refs, Ok(urefs));
    assert_eq!(p.port_type, Ok(port_type::DEAD_NAME));
    assert_eq!(p.kernel_retain, 0);
    assert_eq!(p.last_error, stale_error());
}

#[test]
fn probe_tells_valid_released_and_dead_apart() {
    let sim = boot();
    let id = flash_drive(&sim);
    let mut table = crate::source::kernel::HandleTable::new(sim.clone());
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
    crate::source::kernel::PlugControl::toggle_device(&*sim, id).unwrap();
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

/// A walked demo session and the `EntryId` of the entry with this registry ID.
fn session_at(sim: &Arc<SimKernel>, registry_id: u64) -> (KernelSession<SimKernel>, EntryId) {
    let mut session = KernelSession::new(sim.clone(), Origin::Demo).with_plug(sim.clone());
    let registry: Registry = session.walk(&mut |_| {}).unwrap();
    let entry = registry.find_by_id(registry_id).expect("walked");
    (session, entry)
}

#[test]
fn lab_retain_release_and_obtain_move_urefs_not_the_kernel_count() {
    let sim = boot();
    let start = names(&sim);
    let id = flash_drive(&sim);
    let (mut session, entry) = session_at(&sim, id);
    let kernel = expected_kernel_count(&sim, id, 1);
    let port = session.handles().get(entry).unwrap().port;
    let mut step = |op, urefs| {
        let p = session.lab(entry, op).unwrap();
        assert_eq!(p.port, port, "{op:?} keeps the name");
        assert_valid_probe(&p, urefs, kernel);
        assert_eq!(p.last_error, None);
    };
    step(LabOp::Retain, 2);
    step(LabOp::Obtain, 3);
    step(LabOp::Release, 2);
    step(LabOp::Release, 1);
    assert_eq!(session.handles().get(entry).unwrap().held, 1);
    drop(session);
    assert_eq!(names(&sim), start);
}

#[test]
fn lab_release_to_zero_then_obtain_gives_a_new_name() {
    let sim = boot();
    let start = names(&sim);
    let id = flash_drive(&sim);
    let (mut session, entry) = session_at(&sim, id);
    let old = session.handles().get(entry).unwrap().port;
    let released = session.lab(entry, LabOp::Release).unwrap();
    assert_released_probe(&released);
    // Released names refuse both calls with KERN_INVALID_NAME (§4 table); the lab keeps
    // the count at 0 and the probe shows the handle stale.
    for op in [LabOp::Release, LabOp::Retain] {
        let p = session.lab(entry, op).unwrap();
        assert_released_probe(&p);
        assert_eq!(session.handles().get(entry).unwrap().held, 0);
    }
    let fresh = session.lab(entry, LabOp::Obtain).unwrap();
    assert_ne!(fresh.port, old);
    // LIFO reuse of the freed slot with generation + 4 (§2).
    assert_reused(old, fresh.port);
    assert_valid_probe(&fresh, 1, expected_kernel_count(&sim, id, 1));
    drop(session);
    assert_eq!(names(&sim), start);
}

#[test]
fn lab_on_a_dead_name_moves_dead_name_urefs() {
    let sim = boot();
    let start = names(&sim);
    let id = flash_drive(&sim);
    let (mut session, entry) = session_at(&sim, id);
    session.toggle_plug(entry).unwrap();
    let retained = session.lab(entry, LabOp::Retain).unwrap();
    assert_dead_probe(&retained, 2);
    let released = session.lab(entry, LabOp::Release).unwrap();
    assert_dead_probe(&released, 1);
    // A terminated service cannot be obtained again.
    let obtained = session.lab(entry, LabOp::Obtain).unwrap();
    assert_dead_probe(&obtained, 1);
    drop(session);
    assert_eq!(names(&sim), start);
}

#[test]
fn lab_obtain_of_a_plain_entry_iterates_its_parent() {
    let sim = boot();
    let start = names(&sim);
    let efi = walk_to(&sim, DEVICE_TREE, &["/", "efi"]);
    let id = sim.registry_entry_get_registry_entry_id(efi).unwrap();
    release_n(&sim, efi, 1);
    let (mut session, entry) = session_at(&sim, id);
    let p = session.lab(entry, LabOp::Obtain).unwrap();
    assert_valid_probe(&p, 2, expected_kernel_count(&sim, id, 1));
    drop(session);
    assert_eq!(names(&sim), start);
}
