//! Live tests against the real I/O Registry (macOS only; type-checked elsewhere with
//! `cargo check --all-targets --target aarch64-apple-darwin`). Run on a Mac with `cargo test
//! --test macos_live`; no root needed.
//!
//! All tests share one Mach port name space (one process), and some release names to zero or
//! count them, so they run one at a time under [`serial`].
#![cfg(target_os = "macos")]

use ioscope::registry::{Registry, ServiceInfo, ServiceState, Value};
use ioscope::source::kernel::{HandleState, IoKit, KernReturn, Port, ServiceNotice, right};
use ioscope::source::macos::{IoObject, MacIoKit, session};
use ioscope::source::session::{LabOp, LiveSession};
use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn walk(session: &mut dyn LiveSession) -> Registry {
    match session.walk(&mut |_| {}) {
        Ok(registry) => registry,
        Err(code) => panic!("live walk failed: {}", code.explain()),
    }
}

/// Registry IDs of every IOService `IOServiceGetMatchingServices(IOServiceMatching("IOService"))`
/// returns; each object and the iterator are released through [`IoObject`].
fn matching_service_ids(kit: &MacIoKit) -> BTreeSet<u64> {
    let iterator = kit
        .service_get_matching_services("IOService")
        .map(IoObject::from_owned)
        .unwrap_or_else(|code| panic!("IOServiceGetMatchingServices: {}", code.explain()))
        .expect("an iterator");
    let mut ids = BTreeSet::new();
    while let Some(service) = IoObject::from_owned(kit.iterator_next(iterator.port())) {
        if let Ok(id) = kit.registry_entry_get_registry_entry_id(service.port()) {
            ids.insert(id);
        }
    }
    ids
}

/// IDs of the IOService-plane entries IOKit's matching considers: matched and active services.
fn walked_service_ids(registry: &Registry) -> BTreeSet<u64> {
    let plane = registry.plane("IOService").expect("an IOService plane");
    plane
        .walk()
        .filter_map(|(id, _)| {
            let entry = registry.entry(id);
            match entry.state {
                ServiceState::Service(info) if info.matched() && info.active() => entry.id,
                _ => None,
            }
        })
        .collect()
}

#[test]
fn walk_covers_every_plane_and_agrees_with_iokit_service_count() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let mut session = session();
    // Devices may come and go during a walk: a few attempts, then the difference is reported.
    let mut last = (BTreeSet::new(), BTreeSet::new());
    for _ in 0..3 {
        let registry = walk(session.as_mut());
        for name in ["IOService", "IODeviceTree", "IOPower"] {
            let plane = registry
                .plane(name)
                .unwrap_or_else(|| panic!("no {name} plane"));
            assert!(!plane.is_empty(), "{name} plane is empty");
        }
        let walked = walked_service_ids(&registry);
        let matched = matching_service_ids(&kit);
        if walked == matched {
            assert!(walked.len() > 50, "a real Mac has many services");
            return;
        }
        last = (walked, matched);
    }
    let (walked, matched) = last;
    panic!(
        "walked {} services, IOKit matched {}; only walked: {:x?}; only matched: {:x?}",
        walked.len(),
        matched.len(),
        walked.difference(&matched).collect::<Vec<_>>(),
        matched.difference(&walked).collect::<Vec<_>>()
    );
}

#[test]
fn port_name_count_is_unchanged_by_ten_refreshes() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let mut session = session();
    walk(session.as_mut());
    let before = kit.mach_port_names().expect("mach_port_names").len();
    for _ in 0..10 {
        walk(session.as_mut());
    }
    let after = kit.mach_port_names().expect("mach_port_names").len();
    assert_eq!(before, after, "port names leaked or lost across refreshes");
}

#[test]
fn released_handle_is_stale_and_calls_fail_with_invalid_dest() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let mut session = session();
    let registry = walk(session.as_mut());
    let plane = registry.plane("IOService").expect("an IOService plane");
    let entry = plane.roots()[0];
    let first = session.probe(entry).expect("the root has a handle");
    assert_eq!(first.state, HandleState::Valid);
    let refs = first.send_refs.expect("a live send right");
    assert!(refs >= 1);
    let mut last = first.clone();
    for _ in 0..refs {
        last = session
            .lab(entry, LabOp::Release)
            .expect("a probe after release");
    }
    assert!(last.state.is_stale(), "{last:?}");
    assert_eq!(last.state, HandleState::Released);
    assert_eq!(
        kit.object_get_class(first.port),
        Err(KernReturn::MACH_SEND_INVALID_DEST)
    );
    assert_eq!(
        kit.mach_port_get_refs(first.port, right::SEND),
        Err(KernReturn::INVALID_NAME)
    );
    assert_eq!(kit.object_get_user_retain_count(first.port), 0);
}

