//! Rules §2 "Getting a different name" and §4: a replugged device is a new object with
//! new registry IDs behind a new port; the old dead names stay dead until released.

use super::support::*;
use crate::kernel::sim::machine::HOTPLUG_DEVICE;
use crate::kernel::{IoKit, PlugControl};

#[test]
fn replug_gives_new_registry_ids_and_new_names_while_old_dead_names_stay_dead() {
    let sim = boot();
    let old_id = flash_drive(&sim);
    let old_subtree = service_subtree(&sim, old_id);
    let old_name = lookup(&sim, old_id);
    sim.toggle_device(old_id).unwrap();
    assert_dead(&sim, old_name, 1);

    let event = sim.toggle_device(old_id).unwrap();
    let new_id = flash_drive(&sim);
    assert_ne!(new_id, old_id);
    // Registry IDs are never reused: every new ID is above every old one.
    let newest_old = *old_subtree.iter().max().unwrap();
    let new_subtree = service_subtree(&sim, new_id);
    assert_eq!(new_subtree.len(), old_subtree.len());
    assert!(new_subtree.iter().all(|&id| id > newest_old));
    assert_eq!(event.published, new_subtree);

    let new_name = lookup(&sim, new_id);
    assert_ne!(new_name, old_name);
    assert_live(&sim, new_name, 1);
    assert_eq!(
        sim.registry_entry_get_name_in_plane(new_name, None),
        Ok(HOTPLUG_DEVICE.as_bytes().to_vec())
    );
    // The old name is still a dead name with its uref; the old ID finds nothing.
    assert_dead(&sim, old_name, 1);
    assert_eq!(sim.service_get_matching_service_by_id(old_id), 0);
    // Toggling the old instance again is refused: it was already replugged.
    assert!(sim.toggle_device(old_id).is_err());
    release_n(&sim, old_name, 1);
    assert_released(&sim, old_name);
    assert_live(&sim, new_name, 1);
}

#[test]
fn a_released_dead_names_slot_is_reused_by_the_replugged_device() {
    // §2: LIFO free list, generation + 4, whatever object the new name is for.
    let sim = boot();
    let old_id = flash_drive(&sim);
    let old_name = lookup(&sim, old_id);
    sim.toggle_device(old_id).unwrap();
    release_n(&sim, old_name, 1);
    sim.toggle_device(old_id).unwrap();
    let new_name = lookup(&sim, flash_drive(&sim));
    assert_reused(old_name, new_name);
}
