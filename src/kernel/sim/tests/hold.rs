//! Rules §4 "Exception": a terminated notification from user space sets
//! `machPortHoldDestroy`, so the service's object port survives termination; non-service
//! registry entries never pass through `destroyUserReferences` at all.

use super::support::*;
use crate::kernel::{IoKit, KernReturn, PlugControl, ServiceNotice, port_type};
use crate::registry::ServiceInfo;
use std::sync::mpsc::channel;

#[test]
fn a_terminated_notification_holds_the_object_port() {
    let sim = boot();
    let device = flash_drive(&sim);
    let name = lookup(&sim, device);
    let (tx, rx) = channel();
    let watch = sim.watch_services(tx).unwrap();
    let event = sim.toggle_device(device).unwrap();
    // One terminated notice per terminated service, each carrying a new reference; the
    // device's arrives under the name we already hold (§2: same name, urefs + 1).
    let notices: Vec<ServiceNotice> = rx.try_iter().collect();
    assert_eq!(notices.len(), event.terminated.len());
    assert_eq!(notices[0], ServiceNotice::Terminated(name));
    assert_live(&sim, name, 2);
    // Still a live send right: IOObjectGetClass works, the busy state says inactive …
    assert_eq!(sim.object_get_class(name), Ok("IOUSBHostDevice".into()));
    assert_eq!(sim.registry_entry_get_registry_entry_id(name), Ok(device));
    let busy = sim.service_get_busy_state_and_time(name).unwrap();
    assert_eq!(busy.state & ServiceInfo::INACTIVE, ServiceInfo::INACTIVE);
    // … and the path fails with kIOReturnBadArgument once the entry is detached.
    assert_eq!(
        sim.registry_entry_get_path(name, IOSERVICE),
        Err(KernReturn::IO_RETURN_BAD_ARGUMENT)
    );
    // The IOMachPort keeps the object: base (no plane links left) + port + call.
    assert_eq!(
        sim.object_get_kernel_retain_count(name),
        expected_kernel_count(&sim, device, 1)
    );
    drop(watch);
    // Releasing every uref frees the name (no-senders destroys the held port).
    for notice in notices {
        let (ServiceNotice::Terminated(p) | ServiceNotice::FirstPublished(p)) = notice;
        release_n(&sim, p, 1);
    }
    assert_live(&sim, name, 1);
    release_n(&sim, name, 1);
    assert_released(&sim, name);
}

#[test]
fn a_held_user_client_keeps_its_object_port_but_loses_its_connect_port() {
    // destroyUserReferences: releasePortForObject(IKOT_IOKIT_OBJECT) honours the hold flag;
    // the IKOT_IOKIT_CONNECT half disables the connect port regardless (xnu
    // IOUserClient.cpp; rules §4 "io_connect_t").
    let sim = boot();
    let device = flash_drive(&sim);
    let dev = lookup(&sim, device);
    let connect = sim.service_open(dev).unwrap();
    let uc = child_named(&sim, dev, IOSERVICE, "AppleUSBHostDeviceUserClient");
    let (tx, rx) = channel();
    let _watch = sim.watch_services(tx).unwrap();
    sim.toggle_device(device).unwrap();
    let notices = rx.try_iter().count();
    assert!(notices > 0);
    assert_eq!(sim.mach_port_type(uc), Ok(port_type::SEND));
    assert_eq!(
        sim.object_get_class(uc),
        Ok("AppleUSBHostDeviceUserClient".into())
    );
    assert_dead(&sim, connect, 1);
}

#[test]
fn plain_entries_stay_valid_when_detached() {
    // "Non-IOService registry entries … never pass through destroyUserReferences. A handle
    // to one keeps it alive and valid even after it is detached."
    let sim = boot();
    let efi = walk_to(&sim, DEVICE_TREE, &["/", "efi"]);
    let id = sim.registry_entry_get_registry_entry_id(efi).unwrap();
    assert!(sim.registry_entry_get_path(efi, DEVICE_TREE).is_ok());
    sim.detach_entry(id).unwrap();
    assert_live(&sim, efi, 1);
    assert_eq!(sim.object_get_class(efi), Ok("IORegistryEntry".into()));
    assert_eq!(sim.registry_entry_get_registry_entry_id(efi), Ok(id));
    // Not a service: is_io_service_get_state's CHECK(IOService, …) fails.
    assert_eq!(
        sim.service_get_busy_state_and_time(efi),
        Err(KernReturn::IO_RETURN_BAD_ARGUMENT)
    );
    assert_eq!(
        sim.registry_entry_get_name_in_plane(efi, None),
        Ok(b"efi".to_vec())
    );
    assert_eq!(
        sim.registry_entry_get_path(efi, DEVICE_TREE),
        Err(KernReturn::IO_RETURN_BAD_ARGUMENT)
    );
    assert_eq!(
        sim.object_get_kernel_retain_count(efi),
        expected_kernel_count(&sim, id, 1)
    );
}

#[test]
fn terminating_a_plain_entry_leaves_its_port_alone() {
    // The sim's terminate() runs destroyUserReferences only for IOService victims.
    let sim = boot();
    let chosen = walk_to(&sim, DEVICE_TREE, &["/", "chosen"]);
    let id = sim.registry_entry_get_registry_entry_id(chosen).unwrap();
    let victim = obj(&sim, id);
    sim.lock().terminate(&[victim]);
    assert_live(&sim, chosen, 1);
    assert_eq!(sim.object_get_class(chosen), Ok("IORegistryEntry".into()));
}

#[test]
fn device_tree_handles_survive_an_unplug() {
    let sim = boot();
    let efi = walk_to(&sim, DEVICE_TREE, &["/", "efi"]);
    sim.toggle_device(flash_drive(&sim)).unwrap();
    assert_live(&sim, efi, 1);
    assert!(sim.registry_entry_get_path(efi, DEVICE_TREE).is_ok());
}
