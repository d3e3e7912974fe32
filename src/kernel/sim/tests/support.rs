//! Shared helpers for the simulated-kernel tests: booting, obtaining handles through the
//! seam, and one assertion per handle state of `mach-iokit-rules.md` (§3, §4).

use crate::kernel::sim::SimKernel;
use crate::kernel::sim::machine::HOTPLUG_DEVICE;
use crate::kernel::sim::objects::{ObjId, SERVICE};
use crate::kernel::{IoKit, KernReturn, Port, port_type, right};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) const IOSERVICE: &str = "IOService";
pub(crate) const DEVICE_TREE: &str = "IODeviceTree";

/// A freshly booted simulated Mac.
pub(crate) fn boot() -> Arc<SimKernel> {
    Arc::new(SimKernel::new())
}

/// `MACH_PORT_INDEX(name)` (osfmk/mach/port.h, rules §2).
pub(crate) fn index(name: Port) -> u32 {
    name >> 8
}

/// The name's low byte, the generation (`MACH_PORT_GEN(name) = (name & 0xff) << 24`).
pub(crate) fn generation(name: Port) -> u32 {
    name & 0xff
}

/// §2: `new` reuses `old`'s slot (LIFO free list) with the generation + 4, or restarted at
/// 03 when the slot's generation rolled over (`ipc_entry_claim`, periods 16 to 64).
pub(crate) fn assert_reused(old: Port, new: Port) {
    assert_eq!(
        index(new),
        index(old),
        "{new:#x} reuses the slot of {old:#x}"
    );
    assert!(
        generation(new) == generation(old) + 4 || generation(new) == 0x03,
        "{new:#x} after {old:#x}: the generation moves on by 4, or restarts at 03"
    );
    assert_eq!(generation(new) & 0x3, 0x3, "{new:#x} ends in 03/07/0b/…");
}

/// `mach_port_get_refs(name, MACH_PORT_RIGHT_SEND)`.
pub(crate) fn send_refs(sim: &SimKernel, name: Port) -> Result<u32, KernReturn> {
    sim.mach_port_get_refs(name, right::SEND)
}

/// `mach_port_get_refs(name, MACH_PORT_RIGHT_DEAD_NAME)`.
pub(crate) fn dead_refs(sim: &SimKernel, name: Port) -> Result<u32, KernReturn> {
    sim.mach_port_get_refs(name, right::DEAD_NAME)
}

/// `mach_port_names` as a map name → type bits.
pub(crate) fn names(sim: &SimKernel) -> BTreeMap<Port, u32> {
    sim.mach_port_names()
        .expect("mach_port_names")
        .into_iter()
        .collect()
}

/// The registry ID of the first attached entry called `name`.
pub(crate) fn id_named(sim: &SimKernel, name: &str) -> u64 {
    sim.find_registry_id(name)
        .unwrap_or_else(|| panic!("no entry named {name}"))
}

/// The hotplug USB device ("USB Flash Drive") as currently plugged in.
pub(crate) fn flash_drive(sim: &SimKernel) -> u64 {
    id_named(sim, HOTPLUG_DEVICE)
}

/// `IOServiceGetMatchingService(IORegistryEntryIDMatching(id))`, which must find it.
pub(crate) fn lookup(sim: &SimKernel, registry_id: u64) -> Port {
    let name = sim.service_get_matching_service_by_id(registry_id);
    assert_ne!(name, 0, "no service with id {registry_id:#x}");
    name
}

/// The services of the IOService-plane subtree at `registry_id`, in pre-order, as registry
/// IDs: for a device, exactly what unplugging terminates (read below the seam).
pub(crate) fn service_subtree(sim: &SimKernel, registry_id: u64) -> Vec<u64> {
    let st = sim.lock();
    let top = st.objs.by_registry_id(registry_id).expect("known id");
    st.objs
        .subtree(SERVICE, top)
        .into_iter()
        .filter(|&o| st.objs.is_service(o))
        .map(|o| st.objs.entry(o).expect("entry").registry_id)
        .collect()
}

/// The class of the entry with this registry ID, read below the seam (works after termination).
pub(crate) fn class_of(sim: &SimKernel, registry_id: u64) -> &'static str {
    let st = sim.lock();
    let o = st.objs.by_registry_id(registry_id).expect("known id");
    st.objs.entry(o).expect("entry").class
}

/// The kernel object behind a registry ID (for tests that reach below the seam).
pub(crate) fn obj(sim: &SimKernel, registry_id: u64) -> ObjId {
    sim.lock()
        .objs
        .by_registry_id(registry_id)
        .expect("known id")
}

/// The child of `parent` in `plane` whose entry name is `child`, obtained through
/// `IORegistryEntryGetChildIterator` + `IOIteratorNext`; every other child and the iterator
/// are released again.
pub(crate) fn child_named(sim: &SimKernel, parent: Port, plane: &str, child: &str) -> Port {
    let iter = sim
        .registry_entry_get_child_iterator(parent, plane)
        .expect("child iterator");
    let mut found = 0;
    loop {
        let next = sim.iterator_next(iter);
        if next == 0 {
            break;
        }
        let name = sim.registry_entry_get_name_in_plane(next, Some(plane));
        if found == 0 && name.as_deref() == Ok(child.as_bytes()) {
            found = next;
        } else {
            assert_eq!(sim.object_release(next), KernReturn::SUCCESS);
        }
    }
    assert_eq!(sim.object_release(iter), KernReturn::SUCCESS);
    assert_ne!(found, 0, "{child} is not a child in {plane}");
    found
}

