//! Live tests against the real I/O Registry (macOS only; elsewhere this file is empty, and it is
//! type-checked with `cargo clippy --all-targets --target aarch64-apple-darwin`). Run on a Mac
//! with `cargo test --test macos_live`; no root needed.
//!
//! What they prove (issue 5):
//! - (a) a walk of every plane agrees with `IOServiceGetMatchingServices(IOServiceMatching("IOService"))`;
//! - (b) ten full refreshes leave the task's port-name count (`mach_port_names`) where it was;
//! - (c) a handle released to zero makes `IOObjectGetClass` return 0x10000003, and the probe
//!   reports it stale;
//! - (d) `IOObjectRetain` moves the user count, not the kernel retain count;
//! - (e) the same entry obtained twice has the same port name;
//!
//! plus: properties that do not come back in time are reported on their entry and the walk goes
//! on; `ioscope dump` writes the live registry in every format; notifications start and stop
//! without leaking names; the CF conversion and `IOServiceGetBusyStateAndTime` work live;
//! classes are the kernel's own (`_IOObjectGetClass` with `kIOClassNameOverrideNone`, issue 16),
//! and paths come from `IORegistryEntryCopyPath` with the kernel's codes on failure.
//!
//! All tests share one Mach port name space (one process), and some release names to zero or
//! count them, so they run one at a time under [`serial`].
#![cfg(target_os = "macos")]

