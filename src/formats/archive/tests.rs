use super::*;
use crate::formats::Position;
use crate::formats::archive::test_bplist::raw_bplist;

pub(super) fn plist(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n{body}\n</plist>\n"
    )
}

fn load(body: &str) -> Registry {
    read(plist(body).as_bytes(), &Limits::default()).expect("reads")
}

fn err(bytes: &[u8]) -> ReadError {
    read(bytes, &Limits::default()).expect_err("must fail")
}

pub(super) const ROOT: &str = r#"<dict>
  <key>IOKitBuildVersion</key><string>Darwin 23</string>
  <key>IORegistryEntryChildren</key>
  <array>
    <dict>
      <key>IOObjectClass</key><string>IOPlatformExpertDevice</string>
      <key>IORegistryEntryName</key><string>J313AP</string>
      <key>IORegistryEntryID</key><integer>4294967552</integer>
      <key>IOObjectRetainCount</key><integer>31</integer>
      <key>IOServiceState</key><integer>30</integer>
      <key>IOServiceBusyState</key><integer>0</integer>
      <key>IOServiceBusyTime</key><integer>12000000</integer>
      <key>model</key><data>TWFjQm9va0FpcjEwLDEA</data>
      <key>negative</key><integer>-5</integer>
      <key>huge</key><integer>18446744073709551615</integer>
      <key>IORegistryEntryChildren</key>
      <array>
        <dict>
          <key>IORegistryEntryName</key><string>PCI0</string>
          <key>IORegistryEntryLocation</key><string>0</string>
          <key>IOObjectClass</key><string>AppleT8103PCIe</string>
          <key>IOObjectInheritance</key>
          <array><string>IORegistryEntry</string><string>IOService</string><string>AppleT8103PCIe</string></array>
          <key>IORegistryEntryID</key><integer>-1</integer>
          <key>IOServiceState</key><integer>7</integer>
        </dict>
      </array>
    </dict>
  </array>
  <key>IOObjectClass</key><string>IORegistryEntry</string>
  <key>IORegistryEntryName</key><string>Root</string>
  <key>IOObjectRetainCount</key><integer>40</integer>
</dict>"#;

#[test]
fn a_root_dict_becomes_the_io_service_plane_with_typed_fields() {
    let r = load(ROOT);
    assert_eq!(r.report.origin, Origin::IoregArchive);
    let p = r.plane("IOService").expect("IOService plane");
    let order: Vec<_> = p
        .walk()
        .map(|(id, d)| (r.entry(id).name.to_string(), d))
        .collect();
    assert_eq!(
        order,
        [("Root".into(), 0), ("J313AP".into(), 1), ("PCI0".into(), 2)]
    );
    let root = p.roots()[0];
    assert!(r.entry(root).is_root && r.is_registry_root(root));
    assert_eq!(r.entry(root).state, ServiceState::NotService);
    assert_eq!(r.entry(root).retain, Some(40));
    // Children come before other keys in the dict: properties still land on the right entry.
    assert_eq!(r.entry(root).properties.len(), 1);
    let pe = p.children(root)[0];
    let e = r.entry(pe);
    assert_eq!(e.id, Some(0x1_0000_0100));
    assert_eq!(r.class_name(pe), Some("IOPlatformExpertDevice"));
    let ServiceState::Service(info) = e.state else {
        panic!("service expected")
    };
    assert_eq!(
        (info.state, info.busy, info.busy_time_ns),
        (30, Some(0), Some(12_000_000))
    );
    let keys: Vec<_> = e.properties.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["model", "negative", "huge"]);
    assert_eq!(
        e.property("model"),
        Some(&Value::Data(b"MacBookAir10,1\0".to_vec().into()))
    );
    assert_eq!(
        e.property("negative"),
        Some(&Value::Integer(Integer::signed(-5, 64)))
    );
    assert_eq!(e.property("huge"), Some(&Value::u64(u64::MAX)));
    let pci = p.children(pe)[0];
    assert_eq!(r.entry(pci).id, Some(u64::MAX));
    assert_eq!(
        r.class_chain(pci),
        ["AppleT8103PCIe", "IOService", "IORegistryEntry"]
    );
    assert_eq!(r.path_in(p, pci).unwrap(), "IOService:/PCI0@0");
}

#[test]
fn binary_plists_read_like_xml() {
    let value = plist::Value::from_reader_xml(plist(ROOT).as_bytes()).unwrap();
    let mut bin = Vec::new();
    value.to_writer_binary(&mut bin).unwrap();
    let r = read(&bin, &Limits::default()).unwrap();
    assert_eq!(r.len(), 3);
    let pci = r.entries().find(|(_, e)| e.name == "PCI0").unwrap().0;
    assert_eq!(r.class_name(pci), Some("AppleT8103PCIe"));
}