/// Follows `path` (entry names) from the root in `plane`, releasing every intermediate name.
pub(crate) fn walk_to(sim: &SimKernel, plane: &str, path: &[&str]) -> Port {
    let mut cur = sim.registry_get_root_entry();
    for step in path {
        let next = child_named(sim, cur, plane, step);
        assert_eq!(sim.object_release(cur), KernReturn::SUCCESS);
        cur = next;
    }
    cur
}

/// Rules §1: the kernel count a live handle reports, `base + ports + 1` (the call in progress).
pub(crate) fn expected_kernel_count(sim: &SimKernel, registry_id: u64, live_ports: u32) -> u32 {
    sim.base_refs(registry_id).expect("known id") + live_ports + 1
}

/// A live send right with exactly `urefs` user references (rules §3 get_refs / type).
pub(crate) fn assert_live(sim: &SimKernel, name: Port, urefs: u32) {
    assert_eq!(
        sim.mach_port_type(name),
        Ok(port_type::SEND),
        "type of {name:#x}"
    );
    assert_eq!(send_refs(sim, name), Ok(urefs), "send urefs of {name:#x}");
    assert_eq!(dead_refs(sim, name), Ok(0), "dead-name urefs of {name:#x}");
    assert_eq!(sim.object_get_user_retain_count(name), urefs);
}

/// Every IOKit call on a stale handle fails the way §4's table says ("Any MIG routine"
/// column): `MACH_SEND_INVALID_DEST`, a kernel count of 0, no conformance, no next object.
pub(crate) fn assert_mig_fails(sim: &SimKernel, name: Port) {
    let dest = KernReturn::MACH_SEND_INVALID_DEST;
    assert_eq!(
        sim.object_get_class(name).err(),
        Some(dest),
        "IOObjectGetClass {name:#x}"
    );
    // `IORegistryEntryGetRegistryEntryID` sets *id = 0 and returns the code: at the seam, Err.
    assert_eq!(
        sim.registry_entry_get_registry_entry_id(name).err(),
        Some(dest)
    );
    assert_eq!(
        sim.registry_entry_get_path(name, IOSERVICE).err(),
        Some(dest)
    );
    assert_eq!(sim.service_get_busy_state_and_time(name).err(), Some(dest));
    assert_eq!(
        sim.registry_entry_get_name_in_plane(name, None).err(),
        Some(dest)
    );
    assert_eq!(
        sim.registry_entry_get_location_in_plane(name, None).err(),
        Some(dest)
    );
    assert_eq!(sim.registry_entry_create_properties(name).err(), Some(dest));
    assert_eq!(
        sim.registry_entry_get_child_iterator(name, IOSERVICE).err(),
        Some(dest)
    );
    assert!(!sim.object_conforms_to(name, "OSObject"));
    assert_eq!(sim.object_get_kernel_retain_count(name), 0);
    assert_eq!(sim.iterator_next(name), 0);
}

/// A name released to zero (§4 "Released name" column): not in our space at all.
pub(crate) fn assert_released(sim: &SimKernel, name: Port) {
    let invalid_name = Err(KernReturn::INVALID_NAME);
    assert_eq!(
        send_refs(sim, name),
        invalid_name,
        "get_refs SEND {name:#x}"
    );
    assert_eq!(dead_refs(sim, name), invalid_name);
    assert_eq!(sim.mach_port_type(name), invalid_name);
    assert_eq!(sim.object_get_user_retain_count(name), 0);
    assert!(!names(sim).contains_key(&name));
    assert_mig_fails(sim, name);
}

/// A dead name with `urefs` user references (§3 get_refs rows, §4 "Dead name" column).
pub(crate) fn assert_dead(sim: &SimKernel, name: Port, urefs: u32) {
    assert_eq!(
        sim.mach_port_type(name),
        Ok(port_type::DEAD_NAME),
        "type of {name:#x}"
    );
    assert_eq!(send_refs(sim, name), Ok(0), "get_refs SEND on a dead name");
    assert_eq!(
        dead_refs(sim, name),
        Ok(urefs),
        "dead-name urefs of {name:#x}"
    );
    assert_eq!(sim.object_get_user_retain_count(name), 0);
    assert_eq!(names(sim).get(&name), Some(&port_type::DEAD_NAME));
    assert_mig_fails(sim, name);
}

/// Drops whatever owns our handles (a session, a table) and checks that exactly the names
/// of `start` are left, with the same types: everything it held was given back.
pub(crate) fn assert_drop_restores<T>(sim: &SimKernel, owner: T, start: &BTreeMap<Port, u32>) {
    drop(owner);
    assert_eq!(names(sim), *start, "every name given back");
}

/// Releases a name `times` times, each `IOObjectRelease` succeeding.
pub(crate) fn release_n(sim: &SimKernel, name: Port, times: u32) {
    for _ in 0..times {
        assert_eq!(
            sim.object_release(name),
            KernReturn::SUCCESS,
            "release {name:#x}"
        );
    }
}
