//! The IORegistryExplorer reader on small documents built here: a tiny NSKeyedArchiver
//! writer (a `$objects` table of `plist::Value`s and `CF$UID`s, written as a binary plist by
//! the `plist` crate) and a byte-level binary plist assembler for what that crate will not
//! write (cycles, absurd sizes).

use super::read;
use crate::formats::archive::test_bplist::raw_bplist;
use crate::formats::{self, Format, Limits, Position, ReadError};
use crate::registry::{Date, EntryId, Integer, Origin, Registry, ServiceInfo, ServiceState, Value};
use plist::{Dictionary, Uid, Value as P};

// ---------- a keyed-archive writer ----------

fn uid(n: u64) -> P {
    P::Uid(Uid::new(n))
}

fn s(text: &str) -> P {
    P::String(text.to_owned())
}

fn dict<'a>(pairs: impl IntoIterator<Item = (&'a str, P)>) -> P {
    P::Dictionary(pairs.into_iter().collect::<Dictionary>())
}

/// The `$objects` table of an archive being built. Object 0 is `$null`.
struct Doc {
    objects: Vec<P>,
    classes: Vec<(String, P)>,
}

impl Doc {
    fn new() -> Self {
        Doc {
            objects: vec![s("$null")],
            classes: Vec::new(),
        }
    }

    fn add(&mut self, v: P) -> P {
        self.objects.push(v);
        uid(self.objects.len() as u64 - 1)
    }

    /// A slot to fill later with [`Doc::set`] (entries refer to each other).
    fn reserve(&mut self) -> u64 {
        self.objects.push(P::Boolean(false));
        self.objects.len() as u64 - 1
    }

    fn set(&mut self, at: u64, v: P) {
        self.objects[at as usize] = v;
    }

    fn string(&mut self, text: &str) -> P {
        self.add(s(text))
    }

    fn class(&mut self, name: &str) -> P {
        if let Some((_, u)) = self.classes.iter().find(|(n, _)| n == name) {
            return u.clone();
        }
        let u = self.add(dict([
            ("$classname", s(name)),
            ("$classes", P::Array(vec![s(name), s("NSObject")])),
        ]));
        self.classes.push((name.to_owned(), u.clone()));
        u
    }

    /// An archived instance: its fields plus `$class`.
    fn instance(&mut self, class: &str, fields: Vec<(&str, P)>) -> P {
        let class = self.class(class);
        self.add(dict(fields.into_iter().chain([("$class", class)])))
    }

    fn array(&mut self, items: Vec<P>) -> P {
        self.instance("NSArray", vec![("NS.objects", P::Array(items))])
    }

    fn strings(&mut self, items: &[&str]) -> P {
        let items = items.iter().map(|t| self.string(t)).collect();
        self.array(items)
    }

    fn dictionary(&mut self, pairs: Vec<(P, P)>) -> P {
        let (keys, values) = pairs.into_iter().unzip();
        self.instance(
            "NSDictionary",
            vec![
                ("NS.keys", P::Array(keys)),
                ("NS.objects", P::Array(values)),
            ],
        )
    }

    /// Writes the archive with `$top = {root}`.
    fn finish(self, root: P) -> Vec<u8> {
        self.finish_top(dict([("root", root)]))
    }

    fn finish_top(self, top: P) -> Vec<u8> {
        archive(dict([
            ("$archiver", s("NSKeyedArchiver")),
            ("$version", P::Integer(100_000.into())),
            ("$top", top),
            ("$objects", P::Array(self.objects)),
        ]))
    }
}

fn archive(v: P) -> Vec<u8> {
    let mut out = Vec::new();
    v.to_writer_binary(&mut out).unwrap();
    out
}

/// One `RexRegistryEntry`, as the app stores it.
#[derive(Clone, Default)]
struct Rex<'a> {
    name: &'a str,
    location: Option<&'a str>,
    /// Leaf first, ending in `OSObject`, as stored.
    inheritance: &'a [&'a str],
    retain: Option<i64>,
    busy: Option<i64>,
    /// `conformsToIOService`, `isActive`, `isMatched`, `isRegistered`.
    service: Option<bool>,
    active: bool,
    matched: bool,
    registered: bool,
    root: bool,
    /// Plane → name, location, parents, children (entries by their index in the document).
    planes: Vec<(&'a str, PlaneLinks<'a>)>,
    properties: Option<&'a str>,
}

#[derive(Clone, Default)]
struct PlaneLinks<'a> {
    name: &'a str,
    location: Option<&'a str>,
    parents: Vec<usize>,
    children: Vec<usize>,
}