#[test]
fn raw_release_to_zero_makes_iokit_calls_fail() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let root = kit.registry_get_root_entry();
    assert_ne!(root, 0);
    assert_eq!(kit.object_get_class(root).as_deref(), Ok("IORegistryEntry"));
    let refs = kit
        .mach_port_get_refs(root, right::SEND)
        .expect("send refs");
    for _ in 0..refs {
        assert_eq!(kit.object_release(root), KernReturn::SUCCESS);
    }
    assert_eq!(
        kit.object_get_class(root),
        Err(KernReturn::MACH_SEND_INVALID_DEST)
    );
    assert_eq!(
        kit.mach_port_type(root),
        Err(KernReturn::INVALID_NAME),
        "the name left our space"
    );
    // Not tried: IOObjectRelease once more would give KERN_INVALID_NAME, but deallocating an
    // unknown name may raise a Mach port guard exception, which could end the test process.
}

#[test]
fn kernel_count_ignores_object_retain_while_user_count_moves() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let root = IoObject::from_owned(kit.registry_get_root_entry()).expect("the root");
    let port = root.port();
    // Another task touching the same object can move the kernel count for an instant; retry
    // until one retain/release cycle sees a quiet object.
    for _ in 0..10 {
        let (kernel_before, user_before) = counts(&kit, port);
        assert_eq!(kit.object_retain(port), KernReturn::SUCCESS);
        let (kernel_held, user_held) = counts(&kit, port);
        assert_eq!(kit.object_release(port), KernReturn::SUCCESS);
        let (kernel_after, user_after) = counts(&kit, port);
        assert_eq!(user_held, user_before + 1, "IOObjectRetain adds one uref");
        assert_eq!(user_after, user_before);
        if kernel_before == kernel_after {
            assert_eq!(
                kernel_held, kernel_before,
                "the kernel count moved with IOObjectRetain"
            );
            assert!(kernel_before >= 2, "port +1 and the call in progress +1");
            return;
        }
    }
    panic!("the root's kernel retain count never held still");
}

fn counts(kit: &MacIoKit, port: Port) -> (u32, u32) {
    (
        kit.object_get_kernel_retain_count(port),
        kit.object_get_user_retain_count(port),
    )
}

#[test]
fn the_same_entry_obtained_twice_has_the_same_name() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let a = IoObject::from_owned(kit.registry_get_root_entry()).expect("the root");
    let refs = kit.object_get_user_retain_count(a.port());
    let b = IoObject::from_owned(kit.registry_get_root_entry()).expect("the root again");
    assert_eq!(a.port(), b.port());
    assert_eq!(kit.object_get_user_retain_count(a.port()), refs + 1);

    let iterator = IoObject::from_owned(
        kit.service_get_matching_services("IOService")
            .expect("matching services"),
    )
    .expect("an iterator");
    let service = IoObject::from_owned(kit.iterator_next(iterator.port())).expect("a service");
    let id = kit
        .registry_entry_get_registry_entry_id(service.port())
        .expect("an id");
    let by_id = IoObject::from_owned(kit.service_get_matching_service_by_id(id)).expect("by id");
    let again = IoObject::from_owned(kit.service_get_matching_service_by_id(id)).expect("again");
    assert_eq!(by_id.port(), service.port());
    assert_eq!(again.port(), service.port());
}

#[test]
fn root_properties_convert_through_the_neutral_rules() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let root = IoObject::from_owned(kit.registry_get_root_entry()).expect("the root");
    let props = kit
        .registry_entry_create_properties(root.port())
        .unwrap_or_else(|code| panic!("properties: {}", code.explain()));
    let planes = props
        .iter()
        .find(|(k, _)| k == "IORegistryPlanes")
        .map(|(_, v)| v);
    let Some(Value::Dict(planes)) = planes else {
        panic!("IORegistryPlanes is a dictionary: {planes:?}");
    };
    assert!(planes.iter().any(|(k, _)| k == "IOService"));
}

#[test]
fn busy_state_of_a_service_reads() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let iterator = IoObject::from_owned(
        kit.service_get_matching_services("IOService")
            .expect("matching services"),
    )
    .expect("an iterator");
    let service = IoObject::from_owned(kit.iterator_next(iterator.port())).expect("a service");
    let busy = kit
        .service_get_busy_state_and_time(service.port())
        .unwrap_or_else(|code| panic!("busy state: {}", code.explain()));
    // IOServiceGetMatchingServices only returns matched services.
    assert_ne!(busy.state & ServiceInfo::MATCHED, 0, "{busy:?}");
}

#[test]
fn watching_services_starts_and_stops_without_leaking_names() {
    let _serial = serial();
    let kit = MacIoKit::new();
    // The first run loop in a process also creates the main thread's (ports that stay): warm up.
    watch_once(&kit);
    let before = kit.mach_port_names().expect("names").len();
    watch_once(&kit);
    let after = kit.mach_port_names().expect("names").len();
    assert_eq!(
        before, after,
        "the notification port, iterators or run loop leaked"
    );
}

fn watch_once(kit: &MacIoKit) {
    let (sink, notices) = std::sync::mpsc::channel();
    let watch = kit.watch_services(sink).expect("notifications armed");
    drop(watch);
    // A notice that slipped through owns a reference: give it back.
    for notice in notices.try_iter() {
        let (ServiceNotice::FirstPublished(port) | ServiceNotice::Terminated(port)) = notice;
        drop(IoObject::from_owned(port));
    }
}