use ioscope::formats::Limits;
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::kernel::macos::{IoObject, MacIoKit, session, walk_session};
use ioscope::kernel::session::{LabOp, LiveSession};
use ioscope::kernel::{HandleState, IoKit, KernReturn, KernelSession, Port, ServiceNotice, right};
use ioscope::registry::{Origin, Properties, Registry, ServiceInfo, ServiceState, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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

/// Registry IDs of every service `IOServiceGetMatchingServices(IOServiceMatching("IOService"))`
/// returns; each object and the iterator are released through [`IoObject`].
fn matching_service_ids(kit: &MacIoKit) -> BTreeSet<u64> {
    let iterator = match kit.service_get_matching_services("IOService") {
        Ok(port) => IoObject::from_owned(port),
        Err(code) => panic!("IOServiceGetMatchingServices: {}", code.explain()),
    };
    let Some(iterator) = iterator else {
        panic!("IOServiceGetMatchingServices gave no iterator");
    };
    let mut ids = BTreeSet::new();
    while let Some(service) = IoObject::from_owned(kit.iterator_next(iterator.port())) {
        if let Ok(id) = kit.registry_entry_get_registry_entry_id(service.port()) {
            ids.insert(id);
        }
    }
    ids
}

/// IDs of the IOService-plane entries IOKit's matching returns: matched and active services
/// (`copyExistingServices(matching, kIOServiceMatchedState)` skips inactive ones).
/// The first service `IOServiceGetMatchingServices(IOServiceMatching("IOService"))` yields
/// (the iterator is released on return; the service is ours).
fn first_service(kit: &MacIoKit) -> IoObject {
    let iterator = match kit.service_get_matching_services("IOService") {
        Ok(port) => IoObject::from_owned(port),
        Err(code) => panic!("matching services: {}", code.explain()),
    };
    let Some(iterator) = iterator else {
        panic!("no iterator");
    };
    let Some(service) = IoObject::from_owned(kit.iterator_next(iterator.port())) else {
        panic!("no service");
    };
    service
}

fn walked_service_ids(registry: &Registry) -> BTreeSet<u64> {
    let Some(plane) = registry.plane("IOService") else {
        panic!("no IOService plane");
    };
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

/// The planes the root lists in `IORegistryPlanes`.
fn root_planes(kit: &MacIoKit) -> Vec<String> {
    let Some(root) = IoObject::from_owned(kit.registry_get_root_entry()) else {
        panic!("IORegistryGetRootEntry gave 0");
    };
    let props = match kit.registry_entry_create_properties(root.port()) {
        Ok(props) => props,
        Err(code) => panic!("root properties: {}", code.explain()),
    };
    match props.iter().find(|(k, _)| k == "IORegistryPlanes") {
        Some((_, Value::Dict(planes))) => planes.iter().map(|(k, _)| k.to_string()).collect(),
        other => panic!("IORegistryPlanes is not a dictionary: {other:?}"),
    }
}

/// (a) Every plane the root lists is walked, and the walk's IOService plane holds exactly the
/// services IOKit's matching returns.
///
/// Services come and go while we walk (a USB device, a dext starting), so the matching set is
/// taken just before (`before`) and just after (`after`) the walk. Registry IDs are never
/// reused and termination is permanent, so a service in both sets existed, matched and active,
/// during the whole walk and must have been walked; a walked service must be in one of the sets.
/// When that holds the counts agree up to the churn: |before ∩ after| ≤ walked ≤ |before ∪ after|
/// (equal when nothing changed). A walk that raced a change is retried, up to five times; a
/// difference that survives every retry fails the test only if it is more than 2 services (or
/// 0.5 %), and is printed either way.
#[test]
fn a_walk_of_every_plane_agrees_with_iokit_matching() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let planes = root_planes(&kit);
    for name in ["IOService", "IODeviceTree", "IOPower"] {
        assert!(planes.iter().any(|p| p == name), "{name} in {planes:?}");
    }
    let mut session = walk_session();
    let (mut last, mut differing) = (String::new(), 0);
    for _attempt in 0..5 {
        let before = matching_service_ids(&kit);
        let registry = walk(session.as_mut());
        let after = matching_service_ids(&kit);
        for name in &planes {
            let plane = registry
                .plane(name)
                .unwrap_or_else(|| panic!("plane {name} was not walked"));
            assert!(!plane.is_empty(), "plane {name} is empty");
        }
        let walked = walked_service_ids(&registry);
        assert!(walked.len() > 50, "a real Mac has many services");
        let stable: BTreeSet<u64> = before.intersection(&after).copied().collect();
        let any: BTreeSet<u64> = before.union(&after).copied().collect();
        let missing: Vec<u64> = stable.difference(&walked).copied().collect();
        let extra: Vec<u64> = walked.difference(&any).copied().collect();
        if missing.is_empty() && extra.is_empty() {
            assert!((stable.len()..=any.len()).contains(&walked.len()));
            if before == after {
                assert_eq!(walked.len(), before.len());
            }
            return;
        }
        differing = missing.len() + extra.len();
        last = format!(
            "walked {} services; IOKit matched {} before and {} after; \
             matched before and after but not walked: {missing:x?}; walked but never matched: {extra:x?}",
            walked.len(),
            before.len(),
            after.len()
        );
        eprintln!("retrying: {last}");
    }
    let allowed = 2.max(matching_service_ids(&kit).len() / 200);
    assert!(differing <= allowed, "{last}");
    eprintln!("accepted within tolerance ({differing} ≤ {allowed}): {last}");
}

/// Reads between two looks at a port-name count when it settles.
const SETTLE_PAUSE: Duration = Duration::from_millis(50);
/// The same count this many reads in a row is taken as settled.
const SETTLE_STABLE: usize = 5;
/// At most this many reads (about 3 s) before the last one is taken as it is.
const SETTLE_READS: usize = 60;

/// A port-name count once it holds still. Counts drift for a moment: after a notification or a
/// notification port's teardown (CF lets go of its Mach port asynchronously), or while a test
/// thread of the harness exits (taking its thread port with it). Reads `count` every
/// [`SETTLE_PAUSE`] until it gives `expected` (when one is given) or the same value
/// [`SETTLE_STABLE`] times in a row, at most [`SETTLE_READS`] times, and returns the last read:
/// the caller asserts on it, so a real leak (a count that settles elsewhere) still fails.
fn settled_count(expected: Option<usize>, mut count: impl FnMut() -> usize) -> usize {
    let mut last = count();
    let mut same = 1;
    for _ in 1..SETTLE_READS {
        if Some(last) == expected || same >= SETTLE_STABLE {
            break;
        }
        std::thread::sleep(SETTLE_PAUSE);
        let now = count();
        same = if now == last { same + 1 } else { 1 };
        last = now;
    }
    last
}

/// Port names in our space not accounted for by the session's handles, measured when no
/// notice arrived meanwhile (each notice holds a reference until the session drains it), once
/// the count has settled ([`settled_count`]).
fn unaccounted_names(
    kit: &MacIoKit,
    session: &mut dyn LiveSession,
    expected: Option<usize>,
) -> usize {
    settled_count(expected, || unaccounted_names_once(kit, session))
}

fn unaccounted_names_once(kit: &MacIoKit, session: &mut dyn LiveSession) -> usize {
    for _ in 0..10 {
        session.poll_changes();
        let names = match kit.mach_port_names() {
            Ok(names) => names.len(),
            Err(code) => panic!("mach_port_names: {}", code.explain()),
        };
        let handles = session.probe_all().len();
        if session.poll_changes().is_empty() {
            return names.checked_sub(handles).unwrap_or_else(|| {
                panic!("{handles} handles but only {names} names: handles share names")
            });
        }
    }
    panic!("the registry never held still long enough to count port names");
}

/// (b) Ten full refreshes of the explorer's session (notifications armed) leave the task's
/// port-name count where it was. Entries that appear or vanish meanwhile change the number of
/// handles the session holds (one name each), so the names are counted net of the handles.
#[test]
fn port_name_count_is_unchanged_by_ten_refreshes() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let mut session = session();
    // The first walk starts the property worker and caches IOKit's main port: warm up.
    walk(session.as_mut());
    let before = unaccounted_names(&kit, session.as_mut(), None);
    let handles_before = session.probe_all().len();
    for _ in 0..10 {
        walk(session.as_mut());
        session.poll_changes();
    }
    let after = unaccounted_names(&kit, session.as_mut(), Some(before));
    let handles_after = session.probe_all().len();
    assert_eq!(
        before, after,
        "port names leaked or lost across ten refreshes (handles {handles_before} → {handles_after})"
    );
}