#[test]
fn an_array_root_holds_r_subtrees_without_a_root() {
    let r = load(
        r#"<array>
        <dict><key>IORegistryEntryName</key><string>XHC1</string><key>IOObjectClass</key><string>AppleUSBXHCI</string></dict>
        <dict><key>IORegistryEntryName</key><string>XHC2</string><key>IOObjectClass</key><string>AppleUSBXHCI</string></dict>
        </array>"#,
    );
    let p = r.plane("IOService").unwrap();
    assert_eq!(p.roots().len(), 2);
    assert!(p.roots().iter().all(|&id| !r.entry(id).is_root));
    assert_eq!(r.report.warnings, Vec::<String>::new());
}

#[test]
fn r_t_ancestors_hold_their_child_as_a_single_dict() {
    let r = load(
        r#"<array><dict>
        <key>IORegistryEntryName</key><string>Root</string><key>IOObjectClass</key><string>IORegistryEntry</string>
        <key>IORegistryEntryChildren</key>
        <dict>
          <key>IORegistryEntryName</key><string>J313AP</string><key>IOObjectClass</key><string>IOPlatformExpertDevice</string>
          <key>IORegistryEntryChildren</key>
          <array><dict><key>IORegistryEntryName</key><string>PCI0</string><key>IOObjectClass</key><string>IOPCIBridge</string></dict></array>
        </dict>
        </dict></array>"#,
    );
    let p = r.plane("IOService").unwrap();
    assert_eq!(p.walk().map(|(_, d)| d).collect::<Vec<_>>(), [0, 1, 2]);
}

#[test]
fn names_in_io_object_class_from_2011_to_2019_are_kept_and_flagged() {
    let r = load(
        r#"<dict>
        <key>IORegistryEntryName</key><string>Root</string><key>IOObjectClass</key><string>Root</string>
        <key>IORegistryEntryChildren</key><array>
          <dict><key>IORegistryEntryName</key><string>MacBookPro8,2</string><key>IOObjectClass</key><string>MacBookPro8,2</string></dict>
          <dict><key>IORegistryEntryName</key><string>IOResources</string><key>IOObjectClass</key><string>IOResources</string>
            <key>IOObjectInheritance</key><array><string>IOService</string><string>IOResources</string></array></dict>
        </array></dict>"#,
    );
    let classes: Vec<_> = r.entries().map(|(id, _)| r.class_name(id)).collect();
    // Kept as written: a class equal to its name is real for some entries (AppleUSBInterface).
    assert_eq!(
        classes,
        [Some("Root"), Some("MacBookPro8,2"), Some("IOResources")]
    );
    assert!(
        r.report.warnings.iter().any(|w| w.contains("2011-2019")),
        "{:?}",
        r.report.warnings
    );
}

#[test]
fn a_class_equal_to_its_name_is_kept_in_a_modern_archive() {
    let r = load(
        r#"<dict>
        <key>IORegistryEntryName</key><string>Root</string><key>IOObjectClass</key><string>IORegistryEntry</string>
        <key>IORegistryEntryChildren</key><array>
          <dict><key>IORegistryEntryName</key><string>IOResources</string><key>IOObjectClass</key><string>IOResources</string></dict>
        </array></dict>"#,
    );
    let classes: Vec<_> = r.entries().map(|(id, _)| r.class_name(id)).collect();
    assert_eq!(classes, [Some("IORegistryEntry"), Some("IOResources")]);
}

#[test]
fn a_synthetic_key_of_the_wrong_type_stays_a_property() {
    let r = load(
        r#"<dict><key>IORegistryEntryName</key><integer>3</integer><key>IOObjectRetainCount</key><string>x</string></dict>"#,
    );
    let e = r.entry(EntryId(0));
    assert_eq!(e.properties.len(), 2);
    assert_eq!(r.report.warnings.len(), 2);
}

#[test]
fn truncated_xml_names_the_byte_where_it_stopped() {
    let full = plist(ROOT);
    let cut = &full.as_bytes()[..full.len() / 2];
    let e = err(cut);
    let Position::Byte(at) = e.at else {
        panic!("byte position expected")
    };
    assert!(at > 0 && at <= cut.len() as u64, "{e}");
    assert!(e.message.starts_with("expected"), "{e}");
}

#[test]
fn garbage_and_wrong_shapes_are_errors_not_panics() {
    for bad in [
        &b"<?xml version=\"1.0\"?><plist><dict><key>a</key></plist>"[..],
        b"<plist><string>x</string></plist>",
        b"<plist><dict><integer>1</integer></dict></plist>",
        b"<plist><array><string>x</string></array></plist>",
        b"<plist><dict><key>IORegistryEntryChildren</key><string>x</string></dict></plist>",
        b"<plist><dict></dict><dict></dict></plist>",
        b"<plist><dict><key>x</key><integer>zz</integer></dict></plist>",
        b"bplist00\x00\x01garbage",
        b"",
    ] {
        let e = err(bad);
        assert!(matches!(e.at, Position::Byte(_)), "{e}");
        assert!(e.message.contains("expected"), "{e}");
    }
}

#[test]
fn deep_nesting_and_too_many_entries_hit_the_limits() {
    let deep = format!("{}{}", "<array>".repeat(600), "</array>".repeat(600));
    let e = err(plist(&format!("<dict><key>k</key>{deep}</dict>")).as_bytes());
    assert!(e.message.contains("`depth` limit (512)"), "{e}");
    assert!(e.message.contains("--limit depth=N"), "{e}");
    let limits = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    let e = read(plist(ROOT).as_bytes(), &limits).unwrap_err();
    assert!(e.message.contains("`entries` limit (2)"), "{e}");
}

