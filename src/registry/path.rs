//! Registry paths, written and resolved as the kernel does.
//!
//! Writing follows xnu's `IORegistryEntry::getPath`: `PLANE:` then, for each entry from just
//! below the plane's root object down to the entry (through first parents), `/name` plus
//! `@location` when it has one. The plane's root object — Root's first child in the plane
//! (the platform device: `Macmini8,1`, `J316sAP`; `device-tree` in IODeviceTree) — is
//! `PLANE:/` itself; Root has no path. An entry that an `/aliases` property names
//! (`hasAlias`: the shortest such key) restarts the path: `IODeviceTree:hd/…`.
//!
//! Resolving follows `IORegistryEntry::fromPath` (and is lenient where a user pastes):
//! a full path, a path without the plane prefix (the current plane), an alias as the first
//! component, a component written as `@location` alone, locations compared as hex numbers
//! separated by commas (`@1f` matches `1f,2`), a trailing `:…` residue (`@0:2`), a
//! registry entry ID, or a name that only one entry has.

use super::{EntryId, Plane, Registry, Value};

/// Why a path did not resolve: the component that failed, or what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("type a registry ID (0x… or decimal), a path or a name")]
    Empty,
    #[error("no plane named {0}")]
    NoPlane(String),
    #[error("this registry has no planes")]
    NoPlanes,
    #[error("no entry has registry ID {0:#x}")]
    NoId(u64),
    #[error("entry {0:#x} is in no plane")]
    Planeless(u64),
    #[error("{path}: no {component} under {under}")]
    Component {
        path: String,
        component: String,
        under: String,
    },
    #[error("{0}: no alias of that name in /aliases")]
    NoAlias(String),
    #[error("no entry is named {0}")]
    NoName(String),
    #[error("{count} entries are named {name}: give a path or an ID")]
    Ambiguous { name: String, count: usize },
}

impl Registry {
    /// The plane's root object: Root's first child in the plane, or `None` when the plane
    /// has no registry root (an `ioreg -r` subtree dump).
    pub(crate) fn plane_root_object(&self, plane: &Plane) -> Option<EntryId> {
        let root = plane
            .roots()
            .iter()
            .copied()
            .find(|&r| self.is_registry_root(r))?;
        plane.children(root).first().copied()
    }

    /// The IOKit path of an entry in a plane, exactly as `IORegistryEntryCopyPath` writes it
    /// (see the module docs). `None` for Root and for an entry not in the plane. In a dump
    /// without Root (`ioreg -r`), the dump's top entries stand for the plane's root object's
    /// children: their paths are the best the dump can tell.
    pub fn path_in(&self, plane: &Plane, id: EntryId) -> Option<String> {
        if !plane.contains(id) || self.is_registry_root(id) {
            return None;
        }
        let root_object = self.plane_root_object(plane);
        let mut chain = Vec::new();
        let mut cur = id;
        while Some(cur) != root_object {
            if self.entry(cur).synthetic {
                return None; // Unattached: the source lacks the way up.
            }
            chain.push(cur);
            match plane.parent(cur) {
                Some(p) if !self.is_registry_root(p) => cur = p,
                // Reached the top: below Root but not its first child, or a subtree dump.
                Some(_) if root_object.is_some() => return None,
                _ => break,
            }
            if chain.len() > plane.len() {
                return None;
            }
        }
        let aliases = self.aliases(plane);
        let mut path = format!("{}:", plane.name());
        if chain.is_empty() {
            path.push('/');
        }
        for &e in chain.iter().rev() {
            if let Some(alias) = aliases.iter().find(|a| a.1 == e) {
                path.truncate(plane.name().len() + 1);
                path.push_str(&alias.0);
            } else {
                path.push('/');
                path.push_str(&self.label_in(plane, e));
            }
        }
        Some(path)
    }