/// (c) Releasing a handle to zero through the handle lab: `IOObjectGetClass` on the old name
/// returns 0x10000003 and the probe reports the handle stale (released).
#[test]
fn a_handle_released_to_zero_is_stale_and_iokit_calls_fail_with_invalid_dest() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let mut session = walk_session();
    let registry = walk(session.as_mut());
    let Some(plane) = registry.plane("IOService") else {
        panic!("no IOService plane");
    };
    let entry = plane.roots()[0];
    let Some(first) = session.probe(entry) else {
        panic!("the root has no handle");
    };
    assert_eq!(first.state, HandleState::Valid);
    assert_eq!(
        kit.object_get_class(first.port).as_deref(),
        Ok("IORegistryEntry")
    );
    let refs = match first.send_refs {
        Ok(refs) => refs,
        Err(code) => panic!("send refs: {}", code.explain()),
    };
    assert!(refs >= 1);
    let mut last = first.clone();
    for _ in 0..refs {
        match session.lab(entry, LabOp::Release) {
            Some(outcome) => {
                assert_eq!(
                    outcome.code,
                    KernReturn::SUCCESS,
                    "IOObjectRelease's own code"
                );
                last = outcome.probe
            }
            None => panic!("no probe after IOObjectRelease"),
        }
    }
    assert!(last.state.is_stale(), "{last:?}");
    assert_eq!(last.state, HandleState::Released);
    assert_eq!(last.send_refs, Err(KernReturn::INVALID_NAME));
    assert_eq!(last.port_type, Err(KernReturn::INVALID_NAME));
    assert_eq!(last.kernel_retain, None);
    assert_eq!(
        last.last_error,
        Some((
            "IORegistryEntryGetRegistryEntryID".to_string(),
            KernReturn::MACH_SEND_INVALID_DEST
        ))
    );
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

