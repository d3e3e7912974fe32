//! Rules §4 and simulated-kernel rule 4: unplugging terminates the device's service
//! subtree; our names for those services (and for user clients among them) become dead
//! names, which keep their urefs and can still be retained and released.

use super::support::*;
use crate::kernel::{IoKit, KernReturn, PlugControl, port_type, right};
use crate::registry::ServiceInfo;

#[test]
fn unplug_turns_every_name_in_the_subtree_into_a_dead_name() {
    let sim = boot();
    let device = flash_drive(&sim);
    let subtree = service_subtree(&sim, device);
    assert!(subtree.len() > 5, "device, interface and a driver stack");
    let held: Vec<_> = subtree.iter().map(|&id| lookup(&sim, id)).collect();
    // The device twice: its name carries 2 urefs into death.
    assert_eq!(lookup(&sim, device), held[0]);
    let event = sim.toggle_device(device).unwrap();
    // Terminated: the device and its clients, the IOService subtree in pre-order (§4
    // "terminates the provider and its clients").
    assert_eq!(event.terminated, subtree);
    for &name in &held[1..] {
        assert_dead(&sim, name, 1);
    }
    assert_dead(&sim, held[0], 2);
    // A terminated service is no longer found by ID.
    assert_eq!(sim.service_get_matching_service_by_id(device), 0);
}

#[test]
fn a_dead_name_is_released_down_to_freed_and_then_is_invalid() {
    let sim = boot();
    let device = flash_drive(&sim);
    let name = lookup(&sim, device);
    assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
    sim.toggle_device(device).unwrap();
    assert_dead(&sim, name, 2);
    // §3 deallocate: a send right whose port died is converted, then decremented.
    assert_eq!(sim.object_release(name), KernReturn::SUCCESS);
    assert_dead(&sim, name, 1);
    assert_eq!(sim.object_release(name), KernReturn::SUCCESS);
    assert_released(&sim, name);
    assert_eq!(sim.object_release(name), KernReturn::INVALID_NAME);
}

#[test]
fn retaining_a_dead_name_adds_a_dead_name_uref() {
    let sim = boot();
    let device = flash_drive(&sim);
    let name = lookup(&sim, device);
    sim.toggle_device(device).unwrap();
    // The raw call the old IOKitUser (≤ 1483.260.4) made: KERN_INVALID_RIGHT.
    assert_eq!(
        sim.mach_port_mod_refs(name, right::SEND, 1),
        KernReturn::INVALID_RIGHT
    );
    assert_dead(&sim, name, 1);
    // IOObjectRetain (≥ 1726.11.1) falls back to MACH_PORT_RIGHT_DEAD_NAME.
    assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
    assert_dead(&sim, name, 2);
    // mod_refs(DEAD_NAME) follows ipc_right_delta like SEND: below 0 is refused.
    assert_eq!(
        sim.mach_port_mod_refs(name, right::DEAD_NAME, -3),
        KernReturn::INVALID_VALUE
    );
    assert_eq!(
        sim.mach_port_mod_refs(name, right::DEAD_NAME, -2),
        KernReturn::SUCCESS
    );
    assert_released(&sim, name);
}

#[test]
fn user_clients_in_the_subtree_die_with_both_their_names() {
    let sim = boot();
    let device = flash_drive(&sim);
    let dev = lookup(&sim, device);
    // Our own user client (IOServiceOpen): a connect port; its object port from iteration.
    let connect = sim.service_open(dev).unwrap();
    let uc = child_named(&sim, dev, IOSERVICE, "AppleUSBHostDeviceUserClient");
    assert_eq!(sim.mach_port_type(connect), Ok(port_type::SEND));
    sim.toggle_device(device).unwrap();
    assert_dead(&sim, uc, 1);
    // "io_connect_t: the same destroyUserReferences(uc) also handles the connect port."
    assert_dead(&sim, connect, 1);
    // IOServiceClose on the dead connect: io_service_close fails at mach_msg, and the
    // unconditional IOObjectRelease still gives back our uref.
    assert_eq!(
        sim.service_close(connect),
        KernReturn::MACH_SEND_INVALID_DEST
    );
    assert_released(&sim, connect);
    assert_dead(&sim, dev, 1);
}

#[test]
fn other_tasks_user_clients_die_too() {
    // The iPhone's device user client (opened by another process) is in its subtree.
    let sim = boot();
    let device = id_named(&sim, "iPhone");
    let dev = lookup(&sim, device);
    let uc = child_named(&sim, dev, IOSERVICE, "AppleUSBHostDeviceUserClient");
    assert_live(&sim, uc, 1);
    sim.toggle_device(device).unwrap();
    assert_dead(&sim, uc, 1);
    assert_dead(&sim, dev, 1);
}

#[test]
fn entries_outside_the_subtree_are_untouched() {
    let sim = boot();
    let keyboard = lookup(&sim, id_named(&sim, "Magic Keyboard"));
    let root = sim.registry_get_root_entry();
    sim.toggle_device(flash_drive(&sim)).unwrap();
    assert_live(&sim, keyboard, 1);
    assert_live(&sim, root, 1);
    assert_eq!(sim.object_get_class(keyboard), Ok("IOUSBHostDevice".into()));
}

#[test]
fn power_connections_are_detached_not_terminated() {
    // PMstop → removePowerChild only detaches the IOPowerConnection nubs; they are no
    // termination victims, so our names for them stay live (like any detached entry).
    let sim = boot();
    let device = flash_drive(&sim);
    let dev = lookup(&sim, device);
    let iter = sim
        .registry_entry_get_child_iterator(dev, "IOPower")
        .unwrap();
    let nub = sim.iterator_next(iter);
    release_n(&sim, iter, 1);
    assert_eq!(sim.object_get_class(nub), Ok("IOPowerConnection".into()));
    let event = sim.toggle_device(device).unwrap();
    assert!(
        event
            .terminated
            .iter()
            .all(|&id| class_of(&sim, id) != "IOPowerConnection")
    );
    assert_dead(&sim, dev, 1);
    assert_live(&sim, nub, 1);
    assert_eq!(sim.object_get_class(nub), Ok("IOPowerConnection".into()));
    let busy = sim.service_get_busy_state_and_time(nub).unwrap();
    assert_eq!(busy.state & ServiceInfo::INACTIVE, 0, "not terminated");
    assert_eq!(
        sim.registry_entry_get_path(nub, "IOPower"),
        Err(KernReturn::IO_RETURN_BAD_ARGUMENT),
        "detached"
    );
}