fn links<'a>(
    name: &'a str,
    location: Option<&'a str>,
    parents: &[usize],
    children: &[usize],
) -> PlaneLinks<'a> {
    PlaneLinks {
        name,
        location,
        parents: parents.to_vec(),
        children: children.to_vec(),
    }
}

/// A `RexDataStore` document holding `entries` (in that order) in `planes`.
fn rex_document(host: &str, planes: &[&str], entries: &[Rex<'_>]) -> Vec<u8> {
    let mut doc = Doc::new();
    let slots: Vec<u64> = entries.iter().map(|_| doc.reserve()).collect();
    let refs = |ids: &[usize]| ids.iter().map(|&i| uid(slots[i])).collect::<Vec<_>>();
    for (e, &slot) in entries.iter().zip(&slots) {
        let mut fields = vec![("name", doc.string(e.name))];
        fields.push((
            "location",
            match e.location {
                Some(l) => doc.string(l),
                None => uid(0),
            },
        ));
        fields.push(("inheritance", doc.strings(e.inheritance)));
        if let Some(r) = e.retain {
            fields.push(("kernelRetainCount", P::Integer(r.into())));
        }
        if let Some(b) = e.busy {
            fields.push(("busyCount", P::Integer(b.into())));
        }
        if let Some(service) = e.service {
            fields.push(("conformsToIOService", P::Boolean(service)));
            fields.push(("isActive", P::Boolean(e.active)));
            fields.push(("isMatched", P::Boolean(e.matched)));
            fields.push(("isRegistered", P::Boolean(e.registered)));
        }
        fields.push(("isRegistryRoot", P::Boolean(e.root)));
        fields.push(("entryTag", P::Integer((slot as i64).into())));
        let mut names = Vec::new();
        let mut locations = Vec::new();
        let mut parents = Vec::new();
        let mut children = Vec::new();
        for (plane, l) in &e.planes {
            names.push((doc.string(plane), doc.string(l.name)));
            if let Some(loc) = l.location {
                locations.push((doc.string(plane), doc.string(loc)));
            }
            let p = doc.array(refs(&l.parents));
            parents.push((doc.string(plane), p));
            let c = doc.array(refs(&l.children));
            children.push((doc.string(plane), c));
        }
        fields.push(("namesInPlanes", doc.dictionary(names)));
        fields.push(("locationsInPlanes", doc.dictionary(locations)));
        fields.push(("parentsInPlanes", doc.dictionary(parents)));
        fields.push(("childrenInPlanes", doc.dictionary(children)));
        if let Some(xml) = e.properties {
            let data = P::Data(xml.as_bytes().to_vec());
            fields.push(("properties", doc.add(data)));
        }
        let class = doc.class("RexRegistryEntry");
        doc.set(slot, dict(fields.into_iter().chain([("$class", class)])));
    }
    let store = vec![
        ("archName", doc.string("i386")),
        ("dataStoreVersion", P::Integer(1.into())),
        ("hostName", doc.string(host)),
        ("registryPlanes", doc.strings(planes)),
        ("registryEntries", {
            let all: Vec<P> = slots.iter().map(|&u| uid(u)).collect();
            doc.array(all)
        }),
    ];
    let root = doc.instance("RexDataStore", store);
    doc.finish(root)
}

const PCI_PROPERTIES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>IOName</key>
	<string>pci8086,3b42</string>
	<key>vendor-id</key>
	<data>hoAAAA==</data>
	<key>IOPCIExpressLinkStatus</key>
	<integer>4113</integer>
	<key>IOMaximumByteCount</key>
	<integer>18446744073709551615</integer>
	<key>offset</key>
	<integer>-5</integer>
	<key>built-in</key>
	<true/>
	<key>IOPowerManagement</key>
	<dict>
		<key>CurrentPowerState</key>
		<integer>3</integer>
		<key>DevicePowerState</key>
		<integer>2</integer>
	</dict>
	<key>compatible</key>
	<array>
		<string>pci8086,3b42</string>
		<false/>
	</array>
	<key>temperature</key>
	<real>41.5</real>
	<key>since</key>
	<date>2001-01-01T00:00:10Z</date>
</dict>
</plist>
"#;

const ROOT_CHAIN: &[&str] = &["IORegistryEntry", "OSObject"];
const PE_CHAIN: &[&str] = &[
    "IOPlatformExpertDevice",
    "IOService",
    "IORegistryEntry",
    "OSObject",
];
const PCI_CHAIN: &[&str] = &["IOPCIDevice", "IOService", "IORegistryEntry", "OSObject"];

/// Three entries in two planes:
/// - IOService: `Root` → `MacPro4,1` → `pci@0`;
/// - IODeviceTree: `Root` → `PCI0@1f,2` (named and located differently there);
///   `MacPro4,1` is not in it, though `namesInPlanes` names it there, as the app does.
fn sample() -> Vec<u8> {
    let root = Rex {
        name: "Root",
        inheritance: ROOT_CHAIN,
        retain: Some(37),
        service: Some(false),
        root: true,
        planes: vec![
            ("IOService", links("Root", None, &[], &[1])),
            ("IODeviceTree", links("Root", None, &[], &[2])),
        ],
        properties: Some(
            "<plist version=\"1.0\"><dict><key>IOKitBuildVersion</key><string>Darwin 9.7.0</string></dict></plist>",
        ),
        ..Rex::default()
    };
    let pe = Rex {
        name: "MacPro4,1",
        inheritance: PE_CHAIN,
        retain: Some(20),
        busy: Some(0),
        service: Some(true),
        active: true,
        matched: true,
        registered: true,
        planes: vec![
            ("IOService", links("MacPro4,1", None, &[0], &[2])),
            ("IODeviceTree", links("MacPro4,1", None, &[], &[])),
        ],
        ..Rex::default()
    };
    let pci = Rex {
        name: "pci",
        location: Some("0"),
        inheritance: PCI_CHAIN,
        retain: Some(7),
        busy: Some(2),
        service: Some(true),
        active: false,
        matched: true,
        registered: false,
        planes: vec![
            ("IOService", links("pci", Some("0"), &[1], &[])),
            ("IODeviceTree", links("PCI0", Some("1f,2"), &[0], &[])),
        ],
        properties: Some(PCI_PROPERTIES),
        ..Rex::default()
    };
    rex_document("Calypso", &["IOService", "IODeviceTree"], &[root, pe, pci])
}

fn load(bytes: &[u8]) -> Registry {
    read(bytes, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn fail(bytes: &[u8]) -> ReadError {
    match read(bytes, &Limits::default()) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn byte_offset(e: &ReadError) -> u64 {
    match e.at {
        Position::Byte(n) => n,
        Position::Line(_) => panic!("a plist error gives a byte offset: {e}"),
    }
}

fn names(r: &Registry, plane: &str) -> Vec<String> {
    let p = r.plane(plane).unwrap();
    p.walk()
        .map(|(id, depth)| {
            let loc = r
                .location_in(p, id)
                .map(|l| format!("@{}", l.to_string_lossy()))
                .unwrap_or_default();
            format!("{depth}:{}{loc}", r.name_in(p, id).to_string_lossy())
        })
        .collect()
}

// ---------- the model ----------

#[test]
fn sample_is_detected_as_an_iorex_document() {
    assert_eq!(formats::detect(&sample()), Format::Iorex);
}

/// `load_file` reads a large XML plist as an `ioreg -a` archive from a memory map; one whose
/// top dict has `$archiver` (here after 9 MB of `$objects`) is read again whole, as
/// `read_bytes` reads it: a document (which this reader takes only in binary form).
#[test]
fn a_large_xml_document_loads_from_a_file_as_from_its_bytes() {
    /// XML has no UIDs: Core Foundation writes `{CF$UID = n}`.
    fn xml_uids(v: P) -> P {
        match v {
            P::Uid(u) => dict([("CF$UID", P::Integer(u.get().into()))]),
            P::Array(items) => P::Array(items.into_iter().map(xml_uids).collect()),
            P::Dictionary(d) => {
                P::Dictionary(d.into_iter().map(|(k, v)| (k, xml_uids(v))).collect())
            }
            other => other,
        }
    }
    let P::Dictionary(top) = xml_uids(P::from_reader(std::io::Cursor::new(sample())).unwrap())
    else {
        panic!("a dict at the top")
    };
    let mut objects = top["$objects"].as_array().unwrap().clone();
    objects.push(P::String("padding ".repeat(9 << 17)));
    let mut reordered = Dictionary::new();
    reordered.insert("$objects".into(), P::Array(objects));
    for (k, v) in top.into_iter().filter(|(k, _)| k != "$objects") {
        reordered.insert(k, v);
    }
    let mut xml = Vec::new();
    P::Dictionary(reordered).to_writer_xml(&mut xml).unwrap();
    assert!(xml.len() as u64 > formats::MAP_AT_LEAST, "{}", xml.len());
    assert_eq!(formats::detect(&xml), Format::Iorex);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.xml");
    std::fs::write(&path, &xml).unwrap();

    let expected = formats::read_bytes(&xml, &Limits::default()).map(|r| r.len());
    let from_file = formats::load_file(&path).map(|r| r.len());
    match (from_file, expected) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(formats::LoadError::Read { error, .. }), Err(e)) => assert_eq!(error, e),
        (a, b) => panic!("load_file: {a:?}, read_bytes: {b:?}"),
    }
}

#[test]
fn every_plane_becomes_a_plane_with_its_own_names_and_locations() {
    let r = load(&sample());
    assert_eq!(r.report.origin, Origin::Iorex);
    assert_eq!(r.report.host.as_deref(), Some("Calypso"));
    assert!(r.report.warnings.is_empty(), "{:?}", r.report.warnings);
    assert_eq!(r.len(), 3);
    let planes: Vec<&str> = r.planes().iter().map(|p| p.name()).collect();
    assert_eq!(planes, ["IOService", "IODeviceTree"]);
    assert_eq!(names(&r, "IOService"), ["0:Root", "1:MacPro4,1", "2:pci@0"]);
    assert_eq!(names(&r, "IODeviceTree"), ["0:Root", "1:PCI0@1f,2"]);
    let dt = r.plane("IODeviceTree").unwrap();
    assert!(!dt.contains(EntryId(1)), "MacPro4,1 is only named there");
    assert_eq!(dt.parent(EntryId(2)), Some(EntryId(0)));
    // The entry keeps its own name; the plane overrides it.
    assert_eq!(r.entry(EntryId(2)).name, "pci");
    assert_eq!(dt.name_override(EntryId(2)).unwrap(), "PCI0");
    assert!(r.is_registry_root(EntryId(0)));
}

#[test]
fn class_chain_retain_and_state_are_read() {
    let r = load(&sample());
    assert_eq!(r.class_chain(EntryId(2)), PCI_CHAIN);
    assert_eq!(r.class_chain(EntryId(0)), ROOT_CHAIN);
    assert_eq!(r.class_name(EntryId(1)), Some("IOPlatformExpertDevice"));

    let root = r.entry(EntryId(0));
    assert_eq!(root.retain, Some(37));
    assert_eq!(root.state, ServiceState::NotService);
    assert!(root.is_root);

    let ServiceState::Service(pe) = r.entry(EntryId(1)).state else {
        panic!("MacPro4,1 is a service");
    };
    assert!(pe.registered() && pe.matched() && pe.active());
    assert_eq!(pe.busy, Some(0));

    let pci = r.entry(EntryId(2));
    assert_eq!(pci.retain, Some(7));
    assert_eq!(pci.location.as_ref().unwrap(), "0");
    assert_eq!(
        pci.state,
        ServiceState::Service(ServiceInfo {
            state: ServiceInfo::MATCHED | ServiceInfo::INACTIVE,
            busy: Some(2),
            busy_time_ns: None,
        })
    );
}

#[test]
fn properties_are_typed_in_their_stored_order() {
    let r = load(&sample());
    let pci = r.entry(EntryId(2));
    let keys: Vec<String> = pci
        .properties
        .iter()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        keys,
        [
            "IOName",
            "vendor-id",
            "IOPCIExpressLinkStatus",
            "IOMaximumByteCount",
            "offset",
            "built-in",
            "IOPowerManagement",
            "compatible",
            "temperature",
            "since"
        ]
    );
    let p = |k| pci.property(k).unwrap();
    assert_eq!(p("IOName"), &Value::string("pci8086,3b42"));
    assert_eq!(p("vendor-id"), &Value::Data(vec![0x86, 0x80, 0, 0].into()));
    assert_eq!(p("IOPCIExpressLinkStatus"), &Value::u64(4113));
    assert_eq!(
        p("IOMaximumByteCount"),
        &Value::Integer(Integer::unsigned(u64::MAX, 64))
    );
    assert_eq!(p("offset"), &Value::Integer(Integer::signed(-5, 64)));
    assert_eq!(p("built-in"), &Value::Bool(true));
    assert_eq!(
        p("IOPowerManagement"),
        &Value::Dict(vec![
            ("CurrentPowerState".into(), Value::u64(3)),
            ("DevicePowerState".into(), Value::u64(2)),
        ])
    );
    assert_eq!(
        p("compatible"),
        &Value::Array(vec![Value::string("pci8086,3b42"), Value::Bool(false)])
    );
    assert_eq!(p("temperature"), &Value::Real(41.5));
    assert_eq!(p("since"), &Value::Date(Date(10.0)));
    assert_eq!(r.report.raw_values, 0);
    assert_eq!(
        r.entry(EntryId(0)).property("IOKitBuildVersion"),
        Some(&Value::string("Darwin 9.7.0"))
    );
    assert!(r.entry(EntryId(1)).properties.is_empty());
}

#[test]
fn a_parent_cycle_is_refused() {
    let a = Rex {
        name: "A",
        inheritance: PE_CHAIN,
        planes: vec![("IOService", links("A", None, &[1], &[1]))],
        ..Rex::default()
    };
    let b = Rex {
        name: "B",
        inheritance: PE_CHAIN,
        planes: vec![("IOService", links("B", None, &[0], &[0]))],
        ..Rex::default()
    };
    let e = fail(&rex_document("h", &["IOService"], &[a, b]));
    assert!(e.message.contains("is listed below itself"), "{e}");
}

#[test]
fn entries_in_no_plane_stay_visible() {
    let lone = Rex {
        name: "Detached",
        inheritance: PCI_CHAIN,
        ..Rex::default()
    };
    let r = load(&rex_document("h", &["IOService"], &[lone]));
    assert_eq!(r.plane("IOService").unwrap().roots(), [EntryId(0)]);
    assert!(r.report.warnings.iter().any(|w| w.contains("no plane")));
}

// ---------- errors, never panics ----------

#[test]
fn every_truncation_is_an_error_with_a_byte_offset() {
    let bytes = sample();
    for n in 0..bytes.len() {
        let e = fail(&bytes[..n]);
        assert!(byte_offset(&e) <= n as u64, "cut at {n}: {e}");
    }
    let e = fail(&bytes[..bytes.len() / 2]);
    assert!(e.message.starts_with("expected"), "{e}");
}

#[test]
fn garbage_is_an_error() {
    let e = fail(b"hello, world");
    assert_eq!(e.at, Position::Byte(0));
    assert!(e.message.contains("bplist0"), "{e}");

    // A valid header and trailer shape around noise.
    let mut noise: Vec<u8> = b"bplist00".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..4096 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        noise.push((x >> 16) as u8);
    }
    for seed in 0..64u8 {
        let mut b = noise.clone();
        b[100] = seed;
        let _ = byte_offset(&fail(&b));
    }
    // Every single-byte change of a good document: an error or a registry, never a panic.
    let good = sample();
    for i in (0..good.len()).step_by(3) {
        for v in [0x00, 0x0f, 0x5f, 0x80, 0xaf, 0xdf, 0xff] {
            let mut b = good.clone();
            b[i] = v;
            let _ = read(&b, &Limits::default());
        }
    }
}