/// (c), raw: the same without the session.
#[test]
fn raw_release_to_zero_makes_iokit_calls_fail() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let root = kit.registry_get_root_entry();
    assert_ne!(root, 0);
    assert_eq!(kit.object_get_class(root).as_deref(), Ok("IORegistryEntry"));
    let refs = match kit.mach_port_get_refs(root, right::SEND) {
        Ok(refs) => refs,
        Err(code) => panic!("send refs: {}", code.explain()),
    };
    // Root has no path (xnu getPath: no parent in the plane): IORegistryEntryCopyPath gives
    // NULL, and the code is the kernel's, not a made-up one.
    assert_eq!(
        kit.registry_entry_get_path(root, "IOService"),
        Err(KernReturn::IO_RETURN_BAD_ARGUMENT)
    );
    for _ in 0..refs {
        assert_eq!(kit.object_release(root), KernReturn::SUCCESS);
    }
    assert_eq!(
        kit.object_get_class(root),
        Err(KernReturn::MACH_SEND_INVALID_DEST)
    );
    assert_eq!(
        kit.registry_entry_get_path(root, "IOService"),
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

fn counts(kit: &MacIoKit, port: Port) -> (u32, u32) {
    (
        kit.object_get_kernel_retain_count(port),
        kit.object_get_user_retain_count(port),
    )
}

/// (d) `IOObjectRetain` adds a user reference (a uref on our name) and leaves the kernel's
/// retain count alone. Another task's call in flight on the same object can move the kernel
/// count for an instant, so the check is retried until one cycle sees a quiet object.
#[test]
fn kernel_count_ignores_object_retain_while_user_count_moves() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let Some(root) = IoObject::from_owned(kit.registry_get_root_entry()) else {
        panic!("IORegistryGetRootEntry gave 0");
    };
    let port = root.port();
    for _ in 0..20 {
        let (kernel_before, user_before) = counts(&kit, port);
        assert_eq!(kit.object_retain(port), KernReturn::SUCCESS);
        let (kernel_held, user_held) = counts(&kit, port);
        assert_eq!(kit.object_release(port), KernReturn::SUCCESS);
        let (kernel_after, user_after) = counts(&kit, port);
        assert_eq!(user_held, user_before + 1, "IOObjectRetain adds one uref");
        assert_eq!(user_after, user_before, "IOObjectRelease takes it back");
        if kernel_before == kernel_after {
            assert_eq!(
                kernel_held, kernel_before,
                "the kernel count moved with IOObjectRetain"
            );
            assert!(kernel_before >= 2, "the port's +1 and the call's own +1");
            return;
        }
    }
    panic!("the root's kernel retain count never held still");
}

/// (d) through the handle lab: retain moves `send refs`, not the kernel count.
#[test]
fn lab_retain_moves_send_refs_not_the_kernel_count() {
    let _serial = serial();
    let mut session = walk_session();
    let registry = walk(session.as_mut());
    let Some(plane) = registry.plane("IOService") else {
        panic!("no IOService plane");
    };
    let entry = plane.roots()[0];
    for _ in 0..20 {
        let (Some(before), Some(held), Some(after)) = (
            session.probe(entry),
            session.lab(entry, LabOp::Retain).map(|o| o.probe),
            session.lab(entry, LabOp::Release).map(|o| o.probe),
        ) else {
            panic!("the root has no handle");
        };
        assert_eq!(held.send_refs, before.send_refs.map(|r| r + 1));
        assert_eq!(after.send_refs, before.send_refs);
        if before.kernel_retain == after.kernel_retain {
            assert_eq!(held.kernel_retain, before.kernel_retain);
            return;
        }
    }
    panic!("the root's kernel retain count never held still");
}

/// (e) The same entry obtained twice (root twice; a service by iterator and twice by ID) has
/// the same port name, with one more uref each time.
#[test]
fn the_same_entry_obtained_twice_has_the_same_name() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let (Some(a), Some(b)) = (
        IoObject::from_owned(kit.registry_get_root_entry()),
        IoObject::from_owned(kit.registry_get_root_entry()),
    ) else {
        panic!("IORegistryGetRootEntry gave 0");
    };
    assert_eq!(a.port(), b.port());
    let refs = kit.object_get_user_retain_count(a.port());
    let Some(c) = IoObject::from_owned(kit.registry_get_root_entry()) else {
        panic!("IORegistryGetRootEntry gave 0");
    };
    assert_eq!(c.port(), a.port());
    assert_eq!(kit.object_get_user_retain_count(a.port()), refs + 1);

    let service = first_service(&kit);
    let id = match kit.registry_entry_get_registry_entry_id(service.port()) {
        Ok(id) => id,
        Err(code) => panic!("registry ID: {}", code.explain()),
    };
    let (Some(by_id), Some(again)) = (
        IoObject::from_owned(kit.service_get_matching_service_by_id(id)),
        IoObject::from_owned(kit.service_get_matching_service_by_id(id)),
    ) else {
        panic!("IOServiceGetMatchingService found nothing for {id:#x}");
    };
    assert_eq!(by_id.port(), service.port());
    assert_eq!(again.port(), service.port());
}

