//! Rules §2 and simulated-kernel rule 1: the same object comes back under the same name
//! with urefs + 1; freed names are reused LIFO with the generation + 4.

use super::support::*;
use crate::kernel::{IoKit, KernReturn, port_type, right};

/// §2 "Name format": fresh generations start at 0x03 and step by 4 (03, 07, 0b, …).
fn assert_generation_format(name: u32) {
    assert_eq!(
        generation(name) & 0x3,
        0x3,
        "{name:#x} does not end in 03/07/0b/…"
    );
}

#[test]
fn iterator_next_twice_gives_the_same_name_with_urefs_plus_one() {
    let sim = boot();
    let root = sim.registry_get_root_entry();
    let first_child = || {
        let iter = sim
            .registry_entry_get_child_iterator(root, IOSERVICE)
            .unwrap();
        let child = sim.iterator_next(iter);
        assert_ne!(child, 0);
        release_n(&sim, iter, 1);
        child
    };
    let a = first_child();
    assert_live(&sim, a, 1);
    let b = first_child();
    // §2 Rule: ipc_right_reverse finds our send right; ipc_right_copyout bumps urefs.
    assert_eq!(a, b);
    assert_live(&sim, a, 2);
}

#[test]
fn lookup_by_registry_id_twice_gives_the_same_name_with_urefs_plus_one() {
    let sim = boot();
    let id = flash_drive(&sim);
    let a = lookup(&sim, id);
    let b = lookup(&sim, id);
    assert_eq!(a, b);
    assert_live(&sim, a, 2);
    // Obtained through an iterator as well: still that one name.
    let iter = sim
        .service_get_matching_services("IOUSBHostDevice")
        .unwrap();
    let mut same = 0;
    loop {
        let n = sim.iterator_next(iter);
        if n == 0 {
            break;
        }
        if n == a {
            same += 1;
        } else {
            release_n(&sim, n, 1);
        }
    }
    release_n(&sim, iter, 1);
    assert_eq!(same, 1);
    assert_live(&sim, a, 3);
}

#[test]
fn root_entry_twice_is_one_name() {
    let sim = boot();
    let a = sim.registry_get_root_entry();
    let b = sim.registry_get_root_entry();
    assert_eq!(a, b);
    assert_live(&sim, a, 2);
}

#[test]
fn two_iterators_over_the_same_children_are_two_names() {
    // Each IORegistryEntryGetChildIterator creates a new iterator object: a new port.
    let sim = boot();
    let root = sim.registry_get_root_entry();
    let i1 = sim
        .registry_entry_get_child_iterator(root, IOSERVICE)
        .unwrap();
    let i2 = sim
        .registry_entry_get_child_iterator(root, IOSERVICE)
        .unwrap();
    assert_ne!(i1, i2);
    assert_live(&sim, i1, 1);
    assert_live(&sim, i2, 1);
}

#[test]
fn new_names_end_in_03_and_freed_slots_are_reused_lifo_with_generation_plus_4() {
    let sim = boot();
    let ids = [flash_drive(&sim), id_named(&sim, "Magic Keyboard")];
    let a = lookup(&sim, ids[0]);
    let b = lookup(&sim, ids[1]);
    for n in [a, b] {
        assert_generation_format(n);
        assert_eq!(
            generation(n),
            0x03,
            "a never-used slot starts at generation 03"
        );
    }
    assert_ne!(index(a), index(b));
    // Free a then b: the LIFO free list hands out b's slot first, then a's.
    release_n(&sim, a, 1);
    release_n(&sim, b, 1);
    let c = lookup(&sim, ids[0]);
    let d = lookup(&sim, ids[1]);
    assert_reused(b, c);
    assert_reused(a, d);
    assert_eq!(generation(c), 0x07);
    // The names differ from the freed ones only in the generation byte …
    assert_ne!(c, b);
    // … and the stale names fail the generation check although their slot is in use again.
    for stale in [a, b] {
        assert_eq!(send_refs(&sim, stale), Err(KernReturn::INVALID_NAME));
        assert_eq!(sim.mach_port_type(stale), Err(KernReturn::INVALID_NAME));
        assert_eq!(
            sim.object_get_class(stale),
            Err(KernReturn::MACH_SEND_INVALID_DEST)
        );
        assert_eq!(sim.object_release(stale), KernReturn::INVALID_NAME);
    }
    assert_live(&sim, c, 1);
    assert_live(&sim, d, 1);
}