/// 500 bytes whose arrays share their children: 2^60 values if every reference were
/// expanded. An error, not a hang or an exhausted memory.
#[test]
fn shared_binary_objects_cannot_expand_exponentially() {
    let levels = 60u8;
    let mut objects = vec![
        vec![0xD2, 1, 2, 3, 4],
        [&[0x5F, 0x10, 19][..], b"IORegistryEntryName"].concat(),
        b"\x51p".to_vec(),
        b"\x54Root".to_vec(),
    ];
    for i in 0..levels {
        let next = 5 + i;
        objects.push(vec![0xA2, next, next]);
    }
    objects.push(b"\x51x".to_vec());
    let bytes = raw_bplist(&objects, 0, 1);
    assert!(bytes.len() < 600, "{}", bytes.len());
    // Every reference is charged: the load stops at the `decoded-bytes` limit (small here,
    // so the test is quick; the default stops it the same way, later).
    let limits = Limits {
        max_decoded_bytes: 1 << 20,
        ..Limits::default()
    };
    let e = read(&bytes, &limits).unwrap_err();
    assert!(e.message.contains("`decoded-bytes` limit"), "{e}");

    // A few levels are fine: 2^4 strings.
    let mut small = objects[..4].to_vec();
    for i in 0..4u8 {
        small.push(vec![0xA2, 5 + i, 5 + i]);
    }
    small.push(b"\x51x".to_vec());
    let r = read(&raw_bplist(&small, 0, 1), &Limits::default()).expect("reads");
    assert_eq!(r.len(), 1);
}

/// Everything observable about a registry as comparable text (the class table's hash map is
/// left out, its order is not stable: the chains stand for it).
pub(super) fn fingerprint(r: &Registry) -> String {
    let mut out = String::new();
    for (id, e) in r.entries() {
        out += &format!("{e:?} {:?}\n", r.class_chain(id));
    }
    for p in r.planes() {
        out += &format!("{:?}\n", p.walk().collect::<Vec<_>>());
    }
    out + &format!("{:?}", r.report)
}

/// Both ways of reading an XML archive, compared: one thread, and the chunks (or one thread
/// when they step aside, as the reader does): the same registry, or the same error.
fn same_both_ways(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let one = || read_xml_on_one_thread(bytes, limits, &|_| {}, ValueMode::Keep);
    let chunked = match chunks::read(bytes, limits, &|_| {}, 2, 7, ValueMode::Keep) {
        Some(read) => Ok(read),
        None => one(),
    };
    match (one(), chunked) {
        (Ok((a, ka)), Ok((b, kb))) if ka == kb && fingerprint(&a) == fingerprint(&b) => Ok(()),
        (Err(a), Err(b)) if a == b => Ok(()),
        (a, b) => Err(format!(
            "one thread {:?}, chunks {:?}",
            a.map(|(r, _)| r.len()),
            b.map(|(r, _)| r.len())
        )),
    }
}

/// Reading in chunks reads every archive exactly as one thread does: the `ioreg -a` archive
/// of every corpus dump (as `ioscope dump --format plist` writes it, and with `--annotate`),
/// whole, cut short at many places, and under tight limits.
#[test]
fn reading_in_chunks_reads_the_same() {
    use crate::formats::{self, DumpFormat, Selection};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(listing) = std::fs::read_dir(&dir) else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let mut archives = vec![plist(ROOT).into_bytes()];
    let mut names = vec!["ROOT".to_owned()];
    for path in listing.map(|e| e.unwrap().path()) {
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let registry =
            crate::formats::read_bytes(&std::fs::read(&path).unwrap(), &Limits::default())
                .expect("every corpus file loads");
        for annotate in [false, true] {
            let selection = Selection {
                annotate,
                ..Selection::default()
            };
            let mut bytes = Vec::new();
            formats::write(&registry, &selection, DumpFormat::Plist, &mut bytes).unwrap();
            archives.push(bytes);
            names.push(format!("{} (annotate: {annotate})", path.display()));
        }
    }
    let tight = Limits {
        max_entries: 50,
        max_depth: 6,
        max_string_bytes: 100,
        ..Limits::default()
    };
    let mut failures = Vec::new();
    for (bytes, name) in archives.iter().zip(&names) {
        // Cut short at a few places (more in the small archives: the test runs unoptimised).
        let parts = if bytes.len() < 1 << 20 { 12 } else { 3 };
        let mut cuts: Vec<usize> = (1..parts).map(|i| bytes.len() * i / parts + i).collect();
        cuts.push(bytes.len());
        for cut in cuts {
            if let Err(e) = same_both_ways(&bytes[..cut], &Limits::default()) {
                failures.push(format!("{name}, first {cut} bytes: {e}"));
            }
        }
        if let Err(e) = same_both_ways(bytes, &tight) {
            failures.push(format!("{name}, tight limits: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