/// (e) through the handle lab: obtaining a walked service again keeps its name, urefs + 1.
#[test]
fn lab_obtain_gives_the_same_name() {
    let _serial = serial();
    let mut session = walk_session();
    let registry = walk(session.as_mut());
    let Some(plane) = registry.plane("IOService") else {
        panic!("no IOService plane");
    };
    let Some(entry) = plane.walk().map(|(id, _)| id).find(|&id| {
        matches!(registry.entry(id).state, ServiceState::Service(info) if info.matched() && info.active())
    }) else {
        panic!("no active service walked");
    };
    let (Some(before), Some(after)) = (
        session.probe(entry),
        session.lab(entry, LabOp::Obtain).map(|o| o.probe),
    ) else {
        panic!("the service has no handle");
    };
    assert_eq!(after.port, before.port, "{after:?}");
    assert_eq!(after.send_refs, before.send_refs.map(|r| r + 1));
    assert_eq!(after.state, HandleState::Valid);
}

/// A property read that overruns its limit is reported on the entry (kIOReturnTimeout, or
/// kIOReturnBusy once several are stuck) and the walk still completes. A zero limit makes
/// every read overrun.
#[test]
fn property_timeouts_are_reported_on_entries_and_the_walk_goes_on() {
    let _serial = serial();
    let kit = Arc::new(MacIoKit::with_property_timeout(Duration::ZERO));
    let mut session = KernelSession::new(kit, Origin::Live);
    let registry = walk(&mut session);
    assert!(registry.len() > 50, "the walk went on: {}", registry.len());
    let timeouts = registry
        .report
        .warnings
        .iter()
        .filter(|w| {
            w.contains("IORegistryEntryCreateCFProperties")
                && (w.contains("0xe00002d6") || w.contains("0xe00002d5"))
        })
        .count();
    assert!(timeouts > 0, "{:?}", &registry.report.warnings[..]);
}

/// `ioscope dump` writes the live registry in every format: each plane in plist (read back:
/// same entries), JSON (valid) and text (read back); and the binary itself, once per format.
#[test]
fn the_live_registry_dumps_in_every_format() {
    let _serial = serial();
    let mut session = walk_session();
    let registry = walk(session.as_mut());
    for plane in registry.planes() {
        let selection = Selection {
            plane: Some(plane.name().to_string()),
            ..Selection::default()
        };
        for format in [DumpFormat::Plist, DumpFormat::Json, DumpFormat::Text] {
            let mut out = Vec::new();
            if let Err(e) = formats::write(&registry, &selection, format, &mut out) {
                panic!("{} as {format:?}: {e}", plane.name());
            }
            assert!(!out.is_empty(), "{} as {format:?}", plane.name());
            match format {
                DumpFormat::Json => {
                    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
                        panic!("{} as JSON: {e}", plane.name());
                    }
                }
                DumpFormat::Plist | DumpFormat::Text => {
                    let back = match formats::read_bytes(&out, &Limits::default()) {
                        Ok(back) => back,
                        Err(e) => panic!("{} as {format:?} read back: {e:?}", plane.name()),
                    };
                    let Some(back_plane) = back.planes().first() else {
                        panic!("{} as {format:?}: no plane read back", plane.name());
                    };
                    if format == DumpFormat::Plist {
                        // Every entry comes back. An entry with several parents in the plane
                        // (common in IOPower) is written under each, so it may come back once
                        // per parent: never fewer entries, possibly more.
                        assert!(
                            back_plane.len() >= plane.len(),
                            "{}: {} entries read back, {} walked",
                            plane.name(),
                            back_plane.len(),
                            plane.len()
                        );
                    } else {
                        assert!(!back_plane.is_empty(), "{}", plane.name());
                    }
                }
            }
        }
    }
    for format in ["plist", "json", "text"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ioscope"))
            .args(["dump", "--format", format])
            .output();
        let out = match out {
            Ok(out) => out,
            Err(e) => panic!("running ioscope dump: {e}"),
        };
        assert!(
            out.status.success(),
            "ioscope dump --format {format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.len() > 10_000,
            "{format}: {} bytes",
            out.stdout.len()
        );
    }
}