#[test]
fn a_plist_that_is_not_a_keyed_archive_is_an_error() {
    // Not a dictionary at the top.
    let e = fail(&archive(P::Array(vec![s("x")])));
    assert!(e.message.contains("top dictionary"), "{e}");

    // Another archiver.
    let mut doc = Doc::new();
    let root = doc.instance("RexDataStore", vec![]);
    let bytes = archive(dict([
        ("$archiver", s("NSFancyArchiver")),
        ("$top", dict([("root", root)])),
        ("$objects", P::Array(doc.objects)),
    ]));
    assert!(fail(&bytes).message.contains("$archiver NSKeyedArchiver"));

    // $objects not an array, $top missing.
    let bytes = archive(dict([
        ("$archiver", s("NSKeyedArchiver")),
        ("$top", dict([("root", uid(1))])),
        ("$objects", s("nope")),
    ]));
    assert!(fail(&bytes).message.contains("$objects array"));
    let bytes = archive(dict([
        ("$archiver", s("NSKeyedArchiver")),
        ("$objects", P::Array(vec![s("$null")])),
    ]));
    assert!(fail(&bytes).message.contains("$top dictionary"));

    // A root of another class, a root that is not an instance, a dangling root.
    let mut doc = Doc::new();
    let root = doc.instance("NSArray", vec![("NS.objects", P::Array(vec![]))]);
    let e = fail(&doc.finish(root));
    assert!(
        e.message.contains("expected RexDataStore, found NSArray"),
        "{e}"
    );
    let mut doc = Doc::new();
    let root = doc.string("RexDataStore");
    let e = fail(&doc.finish(root));
    assert!(e.message.contains("found a string"), "{e}");
    let e = fail(&Doc::new().finish(uid(99)));
    assert!(e.message.contains("dangling CF$UID 99"), "{e}");

    // An entry list holding something else.
    let mut doc = Doc::new();
    let not_entry = doc.string("x");
    let entries = doc.array(vec![not_entry]);
    let root = doc.instance("RexDataStore", vec![("registryEntries", entries)]);
    let e = fail(&doc.finish(root));
    assert!(e.message.contains("expected RexRegistryEntry"), "{e}");
    byte_offset(&e);
}

