//! The synthetic registry generator: deterministic, exact size, realistic shapes, every value type.

use crate::common::fingerprint;
use ioscope::kernel::sim::generate::{DEEP_CHAIN, WIDE_CHILDREN, WIDE_NODE, synthetic};
use ioscope::registry::{ServiceState, Value};
use std::collections::BTreeSet;

#[test]
fn same_seed_same_registry_other_seed_other_registry() {
    let a = synthetic(3_000, 7);
    let b = synthetic(3_000, 7);
    let c = synthetic(3_000, 8);
    assert_eq!(fingerprint(&a), fingerprint(&b));
    assert_ne!(fingerprint(&a).0, fingerprint(&c).0);
}

#[test]
fn has_exactly_the_entries_asked_for_each_in_a_plane() {
    for n in [0, 1, 2, 3, 5, 6, 17, 100, 1_001, 12_345] {
        let r = synthetic(n, 1);
        assert_eq!(r.len(), n, "size {n}");
        for (id, _) in r.entries() {
            assert!(
                r.planes().iter().any(|p| p.contains(id)),
                "size {n}: entry {id:?} in no plane"
            );
        }
        let walked: usize = r.planes().iter().map(|p| p.walk().count()).sum();
        let members: usize = r.planes().iter().map(|p| p.len()).sum();
        assert_eq!(
            walked, members,
            "size {n}: every plane member is reachable once"
        );
    }
}

#[test]
fn root_and_two_planes_with_device_tree_a_subset() {
    let r = synthetic(5_000, 3);
    let names: Vec<_> = r.planes().iter().map(|p| p.name().to_string()).collect();
    assert_eq!(names, ["IOService", "IODeviceTree"]);
    let service = r.plane("IOService").unwrap();
    let dt = r.plane("IODeviceTree").unwrap();
    let root = service.roots()[0];
    assert!(r.is_registry_root(root));
    assert_eq!(dt.roots(), [root]);
    assert!(dt.len() > 100 && dt.len() < service.len());
    let dt_only = r
        .entries()
        .filter(|(id, _)| dt.contains(*id) && !service.contains(*id))
        .count();
    assert!(dt_only > 0, "some entries only the device tree has");
    let renamed = r
        .entries()
        .filter(|(id, e)| dt.contains(*id) && r.name_in(dt, *id) != &e.name)
        .count();
    assert!(
        renamed > 0,
        "some entries are named differently in the device tree"
    );
}

#[test]
fn ids_are_unique_and_increasing_and_chains_end_at_registry_entry() {
    let r = synthetic(4_000, 11);
    let ids: Vec<u64> = r.entries().map(|(_, e)| e.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let gaps = ids.windows(2).filter(|w| w[1] - w[0] > 1).count();
    assert!(gaps > 0, "some IDs are skipped, as on a running system");
    for (id, e) in r.entries() {
        let chain = r.class_chain(id);
        assert_eq!(chain.last(), Some(&"IORegistryEntry"), "{:?}", e.name);
        assert!(e.retain.is_some_and(|n| n > 0));
    }
    let deepest = r.entries().map(|(id, _)| r.class_chain(id).len()).max();
    assert!(deepest >= Some(5), "some class chains are long");
}

#[test]
fn service_states_vary() {
    let r = synthetic(4_000, 5);
    let mut seen = BTreeSet::new();
    for (_, e) in r.entries() {
        seen.insert(match e.state {
            ServiceState::Unknown => "unknown",
            ServiceState::NotService => "not-service",
            ServiceState::Service(s) if !s.active() => "inactive",
            ServiceState::Service(s) if !s.registered() => "unregistered",
            ServiceState::Service(s) if s.busy_time_ns.unwrap_or(0) > 0 => "busy-time",
            ServiceState::Service(_) => "plain",
        });
    }
    for want in [
        "not-service",
        "inactive",
        "unregistered",
        "busy-time",
        "plain",
    ] {
        assert!(seen.contains(want), "no {want} entry: {seen:?}");
    }
}

fn visit(v: &Value, depth: usize, seen: &mut BTreeSet<&'static str>, max_depth: &mut usize) {
    seen.insert(v.type_name());
    *max_depth = (*max_depth).max(depth);
    if let Value::Integer(i) = v {
        if i.value() < 0 {
            seen.insert("negative integer");
        }
        if i.value() > i128::from(u32::MAX) {
            seen.insert("64-bit integer");
        }
        if i.width < 64 {
            seen.insert("narrow integer");
        }
    }
    match v {
        Value::Dict(kv) => kv
            .iter()
            .for_each(|(_, v)| visit(v, depth + 1, seen, max_depth)),
        Value::Array(items) | Value::Set(items) => items
            .iter()
            .for_each(|v| visit(v, depth + 1, seen, max_depth)),
        _ => {}
    }
}

#[test]
fn every_value_type_is_present_and_nested() {
    let r = synthetic(5_000, 9);
    let mut seen = BTreeSet::new();
    let mut max_depth = 0;
    for (_, e) in r.entries() {
        for (_, v) in &e.properties {
            visit(v, 1, &mut seen, &mut max_depth);
        }
    }
    for want in [
        "dict",
        "array",
        "set",
        "string",
        "integer",
        "boolean",
        "data",
        "date",
        "real",
        "negative integer",
        "64-bit integer",
        "narrow integer",
    ] {
        assert!(seen.contains(want), "no {want} value: {seen:?}");
    }
    assert!(!seen.contains("raw"), "raw values are a reader's artefact");
    assert!(max_depth >= 4, "containers nest: depth {max_depth}");
    assert!(
        r.property_count() > r.len() * 5,
        "entries carry several properties"
    );
}

#[test]
fn wide_and_deep_shapes() {
    let r = synthetic(50_000, 2);
    let service = r.plane("IOService").unwrap();
    let widest = r
        .entries()
        .map(|(id, _)| (service.children(id).len(), id))
        .max()
        .unwrap();
    assert!(
        widest.0 >= WIDE_CHILDREN,
        "widest node has {} children",
        widest.0
    );
    assert_eq!(r.entry(widest.1).name, WIDE_NODE);
    let depth = service.walk().map(|(_, d)| d).max().unwrap();
    assert!(depth > DEEP_CHAIN, "deepest entry at {depth}");
}