#[test]
fn root_properties_convert_through_the_neutral_rules() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let planes = root_planes(&kit);
    assert!(planes.iter().any(|p| p == "IOService"), "{planes:?}");
}

#[test]
fn busy_state_of_a_service_reads() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let service = first_service(&kit);
    let busy = match kit.service_get_busy_state_and_time(service.port()) {
        Ok(busy) => busy,
        Err(code) => panic!("busy state: {}", code.explain()),
    };
    // IOServiceGetMatchingServices only returns matched services.
    assert_ne!(busy.state & ServiceInfo::MATCHED, 0, "{busy:?}");
}

#[test]
fn watching_services_starts_and_stops_without_leaking_names() {
    let _serial = serial();
    let kit = MacIoKit::new();
    // The first run loop in a process also creates ports that stay: warm up.
    watch_once(&kit);
    let before = settled_count(None, || names(&kit));
    watch_once(&kit);
    // The notification port's receive right and its CFMachPort go a moment after the watch is
    // dropped: the count is compared once it has settled.
    let after = settled_count(Some(before), || names(&kit));
    assert_eq!(
        before, after,
        "the notification port, iterators or run loop leaked"
    );
}

fn names(kit: &MacIoKit) -> usize {
    match kit.mach_port_names() {
        Ok(names) => names.len(),
        Err(code) => panic!("mach_port_names: {}", code.explain()),
    }
}

fn watch_once(kit: &MacIoKit) {
    let (sink, notices) = std::sync::mpsc::channel();
    match kit.watch_services(sink) {
        Ok(watch) => drop(watch),
        Err(code) => panic!("notifications not armed: {}", code.explain()),
    }
    // A notice that slipped through owns a reference: give it back.
    for notice in notices.try_iter() {
        let (ServiceNotice::FirstPublished(port) | ServiceNotice::Terminated(port)) = notice;
        drop(IoObject::from_owned(port));
    }
}

/// Every service `IOServiceGetMatchingServices(IOServiceMatching("IOService"))` returns, each
/// with its properties (the iterator and each service are released through [`IoObject`]).
fn services_with_properties(kit: &MacIoKit) -> Vec<(IoObject, Properties)> {
    let iterator = match kit.service_get_matching_services("IOService") {
        Ok(port) => IoObject::from_owned(port),
        Err(code) => panic!("IOServiceGetMatchingServices: {}", code.explain()),
    };
    let Some(iterator) = iterator else {
        panic!("IOServiceGetMatchingServices gave no iterator");
    };
    let mut services = Vec::new();
    while let Some(service) = IoObject::from_owned(kit.iterator_next(iterator.port())) {
        let properties = kit
            .registry_entry_create_properties(service.port())
            .unwrap_or_default();
        services.push((service, properties));
    }
    services
}

/// The superclass chain of `class` as `IOObjectCopySuperclassForClass` gives it, `class` first,
/// up to (not including) `OSObject`, as ioreg's `createInheritanceStringForIORegistryClassName`.
fn class_chain(kit: &MacIoKit, class: &str) -> Vec<String> {
    let mut chain = vec![class.to_string()];
    while let Some(sup) = kit.object_copy_superclass_for_class(&chain[chain.len() - 1]) {
        if sup == "OSObject" || chain.len() > 64 {
            break;
        }
        chain.push(sup);
    }
    chain
}