    /// The `/aliases` of the plane's root object (IODeviceTree only): for each entry an alias
    /// names, its shortest alias (the first met among equals), as `hasAlias` picks it.
    fn aliases(&self, plane: &Plane) -> Vec<(String, EntryId)> {
        if plane.name() != "IODeviceTree" {
            return Vec::new();
        }
        let Some(node) = self.alias_node(plane) else {
            return Vec::new();
        };
        let mut best: Vec<(String, EntryId)> = Vec::new();
        for (key, value) in &self.entry(node).properties {
            let Some(target) = alias_target(value) else {
                continue;
            };
            let Ok(e) = self.walk_components(plane, &target, None) else {
                continue;
            };
            let key = key.to_string_lossy().into_owned();
            match best.iter_mut().find(|b| b.1 == e) {
                Some(b) if b.0.len() > key.len() => b.0 = key,
                Some(_) => {}
                None => best.push((key, e)),
            }
        }
        best
    }

    fn alias_node(&self, plane: &Plane) -> Option<EntryId> {
        let top = self.plane_root_object(plane)?;
        plane
            .children(top)
            .iter()
            .copied()
            .find(|&c| self.name_in(plane, c) == "aliases")
    }

    /// Resolves what a user typed or pasted (see the module docs) to a plane index and an
    /// entry; `current` is the plane to use when the text names none.
    pub fn resolve(&self, current: usize, target: &str) -> Result<(usize, EntryId), PathError> {
        let t = target.trim();
        if t.is_empty() {
            return Err(PathError::Empty);
        }
        if let Some(id) = parse_id(t) {
            if let Some(entry) = self.find_by_id(id) {
                let plane = self
                    .plane_holding(current, entry)
                    .ok_or(PathError::Planeless(id))?;
                return Ok((plane, entry));
            }
            if t.starts_with("0x") || t.starts_with("0X") {
                return Err(PathError::NoId(id));
            }
        }
        let (plane_index, rest) = match t.split_once(':') {
            Some((name, rest)) if self.plane_index(name).is_some() => {
                (self.plane_index(name).unwrap_or(current), rest)
            }
            Some((name, _)) if !name.contains('/') && !name.contains('@') && !name.is_empty() => {
                return Err(PathError::NoPlane(name.to_owned()));
            }
            _ => (current, t),
        };
        let plane = self.planes().get(plane_index).ok_or(PathError::NoPlanes)?;
        if rest.starts_with('/') {
            return self
                .walk_components(plane, rest, Some(t))
                .map(|e| (plane_index, e));
        }
        // An alias as the first component (IODeviceTree), else a name alone.
        let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if let Some(target) = self.alias_value(plane, first) {
            let full = format!("{}/{}", target.trim_end_matches('/'), tail);
            return self
                .walk_components(plane, &full, Some(t))
                .map(|e| (plane_index, e));
        }
        if tail.is_empty() {
            return self.by_name(current, rest);
        }
        if plane.name() == "IODeviceTree" {
            return Err(PathError::NoAlias(first.to_owned()));
        }
        self.walk_components(plane, &format!("/{rest}"), Some(t))
            .map(|e| (plane_index, e))
    }

    fn alias_value(&self, plane: &Plane, alias: &str) -> Option<String> {
        let node = self.alias_node(plane)?;
        let value = self.entry(node).property(alias)?;
        alias_target(value)
    }

    /// The only entry with this name (or `name@location`), preferring the current plane.
    fn by_name(&self, current: usize, name: &str) -> Result<(usize, EntryId), PathError> {
        let mut order: Vec<usize> = (0..self.planes().len()).collect();
        if current < order.len() {
            order.swap(0, current);
        }
        for index in order {
            let plane = &self.planes()[index];
            let hits: Vec<EntryId> = plane
                .walk()
                .map(|(e, _)| e)
                .filter(|&e| component_matches(self, plane, e, name))
                .take(2)
                .collect();
            match hits.as_slice() {
                [one] => return Ok((index, *one)),
                [] => continue,
                _ => {
                    let count = plane
                        .walk()
                        .filter(|&(e, _)| component_matches(self, plane, e, name))
                        .count();
                    return Err(PathError::Ambiguous {
                        name: name.to_owned(),
                        count,
                    });
                }
            }
        }
        Err(PathError::NoName(name.to_owned()))
    }

