//! Rules §3 tables: `mach_port_get_refs`, `mach_port_type`, `mach_port_deallocate` and
//! `mach_port_mod_refs` edge cases, and the special names NULL and DEAD (§3, §4 "handle 0").

use super::support::*;
use crate::kernel::sim::SimKernel;
use crate::kernel::{IoKit, KernReturn, MACH_PORT_DEAD, MACH_PORT_NULL, Port, port_type, right};

const LABELH: u32 = 5;
const ALL_RIGHTS: [u32; 6] = [
    right::SEND,
    right::RECEIVE,
    right::SEND_ONCE,
    right::PORT_SET,
    right::DEAD_NAME,
    LABELH,
];

/// One of the runtime's receive rights (the task's own ports, held before IOKit is used).
fn receive_name(sim: &SimKernel) -> Port {
    *names(sim)
        .iter()
        .find(|(_, t)| **t == port_type::RECEIVE)
        .expect("a receive right")
        .0
}

/// §3/§4: NULL and DEAD behave alike except for `mach_port_type`.
fn assert_special_name(sim: &SimKernel, name: Port, port_type: Result<u32, KernReturn>) {
    let before = names(sim);
    // get_refs: SEND / SEND_ONCE → success with 1; any other right → KERN_INVALID_NAME.
    for r in ALL_RIGHTS {
        let expected = match r {
            right::SEND | right::SEND_ONCE => Ok(1),
            _ => Err(KernReturn::INVALID_NAME),
        };
        assert_eq!(
            sim.mach_port_get_refs(name, r),
            expected,
            "get_refs({name:#x}, {r})"
        );
    }
    assert_eq!(
        sim.mach_port_get_refs(name, right::NUMBER),
        Err(KernReturn::INVALID_VALUE)
    );
    assert_eq!(sim.mach_port_type(name), port_type);
    // mod_refs: same split (SEND / SEND_ONCE succeed and do nothing).
    for r in ALL_RIGHTS {
        let expected = match r {
            right::SEND | right::SEND_ONCE => KernReturn::SUCCESS,
            _ => KernReturn::INVALID_NAME,
        };
        assert_eq!(
            sim.mach_port_mod_refs(name, r, 1),
            expected,
            "mod_refs({r})"
        );
    }
    assert_eq!(
        sim.mach_port_mod_refs(name, right::NUMBER, 1),
        KernReturn::INVALID_VALUE
    );
    // IOObjectRelease / IOObjectRetain succeed; IOObjectGetUserRetainCount gives 1.
    assert_eq!(sim.object_release(name), KernReturn::SUCCESS);
    assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
    assert_eq!(sim.object_get_user_retain_count(name), 1);
    // Every MIG call: MACH_SEND_INVALID_DEST (ipc_kmsg.c:1779, !MACH_PORT_VALID).
    assert_mig_fails(sim, name);
    assert_eq!(names(sim), before, "nothing changed in the space");
}

#[test]
fn mach_port_null_is_handle_zero() {
    let sim = boot();
    assert_special_name(&sim, MACH_PORT_NULL, Err(KernReturn::INVALID_NAME));
}

#[test]
fn mach_port_dead_reports_a_dead_name_type() {
    let sim = boot();
    assert_special_name(&sim, MACH_PORT_DEAD, Ok(port_type::DEAD_NAME));
}

#[test]
fn get_refs_of_a_live_send_right_per_right() {
    let sim = boot();
    let name = lookup(&sim, flash_drive(&sim));
    assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
    // "Returns zero if the name denotes a right, but not the queried right."
    for (r, expected) in [
        (right::SEND, 2),
        (right::RECEIVE, 0),
        (right::SEND_ONCE, 0),
        (right::PORT_SET, 0),
        (right::DEAD_NAME, 0),
    ] {
        assert_eq!(sim.mach_port_get_refs(name, r), Ok(expected), "right {r}");
    }
    for r in [right::NUMBER, 7, u32::MAX] {
        assert_eq!(
            sim.mach_port_get_refs(name, r),
            Err(KernReturn::INVALID_VALUE)
        );
    }
}

