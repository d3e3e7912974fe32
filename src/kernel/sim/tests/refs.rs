//! Rules §1 and simulated-kernel rules 2–3: `IOObjectRetain` / `IOObjectRelease` move
//! our urefs by one; the kernel retain count is `base + 1 (port) + 1 (call)` and does not
//! follow our urefs; a name released to zero is gone (§3, §4 "Released name").

use super::support::*;
use crate::kernel::{IoKit, KernReturn};

#[test]
fn retain_and_release_move_urefs_by_one_and_leave_the_kernel_count_alone() {
    let sim = boot();
    let id = flash_drive(&sim);
    let name = lookup(&sim, id);
    // §1 "What the kernel count includes": one port, one call in progress.
    let kernel = expected_kernel_count(&sim, id, 1);
    assert_live(&sim, name, 1);
    assert_eq!(sim.object_get_kernel_retain_count(name), kernel);

    assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
    assert_live(&sim, name, 2);
    assert_eq!(sim.object_get_kernel_retain_count(name), kernel);

    // Obtaining again is a copyout onto the same port: urefs +1, kernel count unchanged.
    assert_eq!(lookup(&sim, id), name);
    assert_live(&sim, name, 3);
    assert_eq!(sim.object_get_kernel_retain_count(name), kernel);

    release_n(&sim, name, 2);
    assert_live(&sim, name, 1);
    assert_eq!(sim.object_get_kernel_retain_count(name), kernel);
}

#[test]
fn kernel_count_counts_the_object_and_the_connect_port() {
    // §2: one port per (object, type); each IOMachPort holds +1 on the object.
    let sim = boot();
    let device = lookup(&sim, flash_drive(&sim));
    let connect = sim.service_open(device).unwrap();
    let uc = child_named(&sim, device, IOSERVICE, "AppleUSBHostDeviceUserClient");
    let uc_id = sim.registry_entry_get_registry_entry_id(uc).unwrap();
    assert_ne!(uc, connect, "object port and connect port are two names");
    assert_eq!(
        sim.object_get_kernel_retain_count(uc),
        expected_kernel_count(&sim, uc_id, 2)
    );
    // Dropping our only connect uref destroys the connect port (no-senders).
    release_n(&sim, connect, 1);
    assert_released(&sim, connect);
    assert_eq!(
        sim.object_get_kernel_retain_count(uc),
        expected_kernel_count(&sim, uc_id, 1)
    );
}

#[test]
fn release_to_zero_frees_the_name_and_every_call_fails_as_on_a_mac() {
    let sim = boot();
    let id = flash_drive(&sim);
    let name = lookup(&sim, id);
    assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
    release_n(&sim, name, 2);
    // §3 get_refs / type, §4 table "Released name" column, MIG calls 0x10000003.
    assert_released(&sim, name);
    assert_eq!(sim.object_release(name), KernReturn::INVALID_NAME);
    assert_eq!(sim.object_retain(name), KernReturn::INVALID_NAME);
    // The object itself is unharmed: obtaining it again gives a new live name.
    let again = lookup(&sim, id);
    assert_ne!(again, name);
    assert_live(&sim, again, 1);
    assert_eq!(
        sim.object_get_kernel_retain_count(again),
        expected_kernel_count(&sim, id, 1)
    );
}

#[test]
fn a_released_iterator_yields_nothing() {
    // §4: IOIteratorNext on a released name returns 0, like an exhausted iterator.
    let sim = boot();
    let root = sim.registry_get_root_entry();
    let iter = sim
        .registry_entry_get_child_iterator(root, IOSERVICE)
        .unwrap();
    release_n(&sim, iter, 1);
    assert_eq!(sim.iterator_next(iter), 0);
    assert_released(&sim, iter);
}

#[test]
fn urefs_peg_at_65535_on_copyout_and_mod_refs() {
    let sim = boot();
    let id = flash_drive(&sim);
    let name = lookup(&sim, id);
    // mod_refs to 65534, then two copyouts: the first reaches the maximum, the second is
    // absorbed without error (§2 "Saturation on copyout").
    assert_eq!(sim.mach_port_mod_refs(name, 0, 65533), KernReturn::SUCCESS);
    assert_live(&sim, name, 65534);
    assert_eq!(lookup(&sim, id), name);
    assert_live(&sim, name, 65535);
    assert_eq!(lookup(&sim, id), name);
    assert_live(&sim, name, 65535);
    // IOObjectRetain on a pegged name: success, still pegged (§3 mod_refs "Overflow").
    assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
    assert_live(&sim, name, 65535);
    // A pegged name is not decremented by deallocate (§3 deallocate "Pegged urefs").
    release_n(&sim, name, 3);
    assert_live(&sim, name, 65535);
}

#[test]
fn mod_refs_overflow_pegs_in_one_step() {
    let sim = boot();
    let name = lookup(&sim, flash_drive(&sim));
    assert_eq!(sim.mach_port_mod_refs(name, 0, 65535), KernReturn::SUCCESS);
    assert_live(&sim, name, 65535);
}

#[test]
fn object_calls_on_a_connect_port_find_no_object() {
    // iokit_lookup_object_port accepts IKOT_IOKIT_OBJECT only: a connect port gives a NULL
    // object, so `is_io_object_get_class` answers kIOReturnBadArgument and
    // IOObjectGetKernelRetainCount returns 0 (§1). The send right itself is fine.
    let sim = boot();
    let device = lookup(&sim, flash_drive(&sim));
    let connect = sim.service_open(device).unwrap();
    assert_live(&sim, connect, 1);
    assert_eq!(
        sim.object_get_class(connect),
        Err(KernReturn::IO_RETURN_BAD_ARGUMENT)
    );
    assert_eq!(sim.object_get_kernel_retain_count(connect), 0);
    // IOServiceClose: the client goes, and so does our connect name (released to 0).
    assert_eq!(sim.service_close(connect), KernReturn::SUCCESS);
    assert_released(&sim, connect);
    // IOServiceClose on an object port: io_service_close finds no client
    // (kIOReturnBadArgument), and IOObjectRelease still takes our uref.
    assert_eq!(lookup(&sim, flash_drive(&sim)), device);
    assert_live(&sim, device, 2);
    assert_eq!(
        sim.service_close(device),
        KernReturn::IO_RETURN_BAD_ARGUMENT
    );
    assert_live(&sim, device, 1);
}

#[test]
fn the_kernel_count_saturates_at_0xfffe() {
    // §1: `taggedRetain` stops counting at 0xfffe; getRetainCount reads the low 16 bits.
    let sim = boot();
    let id = flash_drive(&sim);
    let name = lookup(&sim, id);
    let o = obj(&sim, id);
    let links = sim.base_refs(id).unwrap() - sim.lock().objs.get(o).extra_refs;
    let set_base = |base: u32| sim.lock().objs.get_mut(o).extra_refs = base - links;
    // base + 1 (port) + 1 (call), as long as that stays below the cap …
    for (base, reported) in [(0xfff0, 0xfff2), (0xfffc, 0xfffe)] {
        set_base(base);
        assert_eq!(sim.object_get_kernel_retain_count(name), reported);
    }
    // … and pinned at 0xfffe beyond it (not 0xffff, not wrapped to 0).
    for base in [0xfffd, 0xfffe, 0x2_0000] {
        set_base(base);
        assert_eq!(sim.object_get_kernel_retain_count(name), 0xfffe);
    }
}