    /// Follows `/a/b@1/c` from the plane's root object (or, in a dump without Root, from the
    /// dump's top entries). `shown` is what to quote in an error.
    fn walk_components(
        &self,
        plane: &Plane,
        path: &str,
        shown: Option<&str>,
    ) -> Result<EntryId, PathError> {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let (mut at, mut level): (Option<EntryId>, Vec<EntryId>) =
            match self.plane_root_object(plane) {
                Some(top) => (Some(top), plane.children(top).to_vec()),
                None => (None, plane.roots().to_vec()),
            };
        for (i, part) in parts.iter().enumerate() {
            // A residue after ':' (a partition, `@0:2`) ends the path.
            let part = if i + 1 == parts.len() {
                part.split_once(':').map_or(*part, |(p, _)| p)
            } else {
                part
            };
            let hit = level
                .iter()
                .copied()
                .find(|&c| component_matches(self, plane, c, part));
            match hit {
                Some(h) => {
                    at = Some(h);
                    level = plane.children(h).to_vec();
                }
                None => {
                    let under = match at {
                        Some(a) => self
                            .path_in(plane, a)
                            .unwrap_or_else(|| self.label_in(plane, a)),
                        None => format!("{}:/", plane.name()),
                    };
                    return Err(PathError::Component {
                        path: shown.unwrap_or(path).to_owned(),
                        component: (*part).to_owned(),
                        under,
                    });
                }
            }
        }
        at.ok_or_else(|| PathError::Component {
            path: shown.unwrap_or(path).to_owned(),
            component: "/".into(),
            under: format!("{}:", plane.name()),
        })
    }

    fn plane_holding(&self, current: usize, entry: EntryId) -> Option<usize> {
        if self
            .planes()
            .get(current)
            .is_some_and(|p| p.contains(entry))
        {
            return Some(current);
        }
        self.planes().iter().position(|p| p.contains(entry))
    }
}

/// `0x…` hex or plain decimal.
fn parse_id(t: &str) -> Option<u64> {
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    None
}

/// The device-tree path an `/aliases` property holds (a string, or data ending in NUL).
fn alias_target(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.to_string_lossy().into_owned(),
        Value::Data(d) => {
            let end = d.iter().position(|&b| b == 0).unwrap_or(d.len());
            String::from_utf8_lossy(&d[..end]).into_owned()
        }
        _ => return None,
    };
    text.starts_with('/').then_some(text)
}

/// Whether `entry` is what a path component names: `name`, `name@location` or `@location`,
/// locations compared as `IORegistryEntry::matchPathLocation` does.
fn component_matches(r: &Registry, plane: &Plane, entry: EntryId, component: &str) -> bool {
    let (name, location) = match component.split_once('@') {
        Some((n, l)) => (n, Some(l)),
        None => (component, None),
    };
    if !name.is_empty() && r.name_in(plane, entry) != name {
        return false;
    }
    match location {
        None => true,
        Some(wanted) => r
            .location_in(plane, entry)
            .is_some_and(|have| location_matches(&have.to_string_lossy(), wanted)),
    }
}

