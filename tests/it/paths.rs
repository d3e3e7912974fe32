//! Paths against the kernel's own: real dumps carry paths the kernel wrote
//! (`IORegistryEntryGetPath` output stored in properties such as `IOPlatformPanicAction`'s
//! targets, `acpi-path`, `IOUserClientCreator`'s neighbours, `efi/platform` references).
//! Each one that names an entry of its dump must resolve to an entry whose path ioscope
//! writes as exactly that string.

use crate::common::{file_name, provenance, shared_corpus};
use ioscope::formats::{self, Limits};
use ioscope::registry::{Registry, Value};

/// Every string (or NUL-terminated data) in the registry's properties that starts with the
/// name of a plane of that registry followed by `:`.
fn kernel_paths(r: &Registry) -> Vec<String> {
    fn visit(v: &Value, planes: &[String], out: &mut Vec<String>) {
        let text = match v {
            Value::String(s) => Some(s.to_string_lossy().into_owned()),
            Value::Data(d) => {
                let end = d.iter().position(|&b| b == 0).unwrap_or(d.len());
                std::str::from_utf8(&d[..end]).ok().map(str::to_owned)
            }
            Value::Dict(kv) => {
                kv.iter().for_each(|(_, v)| visit(v, planes, out));
                None
            }
            Value::Array(items) | Value::Set(items) => {
                items.iter().for_each(|v| visit(v, planes, out));
                None
            }
            _ => None,
        };
        if let Some(t) = text
            && planes
                .iter()
                .any(|p| t.starts_with(p.as_str()) && t[p.len()..].starts_with(":/"))
        {
            out.push(t);
        }
    }
    let planes: Vec<String> = r.planes().iter().map(|p| p.name().to_owned()).collect();
    let mut out = Vec::new();
    for (_, e) in r.entries() {
        for (_, v) in &e.properties {
            visit(v, &planes, &mut out);
        }
    }
    out
}

/// Whether a kernel path names an entry the dump holds: its plane is in the dump and some
/// entry of that plane has the last component's name (and location, when given).
fn names_an_entry(r: &Registry, path: &str) -> bool {
    let Some((plane, rest)) = path.split_once(':') else {
        return false;
    };
    let Some(p) = r.plane(plane) else {
        return false;
    };
    let last = rest.rsplit('/').next().unwrap_or("");
    let (name, location) = last.split_once('@').unwrap_or((last, ""));
    p.walk().any(|(e, _)| {
        r.name_in(p, e) == name
            && (location.is_empty()
                || r.location_in(p, e)
                    .is_some_and(|l| l.to_string_lossy().eq_ignore_ascii_case(location)))
    })
}

#[test]
fn kernel_written_paths_resolve_to_entries_with_that_exact_path() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let (mut named, mut exact, mut found) = (0, 0, 0);
    let mut misses = Vec::new();
    for row in provenance(&dir) {
        let bytes = std::fs::read(&row.path).unwrap();
        let r = formats::read_bytes(&bytes, &Limits::default()).unwrap();
        for path in kernel_paths(&r) {
            found += 1;
            if !names_an_entry(&r, &path) {
                continue;
            }
            named += 1;
            let plane_index = r.plane_index(path.split(':').next().unwrap()).unwrap();
            let written = r
                .resolve(plane_index, &path)
                .ok()
                .and_then(|(p, e)| r.path_in(&r.planes()[p], e));
            if written.as_deref() == Some(path.as_str()) {
                exact += 1;
            } else {
                misses.push(format!("{}: {path} -> {written:?}", file_name(&row.path)));
            }
        }
    }
    eprintln!("{found} kernel-written paths, {named} name an entry of their dump, {exact} exact");
    for m in &misses {
        eprintln!("not exact: {m}");
    }
    assert!(found >= 100, "only {found} kernel-written paths found");
    assert!(named >= 50, "only {named} name an entry");
    assert!(
        exact * 100 >= named * 95,
        "{exact} of {named} resolve exactly:\n{}",
        misses.join("\n")
    );
}

/// The demo is an Intel Mac: its device tree has `/cpus/CPU0@0`, and `:` takes that path.
#[test]
fn the_demo_device_tree_has_intel_cpus() {
    use ioscope::kernel::session::LiveSession;
    let mut session = ioscope::kernel::sim::demo_session();
    let r = session.walk(&mut |_| {}).expect("the demo walks");
    let dt = r.plane_index("IODeviceTree").expect("IODeviceTree");
    let (p, cpu0) = r.resolve(dt, "IODeviceTree:/cpus/CPU0@0").unwrap();
    assert_eq!(
        r.path_in(&r.planes()[p], cpu0).unwrap(),
        "IODeviceTree:/cpus/CPU0@0"
    );
    let cpus = r.planes()[p].parent(cpu0).unwrap();
    assert!(r.planes()[p].children(cpus).len() >= 2);
}