/// Classes are the kernel's own, as `ioreg` reads them (`_IOObjectGetClass` and
/// `_IOObjectConformsTo` with `kIOClassNameOverrideNone`): every service's class is a kernel
/// class whose superclass chain reaches `IOService`, and the service conforms to it. An entry
/// carrying an `IOClassNameOverride` that is no kernel class (a USB device's `IOUSBDevice` on
/// a Mac whose USB stack is `IOUSBHostDevice`) is not reported under that name. With the
/// override applied (the public `IOObjectGetClass`), such a device's chain would stop at once.
#[test]
fn classes_are_the_kernels_own_with_the_override_off() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let services = services_with_properties(&kit);
    assert!(services.len() > 50, "a real Mac has many services");
    let mut overridden = Vec::new();
    for (service, properties) in &services {
        let class = match kit.object_get_class(service.port()) {
            Ok(class) => class,
            Err(code) => panic!("class of {:#x}: {}", service.port(), code.explain()),
        };
        let chain = class_chain(&kit, &class);
        assert!(
            chain.iter().any(|c| c == "IOService"),
            "{class}: the superclass chain {chain:?} does not reach IOService"
        );
        assert!(kit.object_conforms_to(service.port(), &class), "{class}");
        assert!(
            kit.object_conforms_to(service.port(), "IOService"),
            "{class}"
        );
        let override_name = properties.iter().find_map(|(k, v)| match v {
            Value::String(name) if k == "IOClassNameOverride" => Some(name.to_string()),
            _ => None,
        });
        let Some(override_name) = override_name else {
            continue;
        };
        let is_kernel_class = kit
            .object_copy_superclass_for_class(&override_name)
            .is_some();
        if !is_kernel_class {
            assert_ne!(class, override_name, "the override was applied");
            assert!(
                !kit.object_conforms_to(service.port(), &override_name),
                "{class} conforms to its override {override_name}"
            );
        }
        overridden.push(format!("{class} (override {override_name})"));
    }
    eprintln!(
        "{} services, {} with IOClassNameOverride: {overridden:?}",
        services.len(),
        overridden.len()
    );
}

/// Paths come from `IORegistryEntryCopyPath`, at any length: every service's IOService path is
/// `IOService:/` (the plane's root object) or ends in its own `/name` or `/name@location`; an
/// unknown plane gives the kernel's `kIOReturnBadArgument`.
#[test]
fn service_paths_are_the_kernels_at_any_length() {
    let _serial = serial();
    let kit = MacIoKit::new();
    let services = services_with_properties(&kit);
    let mut longest = String::new();
    for (service, _) in &services {
        let port = service.port();
        let path = match kit.registry_entry_get_path(port, "IOService") {
            Ok(path) => String::from_utf8_lossy(&path).into_owned(),
            Err(code) => {
                // A service terminated since it was matched has left the plane.
                let inactive = kit
                    .service_get_busy_state_and_time(port)
                    .is_ok_and(|b| b.state & ServiceInfo::INACTIVE != 0);
                assert!(inactive, "path of {port:#x}: {}", code.explain());
                continue;
            }
        };
        let name = match kit.registry_entry_get_name_in_plane(port, Some("IOService")) {
            Ok(name) => String::from_utf8_lossy(&name).into_owned(),
            Err(code) => panic!("name of {port:#x}: {}", code.explain()),
        };
        let tail = match kit.registry_entry_get_location_in_plane(port, Some("IOService")) {
            Ok(location) => format!("/{name}@{}", String::from_utf8_lossy(&location)),
            Err(_) => format!("/{name}"),
        };
        assert!(path.starts_with("IOService:/"), "{path}");
        assert!(
            path == "IOService:/" || path.ends_with(&tail),
            "{path} does not end in {tail}"
        );
        if path.len() > longest.len() {
            longest = path;
        }
        assert_eq!(
            kit.registry_entry_get_path(port, "NoSuchPlane"),
            Err(KernReturn::IO_RETURN_BAD_ARGUMENT)
        );
    }
    eprintln!("longest path ({} bytes): {longest}", longest.len());
}