/// `matchPathLocation`: comma-separated hex numbers compared in turn; the typed location
/// may stop early (`1f` matches `1f,2`). Locations that are not hex compare as text.
fn location_matches(have: &str, wanted: &str) -> bool {
    if have == wanted {
        return true;
    }
    let parse = |s: &str| -> Option<Vec<u64>> {
        s.split(',')
            .map(|p| u64::from_str_radix(p, 16).ok())
            .collect()
    };
    match (parse(have), parse(wanted)) {
        (Some(h), Some(w)) => w.len() <= h.len() && h.iter().zip(&w).all(|(a, b)| a == b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Entry;

    /// Root → J313AP (the plane's root object) → PCI0@0 → pci-bridge@1f,2.
    fn small() -> (Registry, [EntryId; 4]) {
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
        let bridge = r.add_entry(Entry {
            location: Some("1f,2".into()),
            ..Entry::named("pci-bridge")
        });
        let p = r.plane_mut("IOService");
        p.add_root(root);
        let _ = p.add_child(root, pe);
        let _ = p.add_child(pe, pci);
        let _ = p.add_child(pci, bridge);
        (r, [root, pe, pci, bridge])
    }

    #[test]
    fn paths_start_below_the_plane_root_object() {
        let (r, [root, pe, pci, bridge]) = small();
        let p = r.plane("IOService").unwrap();
        assert_eq!(r.path_in(p, root), None);
        assert_eq!(r.path_in(p, pe).unwrap(), "IOService:/");
        assert_eq!(r.path_in(p, pci).unwrap(), "IOService:/PCI0@0");
        assert_eq!(
            r.path_in(p, bridge).unwrap(),
            "IOService:/PCI0@0/pci-bridge@1f,2"
        );
    }

    #[test]
    fn what_users_paste_resolves() {
        let (r, [_, pe, pci, bridge]) = small();
        assert_eq!(r.resolve(0, "0x100000110"), Ok((0, pe)));
        assert_eq!(r.resolve(0, "4294967568"), Ok((0, pe)));
        assert_eq!(r.resolve(0, "IOService:/PCI0@0"), Ok((0, pci)));
        assert_eq!(r.resolve(0, "IOService:/"), Ok((0, pe)));
        assert_eq!(r.resolve(0, "/PCI0/pci-bridge"), Ok((0, bridge)));
        assert_eq!(r.resolve(0, "/PCI0@0/@1f"), Ok((0, bridge)));
        assert_eq!(r.resolve(0, "/PCI0@0/pci-bridge@1F,2:3"), Ok((0, bridge)));
        assert_eq!(r.resolve(0, "pci-bridge"), Ok((0, bridge)));
        assert_eq!(r.resolve(0, "PCI0/pci-bridge"), Ok((0, bridge)));
        let err = r.resolve(0, "IOService:/PCI0@0/nope").unwrap_err();
        assert_eq!(
            err.to_string(),
            "IOService:/PCI0@0/nope: no nope under IOService:/PCI0@0"
        );
        assert!(matches!(r.resolve(0, "0x5"), Err(PathError::NoId(5))));
        assert!(matches!(
            r.resolve(0, "IOFoo:/x"),
            Err(PathError::NoPlane(_))
        ));
    }

    #[test]
    fn device_tree_aliases_replace_the_path_they_name() {
        let mut r = Registry::new();
        let root = r.add_entry(Entry {
            is_root: true,
            ..Entry::named("Root")
        });
        let dt = r.add_entry(Entry::named("device-tree"));
        let mut aliases = Entry::named("aliases");
        aliases.properties = vec![
            ("name".into(), Value::Data(b"aliases\0".to_vec().into())),
            (
                "ata".into(),
                Value::Data(b"/pci@f4000000/ata-6@d\0".to_vec().into()),
            ),
            ("ultra0".into(), Value::string("/pci@f4000000/ata-6@d")),
        ]
        .into();
        let aliases = r.add_entry(aliases);
        let pci = r.add_entry(Entry {
            location: Some("f4000000".into()),
            ..Entry::named("pci")
        });
        let ata = r.add_entry(Entry {
            location: Some("d".into()),
            ..Entry::named("ata-6")
        });
        let disk = r.add_entry(Entry {
            location: Some("0".into()),
            ..Entry::named("disk")
        });
        let p = r.plane_mut("IODeviceTree");
        p.add_root(root);
        let _ = p.add_child(root, dt);
        let _ = p.add_child(dt, aliases);
        let _ = p.add_child(dt, pci);
        let _ = p.add_child(pci, ata);
        let _ = p.add_child(ata, disk);
        let p = r.plane("IODeviceTree").unwrap();
        assert_eq!(r.path_in(p, pci).unwrap(), "IODeviceTree:/pci@f4000000");
        assert_eq!(r.path_in(p, ata).unwrap(), "IODeviceTree:ata");
        assert_eq!(r.path_in(p, disk).unwrap(), "IODeviceTree:ata/disk@0");
        assert_eq!(r.resolve(0, "IODeviceTree:ata/disk@0"), Ok((0, disk)));
        assert_eq!(r.resolve(0, "ultra0"), Ok((0, ata)));
    }

    #[test]
    fn a_later_parent_does_not_change_the_path() {
        let (mut r, [_, pe, pci, bridge]) = small();
        let other = r.add_entry(Entry::named("Other"));
        let p = r.plane_mut("IOService");
        let _ = p.add_child(pe, other);
        let _ = p.add_child(other, bridge);
        let p = r.plane("IOService").unwrap();
        assert_eq!(p.parents(bridge).collect::<Vec<_>>(), [pci, other]);
        assert_eq!(
            r.path_in(p, bridge).unwrap(),
            "IOService:/PCI0@0/pci-bridge@1f,2"
        );
    }
}