#[test]
fn bad_embedded_properties_name_the_byte_in_the_file() {
    let bad = Rex {
        name: "X",
        inheritance: PCI_CHAIN,
        planes: vec![("IOService", links("X", None, &[], &[]))],
        properties: Some("<plist><dict><key>a</key><integer>12</dict></plist>"),
        ..Rex::default()
    };
    let bytes = rex_document("h", &["IOService"], &[bad]);
    let e = fail(&bytes);
    let at = byte_offset(&e) as usize;
    let xml_at = memchr::memmem::find(&bytes, b"<plist><dict>").unwrap();
    assert!(at >= xml_at && at < bytes.len(), "{e}");
    assert!(e.message.contains("properties"), "{e}");
}

#[test]
fn cyclic_references_are_errors_not_hangs() {
    // An NSString whose NS.string is itself.
    let mut doc = Doc::new();
    let me = doc.reserve();
    let class = doc.class("NSMutableString");
    doc.set(me, dict([("NS.string", uid(me)), ("$class", class)]));
    let entry = doc.instance("RexRegistryEntry", vec![("name", uid(me))]);
    let entries = doc.array(vec![entry]);
    let root = doc.instance("RexDataStore", vec![("registryEntries", entries)]);
    let e = fail(&doc.finish(root));
    assert!(e.message.contains("expected a string"), "{e}");

    // An instance whose $class is itself.
    let mut doc = Doc::new();
    let me = doc.reserve();
    doc.set(me, dict([("$class", uid(me))]));
    let e = fail(&doc.finish(uid(me)));
    assert!(e.message.contains("$classname"), "{e}");

    // An entry list that contains itself.
    let mut doc = Doc::new();
    let me = doc.reserve();
    let class = doc.class("NSArray");
    doc.set(
        me,
        dict([("NS.objects", P::Array(vec![uid(me)])), ("$class", class)]),
    );
    let root = doc.instance("RexDataStore", vec![("registryEntries", uid(me))]);
    let e = fail(&doc.finish(root));
    assert!(
        e.message
            .contains("expected RexRegistryEntry, found NSArray"),
        "{e}"
    );

    // A binary plist array that contains itself, as the top object.
    let e = fail(&raw_bplist(&[vec![0xA1, 0x00]], 0, 1));
    assert!(e.message.contains("top dictionary"), "{e}");
    // A dictionary whose key is itself.
    let e = fail(&raw_bplist(&[vec![0xD1, 0x00, 0x00]], 0, 1));
    assert!(e.message.contains("string key"), "{e}");
}

