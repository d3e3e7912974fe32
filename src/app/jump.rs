//! `:` targets: a registry entry ID (hex `0x…` or decimal) or a path
//! (`IOService:/AppleARMPE/arm-io@10F00000`, or `/…` in the current plane).

use crate::registry::{EntryId, Plane, Registry};

/// Where to jump: the plane index and the entry.
pub fn resolve(
    registry: &Registry,
    current: usize,
    target: &str,
) -> Result<(usize, EntryId), String> {
    let t = target.trim();
    if t.is_empty() {
        return Err("type a registry ID (0x… or decimal) or a path".into());
    }
    if let Some(id) = parse_id(t) {
        let entry = registry
            .find_by_id(id)
            .ok_or_else(|| format!("no entry has registry ID {id:#x}"))?;
        let plane = plane_holding(registry, current, entry)
            .ok_or_else(|| format!("entry {id:#x} is in no plane"))?;
        return Ok((plane, entry));
    }
    let (plane_index, path) = match t.split_once(":/") {
        Some((name, rest)) => (
            registry
                .plane_index(name)
                .ok_or_else(|| format!("no plane named {name}"))?,
            rest,
        ),
        None => (current, t.trim_start_matches('/')),
    };
    let plane = registry
        .planes()
        .get(plane_index)
        .ok_or_else(|| "this registry has no planes".to_string())?;
    let entry = walk_path(registry, plane, path).ok_or_else(|| format!("no entry at {t}"))?;
    Ok((plane_index, entry))
}

fn parse_id(t: &str) -> Option<u64> {
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    None
}

fn plane_holding(registry: &Registry, current: usize, entry: EntryId) -> Option<usize> {
    if registry
        .planes()
        .get(current)
        .is_some_and(|p| p.contains(entry))
    {
        return Some(current);
    }
    registry.planes().iter().position(|p| p.contains(entry))
}

/// Follows `a/b@1/c` from the top of the plane (the registry root itself is not written).
fn walk_path(registry: &Registry, plane: &Plane, path: &str) -> Option<EntryId> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut level: Vec<EntryId> = Vec::new();
    for &root in plane.roots() {
        if registry.is_registry_root(root) {
            if parts.is_empty() {
                return Some(root);
            }
            level.extend_from_slice(plane.children(root));
        } else {
            level.push(root);
        }
    }
    let mut found = None;
    for part in parts {
        let hit = level
            .iter()
            .copied()
            .find(|&c| registry.label_in(plane, c) == part)
            .or_else(|| {
                level
                    .iter()
                    .copied()
                    .find(|&c| registry.name_in(plane, c) == part)
            })?;
        found = Some(hit);
        level = plane.children(hit).to_vec();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Entry;

    #[test]
    fn ids_and_paths_resolve() {
        let mut r = Registry::new();
        let root = r.add_entry(Entry {
            is_root: true,
            ..Entry::named("Root")
        });
        let pe = r.add_entry(Entry {
            id: Some(0x100000110),
            ..Entry::named("J313AP")
        });
        let pci = r.add_entry(Entry {
            location: Some("0".into()),
            ..Entry::named("PCI0")
        });
        let p = r.plane_mut("IOService");
        p.add_root(root);
        p.add_child(root, pe);
        p.add_child(pe, pci);
        assert_eq!(resolve(&r, 0, "0x100000110"), Ok((0, pe)));
        assert_eq!(resolve(&r, 0, "4294967568"), Ok((0, pe)));
        assert_eq!(resolve(&r, 0, "IOService:/J313AP/PCI0@0"), Ok((0, pci)));
        assert_eq!(resolve(&r, 0, "/J313AP/PCI0"), Ok((0, pci)));
        assert!(resolve(&r, 0, "/nope").is_err());
        assert!(resolve(&r, 0, "0x5").is_err());
    }
}
