//! The handle table (RAII): it owns exactly `held` urefs per handle and gives them back on
//! drop; extra references IOKit hands out for a name it holds are returned at once.

use super::support::*;
use crate::kernel::handles::HandleTable;
use crate::kernel::sim::SimKernel;
use crate::kernel::{IoKit, KernReturn, PlugControl};
use crate::registry::EntryId;
use std::sync::Arc;

/// A table holding one handle on the flash drive (bound as entry 0).
fn table_with_device(sim: &Arc<SimKernel>) -> (HandleTable<SimKernel>, u64, u32) {
    let id = flash_drive(sim);
    let name = lookup(sim, id);
    let mut table = HandleTable::new(sim.clone());
    table.adopt(id, name);
    table.bind(vec![Some(id)]);
    (table, id, name)
}

#[test]
fn drop_releases_what_the_table_holds() {
    let sim = boot();
    let start = names(&sim);
    let (table, _, name) = table_with_device(&sim);
    assert_live(&sim, name, 1);
    assert_eq!(table.get(EntryId(0)).unwrap().held, 1);
    drop(table);
    assert_released(&sim, name);
    assert_eq!(names(&sim), start);
}

#[test]
fn adopting_a_name_already_held_gives_the_extra_uref_back() {
    let sim = boot();
    let (mut table, id, name) = table_with_device(&sim);
    // Obtained again: the same name, urefs 2 (§2) until the table adopts it.
    assert_eq!(lookup(&sim, id), name);
    assert_live(&sim, name, 2);
    table.adopt(id, name);
    assert_live(&sim, name, 1);
    assert_eq!(table.len(), 1);
    assert_eq!(table.get(EntryId(0)).unwrap().held, 1);
}

#[test]
fn drop_releases_every_uref_the_lab_added() {
    let sim = boot();
    let (mut table, _, name) = table_with_device(&sim);
    for _ in 0..3 {
        assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
        table.get_mut(EntryId(0)).unwrap().held += 1;
    }
    assert_live(&sim, name, 4);
    drop(table);
    assert_released(&sim, name);
}

#[test]
fn a_stale_handle_is_replaced_and_its_dead_name_released() {
    let sim = boot();
    let (mut table, id, dead) = table_with_device(&sim);
    sim.toggle_device(id).unwrap();
    sim.toggle_device(id).unwrap();
    let new_id = flash_drive(&sim);
    let fresh = lookup(&sim, new_id);
    // Same key (as if the entry were matched by a stable identity), a different name.
    table.adopt(id, fresh);
    assert_released(&sim, dead);
    assert_live(&sim, fresh, 1);
    assert_eq!(table.get(EntryId(0)).unwrap().port, fresh);
    drop(table);
    assert_released(&sim, fresh);
}

#[test]
fn release_except_drops_the_vanished_handles_only() {
    let sim = boot();
    let (mut table, id, device) = table_with_device(&sim);
    let keyboard_id = id_named(&sim, "Magic Keyboard");
    let keyboard = lookup(&sim, keyboard_id);
    table.adopt(keyboard_id, keyboard);
    table.release_except(&[keyboard_id].into_iter().collect());
    assert_released(&sim, device);
    assert_live(&sim, keyboard, 1);
    assert!(table.by_registry_id(id).is_none());
    assert_eq!(table.len(), 1);
}

#[test]
fn drop_frees_dead_names_too() {
    let sim = boot();
    let (table, id, name) = table_with_device(&sim);
    sim.toggle_device(id).unwrap();
    assert_dead(&sim, name, 1);
    drop(table);
    assert_released(&sim, name);
}

#[test]
fn a_pegged_name_stays_pegged_after_drop() {
    // §3 deallocate: pegged urefs are not decremented, so the table cannot free it.
    let sim = boot();
    let (table, _, name) = table_with_device(&sim);
    assert_eq!(sim.mach_port_mod_refs(name, 0, 65535), KernReturn::SUCCESS);
    drop(table);
    assert_live(&sim, name, 65535);
}