/// A CF$UID far beyond the object table (once an arithmetic overflow in debug builds).
#[test]
fn a_huge_uid_is_dangling_not_an_overflow() {
    for big in [u64::MAX, u64::MAX / 2, 1 << 40] {
        let e = fail(&Doc::new().finish(uid(big)));
        assert!(e.message.contains("dangling"), "{e}");
    }
}

// ---------- absurd declared sizes ----------

fn patch_trailer(mut bytes: Vec<u8>, field: usize, value: &[u8]) -> Vec<u8> {
    let at = bytes.len() - 32 + field;
    bytes[at..at + value.len()].copy_from_slice(value);
    bytes
}

#[test]
fn declared_sizes_bigger_than_the_file_are_errors() {
    let good = sample();
    let len = good.len() as u64;
    // Object count and offset table beyond the file.
    for count in [u64::MAX, 1 << 62, len, len / 2] {
        let e = fail(&patch_trailer(good.clone(), 8, &count.to_be_bytes()));
        assert!(e.message.contains("offset table"), "{count}: {e}");
        assert_eq!(byte_offset(&e), len - 8);
    }
    for table in [u64::MAX, len, 0, 3] {
        let e = fail(&patch_trailer(good.clone(), 24, &table.to_be_bytes()));
        assert!(e.message.contains("offset table"), "{table}: {e}");
    }
    // Top object out of range, odd integer sizes.
    let e = fail(&patch_trailer(good.clone(), 16, &u64::MAX.to_be_bytes()));
    assert!(e.message.contains("top object"), "{e}");
    for sizes in [[0, 1], [9, 1], [1, 0], [2, 255]] {
        let e = fail(&patch_trailer(good.clone(), 6, &sizes));
        assert!(e.message.contains("1 to 8 bytes"), "{sizes:?}: {e}");
    }

    // Objects declaring more than the file holds: a dictionary of 2^62 pairs, an array of
    // 2^40 members, a 2^60-byte string, a UTF-16 string whose byte length overflows.
    let huge = |marker: u8, n: u64| {
        let mut o = vec![marker | 0x0f, 0x13];
        o.extend_from_slice(&n.to_be_bytes());
        o
    };
    for obj in [
        huge(0xD0, 1 << 62),
        huge(0xA0, 1 << 40),
        huge(0x50, 1 << 60),
        huge(0x40, u64::MAX),
        huge(0x60, u64::MAX / 2 + 1),
    ] {
        let e = fail(&raw_bplist(std::slice::from_ref(&obj), 0, 1));
        let at = byte_offset(&e);
        assert!(at < 64, "{obj:02x?}: {e}");
    }
    // An offset pointing into the trailer or before the header.
    let mut b = raw_bplist(&[vec![0xD0]], 0, 1);
    let table = b.len() - 32 - 4;
    let in_trailer = b.len() as u32 - 8;
    b[table..table + 4].copy_from_slice(&in_trailer.to_be_bytes());
    assert!(fail(&b).message.contains("offset inside the object area"));
    b[table..table + 4].copy_from_slice(&2u32.to_be_bytes());
    assert!(fail(&b).message.contains("offset inside the object area"));
}

