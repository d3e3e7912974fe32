//! `:` targets: what a user types or pastes — a registry entry ID (hex `0x…` or decimal), a
//! path as the kernel writes it (`IOService:/AppleACPIPlatformExpert/PCI0@0`, or `/…` in the
//! current plane), an alias, or a unique name. The rules live with the paths, in
//! [`Registry::resolve`].

use crate::registry::{EntryId, Registry};

/// Where to jump: the plane index and the entry.
pub fn resolve(
    registry: &Registry,
    current: usize,
    target: &str,
) -> Result<(usize, EntryId), String> {
    registry.resolve(current, target).map_err(|e| e.to_string())
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
        assert_eq!(resolve(&r, 0, "IOService:/PCI0@0"), Ok((0, pci)));
        assert_eq!(resolve(&r, 0, "/PCI0"), Ok((0, pci)));
        assert!(resolve(&r, 0, "/nope").is_err());
        assert!(resolve(&r, 0, "0x5").is_err());
    }
}