#[test]
fn a_receive_right_answers_zero_for_send_and_refuses_iokit() {
    let sim = boot();
    let name = receive_name(&sim);
    assert_eq!(sim.mach_port_type(name), Ok(port_type::RECEIVE));
    // get_refs: "Receive-only right, queried as SEND → KERN_SUCCESS with 0" (not INVALID_RIGHT).
    assert_eq!(sim.mach_port_get_refs(name, right::SEND), Ok(0));
    assert_eq!(sim.mach_port_get_refs(name, right::RECEIVE), Ok(1));
    assert_eq!(sim.object_get_user_retain_count(name), 0);
    // deallocate: receive-only → KERN_INVALID_RIGHT, the right stays.
    assert_eq!(sim.object_release(name), KernReturn::INVALID_RIGHT);
    // mod_refs(SEND) on an entry with no SEND bit → KERN_INVALID_RIGHT; IOObjectRetain then
    // tries DEAD_NAME, which the entry lacks too.
    assert_eq!(
        sim.mach_port_mod_refs(name, right::SEND, 1),
        KernReturn::INVALID_RIGHT
    );
    assert_eq!(sim.object_retain(name), KernReturn::INVALID_RIGHT);
    // RECEIVE accepts only 0 or −1.
    assert_eq!(
        sim.mach_port_mod_refs(name, right::RECEIVE, 1),
        KernReturn::INVALID_VALUE
    );
    assert_eq!(
        sim.mach_port_mod_refs(name, right::RECEIVE, -2),
        KernReturn::INVALID_VALUE
    );
    assert_eq!(
        sim.mach_port_mod_refs(name, right::RECEIVE, 0),
        KernReturn::SUCCESS
    );
    assert_eq!(sim.mach_port_type(name), Ok(port_type::RECEIVE));
    // Rule 5: a MIG call to a receive-only right → MACH_SEND_INVALID_DEST.
    assert_mig_fails(&sim, name);
    // −1 destroys the receive right: the name is freed.
    assert_eq!(
        sim.mach_port_mod_refs(name, right::RECEIVE, -1),
        KernReturn::SUCCESS
    );
    assert_eq!(sim.mach_port_type(name), Err(KernReturn::INVALID_NAME));
}

#[test]
fn mod_refs_on_a_send_right_follows_ipc_right_delta() {
    let sim = boot();
    let name = lookup(&sim, flash_drive(&sim));
    let mod_refs = |r, delta| sim.mach_port_mod_refs(name, r, delta);
    // right >= MACH_PORT_RIGHT_NUMBER → KERN_INVALID_VALUE.
    assert_eq!(mod_refs(right::NUMBER, 1), KernReturn::INVALID_VALUE);
    // Rights the entry does not have → KERN_INVALID_RIGHT.
    for r in [
        right::DEAD_NAME,
        right::RECEIVE,
        right::SEND_ONCE,
        right::PORT_SET,
    ] {
        assert_eq!(mod_refs(r, 1), KernReturn::INVALID_RIGHT, "right {r}");
    }
    // |delta| > 65535 → KERN_INVALID_VALUE; so is a result below 0.
    assert_eq!(mod_refs(right::SEND, 65536), KernReturn::INVALID_VALUE);
    assert_eq!(mod_refs(right::SEND, -65536), KernReturn::INVALID_VALUE);
    assert_eq!(mod_refs(right::SEND, i32::MIN), KernReturn::INVALID_VALUE);
    assert_eq!(mod_refs(right::SEND, -2), KernReturn::INVALID_VALUE);
    assert_live(&sim, name, 1);
    // Delta 0 is a no-op; +4 adds four.
    assert_eq!(mod_refs(right::SEND, 0), KernReturn::SUCCESS);
    assert_eq!(mod_refs(right::SEND, 4), KernReturn::SUCCESS);
    assert_live(&sim, name, 5);
    // Overflow pegs: delta = MACH_PORT_UREFS_MAX - urefs.
    assert_eq!(mod_refs(right::SEND, 65535), KernReturn::SUCCESS);
    assert_live(&sim, name, 65535);
    // Already pegged: any delta but −65535 becomes 0.
    for delta in [1, -1, -65534, 65535] {
        assert_eq!(mod_refs(right::SEND, delta), KernReturn::SUCCESS);
        assert_live(&sim, name, 65535);
    }
    // −65535 takes all of them: the result reaches 0 and the right is freed.
    assert_eq!(mod_refs(right::SEND, -65535), KernReturn::SUCCESS);
    assert_released(&sim, name);
    assert_eq!(mod_refs(right::SEND, 1), KernReturn::INVALID_NAME);
}

#[test]
fn mod_refs_to_exactly_zero_frees_the_name() {
    let sim = boot();
    let name = lookup(&sim, flash_drive(&sim));
    assert_eq!(sim.object_retain(name), KernReturn::SUCCESS);
    assert_eq!(
        sim.mach_port_mod_refs(name, right::SEND, -2),
        KernReturn::SUCCESS
    );
    assert_released(&sim, name);
}

#[test]
fn names_never_handed_out_are_invalid() {
    let sim = boot();
    let unused_index = names(&sim).keys().map(|&n| index(n)).max().unwrap() + 100;
    // Index 0 with a generation is not MACH_PORT_NULL but is no entry either.
    for name in [0x03, (unused_index << 8) | 0x03] {
        assert_eq!(sim.mach_port_type(name), Err(KernReturn::INVALID_NAME));
        assert_eq!(
            sim.mach_port_get_refs(name, right::SEND),
            Err(KernReturn::INVALID_NAME)
        );
        assert_eq!(sim.object_release(name), KernReturn::INVALID_NAME);
        assert_eq!(
            sim.mach_port_mod_refs(name, right::SEND, 1),
            KernReturn::INVALID_NAME
        );
        assert_mig_fails(&sim, name);
    }
}