/// A shared object referenced by every entry cannot multiply into gigabytes: 70 kilobytes
/// that make 3000 entries each list all 3000 as children (9 million links) are charged at
/// every reference and stop at the `decoded-bytes` limit (set low here to keep the test quick).
#[test]
fn shared_objects_cannot_amplify_without_bound() {
    let small = Limits {
        max_decoded_bytes: 32 << 20,
        ..Limits::default()
    };
    let n = 3000;
    let mut doc = Doc::new();
    let slots: Vec<u64> = (0..n).map(|_| doc.reserve()).collect();
    let all: Vec<P> = slots.iter().map(|&u| uid(u)).collect();
    let everyone = doc.array(all.clone());
    let plane = doc.string("IOService");
    let children = doc.dictionary(vec![(plane.clone(), everyone)]);
    let class = doc.class("RexRegistryEntry");
    for &slot in &slots {
        doc.set(
            slot,
            dict([
                ("childrenInPlanes", children.clone()),
                ("$class", class.clone()),
            ]),
        );
    }
    let entries = doc.array(all);
    let root = doc.instance("RexDataStore", vec![("registryEntries", entries)]);
    let bytes = doc.finish(root);
    assert!(bytes.len() < 100_000, "{}", bytes.len());
    let e = read(&bytes, &small).unwrap_err();
    assert!(e.message.contains("`decoded-bytes` limit"), "{e}");

    // The same with one huge name shared by every entry.
    let mut doc = Doc::new();
    let big = doc.string(&"x".repeat(200_000));
    let class = doc.class("RexRegistryEntry");
    let all: Vec<P> = (0..n)
        .map(|_| doc.add(dict([("name", big.clone()), ("$class", class.clone())])))
        .collect();
    let entries = doc.array(all);
    let root = doc.instance("RexDataStore", vec![("registryEntries", entries)]);
    let e = read(&doc.finish(root), &small).unwrap_err();
    assert!(e.message.contains("`decoded-bytes` limit"), "{e}");
}

