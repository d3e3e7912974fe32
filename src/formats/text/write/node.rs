//! The text after `+-o ` on a tree line, in each age's form.

use crate::registry::{EntryId, HeaderStyle, Plane, Registry, ServiceState, TextDialect};
use std::io::Write;

/// Appends `NAME@LOC  <class C, id 0x…, registered, matched, active, busy 0 (1 ms), retain 5>`.
pub(super) fn header(
    registry: &Registry,
    plane: &Plane,
    id: EntryId,
    dialect: &TextDialect,
    out: &mut Vec<u8>,
) {
    let entry = registry.entry(id);
    out.extend_from_slice(registry.name_in(plane, id).as_bytes());
    if let Some(loc) = registry.location_in(plane, id) {
        out.push(b'@');
        out.extend_from_slice(loc.as_bytes());
    }
    let style = dialect.header;
    if style == HeaderStyle::PostProcessed {
        out.extend_from_slice(b" class: ");
        class(registry, id, true, out);
        return;
    }
    out.extend_from_slice(b"  <class ");
    class(registry, id, dialect.inheritance, out);
    if style == HeaderStyle::ClassOnly {
        out.push(b'>');
        return;
    }
    if style == HeaderStyle::Modern {
        if let Some(rid) = entry.id {
            let _ = write!(out, ", id 0x{rid:x}");
        }
    }
    if let ServiceState::Service(info) = entry.state {
        // Up to IOKitTools-56 the words were swapped: "registered" showed the matched bit.
        let (first, second) = if style == HeaderStyle::RetainCount {
            (info.matched(), info.registered())
        } else {
            (info.registered(), info.matched())
        };
        let _ = write!(
            out,
            ", {}registered, {}matched, {}active, busy {}",
            if first { "" } else { "!" },
            if second { "" } else { "!" },
            if info.active() { "" } else { "in" },
            info.busy.unwrap_or(0)
        );
        let ns = info.busy_time_ns.unwrap_or(0);
        if style == HeaderStyle::Modern && ns > 0 {
            let _ = write!(out, " ({} ms)", ns / 1_000_000);
        }
    }
    if let Some(retain) = entry.retain {
        let word = if style == HeaderStyle::RetainCount {
            "retain count"
        } else {
            "retain"
        };
        let _ = write!(out, ", {word} {retain}");
    }
    out.push(b'>');
}

/// The class, or with `chain` the chain `Base:…:Leaf` (OSObject left out, as `ioreg -i` does).
fn class(registry: &Registry, id: EntryId, chain: bool, out: &mut Vec<u8>) {
    if !chain {
        if let Some(name) = registry.class_name(id) {
            out.extend_from_slice(name.as_bytes());
        }
        return;
    }
    let names = registry.class_chain(id);
    let mut first = true;
    for name in names.iter().rev().filter(|n| **n != "OSObject") {
        if !first {
            out.push(b':');
        }
        first = false;
        out.extend_from_slice(name.as_bytes());
    }
}