#[test]
fn generation_rolls_over_after_its_period_so_a_very_old_name_aliases_the_slot() {
    // §2: the rollover period is 16, 32, 48 or 64 generations (xnu's `ipc_entry_new_gen`
    // modulo `IE_BITS_ROLL`: 15, 31, 47 or 63 distinct generations from 03), picked per
    // rollover by `ipc_space_get_rollpoint`. Only then can an old name alias the slot.
    let sim = boot();
    let id = flash_drive(&sim);
    let first = lookup(&sim, id);
    let mut seen = vec![first];
    for _ in 0..64 {
        release_n(&sim, *seen.last().unwrap(), 1);
        let n = lookup(&sim, id);
        assert_eq!(index(n), index(first));
        assert_generation_format(n);
        if n == first {
            break;
        }
        seen.push(n);
    }
    let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "no name twice within a period");
    assert!(
        [15, 31, 47, 63].contains(&seen.len()),
        "the first name came back after {} generations",
        seen.len()
    );
}

#[test]
fn mach_port_names_lists_every_name_with_its_type_bits() {
    let sim = boot();
    let boot_names = names(&sim);
    // Before IOKit is used the task holds only its runtime's receive rights.
    assert!(!boot_names.is_empty());
    assert!(boot_names.values().all(|&t| t == port_type::RECEIVE));

    let device = flash_drive(&sim);
    let live = lookup(&sim, id_named(&sim, "Magic Keyboard"));
    let iter = sim.service_get_matching_services("IOService").unwrap();
    let dead = lookup(&sim, device);
    let released = lookup(&sim, id_named(&sim, "USB Receiver"));
    release_n(&sim, released, 1);
    crate::kernel::PlugControl::toggle_device(&*sim, device).unwrap();

    let mut expected = boot_names.clone();
    expected.insert(live, port_type::SEND);
    expected.insert(iter, port_type::SEND);
    expected.insert(dead, port_type::DEAD_NAME);
    assert_eq!(names(&sim), expected);
    // The type bits agree with mach_port_type and get_refs for every listed name.
    for (&name, &bits) in &expected {
        assert_eq!(sim.mach_port_type(name), Ok(bits));
        let own_right = match bits {
            port_type::SEND => right::SEND,
            port_type::DEAD_NAME => right::DEAD_NAME,
            _ => right::RECEIVE,
        };
        assert_eq!(sim.mach_port_get_refs(name, own_right), Ok(1));
    }
}

/// xnu's `ipc_entry_new_gen` (osfmk/ipc/ipc_entry.h): +4 in the name's low byte modulo the
/// rollover point `IE_BITS_ROLL` (0xff, 0xbf, 0x7f, 0x3f for roll bits 0–3), which gives
/// periods of 63, 47, 31 and 15 generations before `ipc_entry_claim` restarts at 03.
#[test]
fn generations_follow_ipc_entry_new_gen_and_its_rollover_points() {
    use crate::kernel::sim::ports::next_generation;
    for (roll, last) in [(0u8, 0xfbu8), (1, 0xbb), (2, 0x7b), (3, 0x3b)] {
        let mut seen = vec![0x03u8];
        let mut g = 0x03;
        while let Some(next) = next_generation(g, roll) {
            g = next;
            seen.push(g);
        }
        assert_eq!(g, last, "roll bits {roll}");
        assert!(seen.iter().all(|g| g & 3 == 3), "names end in 03/07/0b/…");
        assert!(seen.windows(2).all(|w| w[1] == w[0] + 4));
        assert_eq!(seen.len(), usize::from(last - 3) / 4 + 1);
    }
}

/// Rules §2: a name released to zero fails the generation check from then on. Its slot is
/// claimed again at once (LIFO) and over and over, yet within a rollover period (at least
/// 15 reuses) no claim gives the old name back: an old name never comes back to life.
#[test]
fn a_released_name_is_not_handed_out_again_within_a_rollover_period() {
    let sim = boot();
    let id = flash_drive(&sim);
    let old = lookup(&sim, id);
    release_n(&sim, old, 1);
    let mut names_seen = std::collections::HashSet::new();
    for _ in 0..15 {
        // One claim and release of the freed slot per round (LIFO: always that slot).
        let again = lookup(&sim, id);
        assert_eq!(index(again), index(old));
        assert_ne!(again, old, "the old name was handed out again");
        assert!(
            names_seen.insert(again),
            "{again:#x} twice within one period"
        );
        assert_released(&sim, old);
        release_n(&sim, again, 1);
    }
}