#[test]
fn too_many_planes_and_too_long_class_chains_are_errors() {
    let planes: Vec<String> = (0..100).map(|i| format!("Plane{i}")).collect();
    let planes: Vec<&str> = planes.iter().map(String::as_str).collect();
    let few = Limits {
        max_planes: 64,
        ..Limits::default()
    };
    let e = read(&rex_document("h", &planes, &[]), &few).unwrap_err();
    assert!(e.message.contains("`planes` limit (64)"), "{e}");

    let chain: Vec<String> = (0..600).map(|i| format!("C{i}")).collect();
    let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
    let deep = Rex {
        name: "X",
        inheritance: &chain,
        ..Rex::default()
    };
    let e = fail(&rex_document("h", &["IOService"], &[deep]));
    assert!(e.message.contains("class chain"), "{e}");
}

#[test]
fn limits_bound_entries_and_nesting() {
    let limits = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    let e = read(&sample(), &limits).unwrap_err();
    assert!(e.message.contains("`entries` limit (2)"), "{e}");

    let deep = format!(
        "<plist><dict><key>k</key>{}{}</dict></plist>",
        "<array>".repeat(100),
        "</array>".repeat(100)
    );
    let x = Rex {
        name: "X",
        inheritance: PCI_CHAIN,
        planes: vec![("IOService", links("X", None, &[], &[]))],
        properties: Some(&deep),
        ..Rex::default()
    };
    let limits = Limits {
        max_depth: 50,
        ..Limits::default()
    };
    let e = read(
        &rex_document("h", &["IOService"], std::slice::from_ref(&x)),
        &limits,
    )
    .unwrap_err();
    assert!(e.message.contains("`depth` limit (50)"), "{e}");
    assert!(read(&rex_document("h", &["IOService"], &[x]), &Limits::default()).is_ok());
}

