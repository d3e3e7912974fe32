use super::*;

fn small() -> (Registry, EntryId, EntryId, EntryId) {
    let mut r = Registry::new();
    let root = r.add_entry(Entry {
        is_root: true,
        ..Entry::named("Root")
    });
    r.entry_mut(root).class = Some(r.classes.intern("IORegistryEntry"));
    let pe = r.add_entry(Entry::named("J313AP"));
    let pci = r.add_entry(Entry {
        location: Some("0".into()),
        ..Entry::named("PCI0")
    });
    let plane = r.plane_mut("IOService");
    plane.add_root(root);
    plane.add_child(root, pe);
    plane.add_child(pe, pci);
    (r, root, pe, pci)
}

#[test]
fn paths_follow_names_and_locations() {
    let (r, root, _, pci) = small();
    let p = r.plane("IOService").unwrap();
    // The platform device is `IOService:/` itself; Root has no path (xnu `getPath`).
    assert_eq!(r.path_in(p, pci).unwrap(), "IOService:/PCI0@0");
    assert_eq!(r.path_in(p, root), None);
}

#[test]
fn walk_is_preorder_with_depth() {
    let (r, root, pe, pci) = small();
    let p = r.plane("IOService").unwrap();
    let order: Vec<_> = p.walk().collect();
    assert_eq!(order, vec![(root, 0), (pe, 1), (pci, 2)]);
    assert_eq!(p.len(), 3);
    assert_eq!(p.depth(pci), 2);
}

#[test]
fn class_chain_is_leaf_first_and_refuses_cycles() {
    let mut t = ClassTable::default();
    let leaf = t
        .intern_chain(["IORegistryEntry", "IOService", "IOUSBHostDevice"])
        .unwrap();
    let names: Vec<_> = t.chain(leaf).map(|c| t.name(c)).collect();
    assert_eq!(names, ["IOUSBHostDevice", "IOService", "IORegistryEntry"]);
    let base = t.get("IORegistryEntry").unwrap();
    t.set_superclass(base, leaf);
    assert_eq!(t.superclass(base), None);
    assert!(t.conforms_to(leaf, "IOService"));
}

#[test]
fn integers_keep_sign_and_width() {
    let i = Integer::signed(-1, 32);
    assert_eq!(i.value(), -1);
    assert_eq!(i.ioreg_bits(), u64::MAX);
    assert_eq!(
        Integer::unsigned(u64::MAX, 64).value(),
        i128::from(u64::MAX)
    );
}

#[test]
fn non_utf8_text_is_kept_and_shown_as_macroman() {
    let t = Text::from_bytes(b"Arm\x90nio");
    assert_eq!(t.as_bytes(), b"Arm\x90nio");
    assert_eq!(t.to_string_lossy(), "Armênio");
}