/// Writes small documents as seeds for the `iorex` fuzz target (the corpus documents are
/// megabytes): `IOSCOPE_FUZZ_SEEDS=fuzz/corpus/iorex cargo test --lib iorex::tests::fuzz_seeds -- --ignored`.
#[test]
#[ignore]
fn fuzz_seeds() {
    let Ok(dir) = std::env::var("IOSCOPE_FUZZ_SEEDS") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let cycle = |name| Rex {
        name,
        inheritance: PE_CHAIN,
        planes: vec![("IOService", links(name, None, &[1], &[1]))],
        ..Rex::default()
    };
    let seeds = [
        ("sample.ioreg", sample()),
        (
            "cycle.ioreg",
            rex_document("h", &["IOService"], &[cycle("A"), cycle("B")]),
        ),
        ("empty.ioreg", rex_document("h", &["IOService"], &[])),
    ];
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// One huge key string shared by every entry's fields once panicked allocating a copy per
/// entry ("Cannot allocate memory to hold CompactString"): keys are charged at every
/// reference, before they are built.
#[test]
fn a_shared_huge_key_is_charged_at_every_reference() {
    let mut doc = Doc::new();
    let class = doc.class("RexRegistryEntry");
    let key = "k".repeat(1 << 20);
    let all: Vec<P> = (0..200)
        .map(|_| {
            doc.add(P::Dictionary(
                [
                    (key.clone(), P::Boolean(true)),
                    ("$class".to_owned(), class.clone()),
                ]
                .into_iter()
                .collect(),
            ))
        })
        .collect();
    let entries = doc.array(all);
    let root = doc.instance("RexDataStore", vec![("registryEntries", entries)]);
    let bytes = doc.finish(root);
    assert!(
        bytes.len() < 2 << 20,
        "the key is stored once: {}",
        bytes.len()
    );
    let limits = Limits {
        max_decoded_bytes: 64 << 20,
        ..Limits::default()
    };
    let e = read(&bytes, &limits).unwrap_err();
    assert!(e.message.contains("`decoded-bytes` limit"), "{e}");
    // And a key longer than `string-bytes` is refused outright.
    let limits = Limits {
        max_string_bytes: 1000,
        ..Limits::default()
    };
    let e = read(&bytes, &limits).unwrap_err();
    assert!(e.message.contains("`string-bytes` limit (1000)"), "{e}");
}

/// An embedded binary property list whose arrays share their children (2^12 strings once
/// expanded), referenced by every entry, once got a fresh budget per entry: now every
/// embedded list spends from the document's one `decoded-bytes` budget.
#[test]
fn embedded_property_lists_share_the_documents_budget() {
    let mut objects = vec![vec![0xD1, 1, 2], b"\x51p".to_vec()];
    for i in 0..12u8 {
        objects.push(vec![0xA2, 3 + i, 3 + i]);
    }
    objects.push(b"\x51x".to_vec());
    let props = raw_bplist(&objects, 0, 1);
    let mut doc = Doc::new();
    let data = doc.add(P::Data(props));
    let class = doc.class("RexRegistryEntry");
    let all: Vec<P> = (0..64)
        .map(|i| {
            let name = doc.string(&format!("E{i}"));
            doc.add(dict([
                ("name", name),
                ("properties", data.clone()),
                ("$class", class.clone()),
            ]))
        })
        .collect();
    let entries = doc.array(all);
    let root = doc.instance("RexDataStore", vec![("registryEntries", entries)]);
    let bytes = doc.finish(root);
    // One entry's expansion fits; all of them do not.
    let limits = Limits {
        max_decoded_bytes: 4 << 20,
        ..Limits::default()
    };
    let e = read(&bytes, &limits).unwrap_err();
    assert!(e.message.contains("`decoded-bytes` limit"), "{e}");
    let limits = Limits {
        max_decoded_bytes: 64 << 20,
        ..Limits::default()
    };
    let r = read(&bytes, &limits).unwrap();
    assert_eq!(r.len(), 64);
    assert!(matches!(&r.entry(EntryId(0)).properties[0].1, Value::Array(a) if a.len() == 2));
}
