//! Plist and JSON writers: round trip (property test), plistlib compatibility, JSON shape.

use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::formats::{Limits, archive};
use ioscope::registry::{
    Date, Entry, EntryId, HeaderStyle, IntRadix, Integer, Registry, ServiceInfo, ServiceState,
    Text, TextDialect, Truncation, Value,
};
use proptest::prelude::*;
use std::fmt::Write as _;

// ---------- canonical form: every field the model holds, as text ----------

fn canon_text(t: &Text) -> String {
    match t.as_str() {
        Some(s) => format!("{s:?}"),
        None => format!("bytes{:?}", t.as_bytes()),
    }
}

fn canon_value(v: &Value, out: &mut String) {
    match v {
        Value::Dict(pairs) => {
            out.push('{');
            for (k, v) in pairs {
                out.push_str(&canon_text(k));
                out.push('=');
                canon_value(v, out);
                out.push(',');
            }
            out.push('}');
        }
        Value::Array(items) | Value::Set(items) => {
            out.push_str(if matches!(v, Value::Set(_)) {
                "set["
            } else {
                "["
            });
            for v in items {
                canon_value(v, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::String(t) => out.push_str(&canon_text(t)),
        Value::Integer(i) => write!(out, "{i:?}").unwrap(),
        Value::Bool(b) => write!(out, "{b}").unwrap(),
        Value::Data(d) => write!(out, "data{d:?}").unwrap(),
        Value::Date(d) => write!(out, "date{:?}", d.0.to_bits()).unwrap(),
        Value::Real(r) => write!(out, "real{:?}", r.to_bits()).unwrap(),
        Value::Raw { text, clipped } => write!(out, "raw({},{clipped})", canon_text(text)).unwrap(),
    }
}

fn canon(r: &Registry) -> Vec<String> {
    let mut lines = Vec::new();
    for plane in r.planes() {
        lines.push(format!(
            "plane {} roots {}",
            plane.name(),
            plane.roots().len()
        ));
        for (id, depth) in plane.walk() {
            let e = r.entry(id);
            let mut s = format!(
                "{depth} id={:?} name={} loc={:?} pname={:?} ploc={:?} chain={:?} retain={:?} state={:?} root={} props=",
                e.id,
                canon_text(&e.name),
                e.location.as_ref().map(canon_text),
                plane.name_override(id).map(canon_text),
                plane
                    .location_override(id)
                    .map(|l| l.as_ref().map(canon_text)),
                r.class_chain(id),
                e.retain,
                e.state,
                e.is_root,
            );
            for (k, v) in &e.properties {
                s.push_str(&canon_text(k));
                s.push('=');
                canon_value(v, &mut s);
                s.push(';');
            }
            lines.push(s);
        }
    }
    let rep = &r.report;
    lines.push(format!(
        "report dialect={:?} host={:?} clipped={} truncated={:?} warnings={:?} raw={}",
        rep.dialect, rep.host, rep.clipped_lines, rep.truncated, rep.warnings, rep.raw_values
    ));
    lines
}

// ---------- generators ----------

fn text() -> impl Strategy<Value = Text> {
    prop_oneof![
        6 => "[a-zA-Z0-9 ,@:]{0,8}".prop_map(Text::from),
        2 => "[<>&\"'\r\n\t\u{1}\u{7f}é\u{fffe}😀 ]{0,6}".prop_map(Text::from),
        1 => prop::collection::vec(any::<u8>(), 0..6).prop_map(|b| Text::from_bytes(&b)),
        1 => prop::sample::select(vec!["IORegistryEntryName", "IOObjectClass", "ioscope:format", "ioscope:key:x", "IORegistryEntryChildren"]).prop_map(Text::from),
    ]
}

fn integer() -> impl Strategy<Value = Integer> {
    (
        prop::sample::select(vec![8u8, 16, 32, 64]),
        any::<u64>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(width, bits, signed, hex)| {
            let mask = if width == 64 {
                u64::MAX
            } else {
                (1u64 << width) - 1
            };
            Integer {
                bits: bits & mask,
                width,
                signed,
                radix: if hex {
                    IntRadix::Hex
                } else {
                    IntRadix::Decimal
                },
            }
        })
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        text().prop_map(Value::String),
        integer().prop_map(Value::Integer),
        Just(Value::u64(7)),
        any::<bool>().prop_map(Value::Bool),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(|d| Value::Data(d.into())),
        prop_oneof![
            (-3_000_000_000i64..3_000_000_000).prop_map(|s| s as f64),
            -1e9f64..1e9
        ]
        .prop_map(|s| Value::Date(Date(s))),
        prop_oneof![any::<f64>(), Just(f64::NAN), Just(-0.0)].prop_map(Value::Real),
        (text(), any::<bool>()).prop_map(|(text, clipped)| Value::Raw { text, clipped }),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec((text(), inner.clone()), 0..4).prop_map(Value::Dict),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(inner, 0..4).prop_map(Value::Set),
        ]
    })
}

const CHAINS: [&[&str]; 5] = [
    &[],
    &["IORegistryEntry"],
    &["IORegistryEntry", "IOService"],
    &["IORegistryEntry", "IOService", "IOUSBHostDevice"],
    &["IORegistryEntry", "IOService", "IOPCIDevice"],
];

fn state() -> impl Strategy<Value = ServiceState> {
    prop_oneof![
        Just(ServiceState::Unknown),
        Just(ServiceState::NotService),
        (any::<u64>(), any::<Option<u32>>(), any::<Option<u64>>()).prop_map(|(state, busy, t)| {
            ServiceState::Service(ServiceInfo {
                state,
                busy,
                busy_time_ns: t,
            })
        }),
    ]
}

#[derive(Debug, Clone)]
struct GenEntry {
    parent: Option<prop::sample::Index>,
    entry: Entry,
    chain: usize,
    name_override: Option<Text>,
    location_override: Option<Option<Text>>,
}

fn gen_entry() -> impl Strategy<Value = GenEntry> {
    (
        (
            prop::option::weighted(0.9, any::<prop::sample::Index>()),
            any::<Option<u64>>(),
            text(),
            prop::option::of(text()),
            0..CHAINS.len(),
            any::<Option<u32>>(),
            state(),
            any::<bool>(),
        ),
        prop::collection::vec((text(), value()), 0..5),
        prop::option::weighted(0.15, text()),
        prop::option::weighted(0.15, prop::option::of(text())),
    )
        .prop_map(
            |((parent, id, name, location, chain, retain, state, is_root), props, no, lo)| {
                GenEntry {
                    parent,
                    entry: Entry {
                        id,
                        name,
                        location,
                        class: None,
                        retain,
                        state,
                        properties: props.into(),
                        is_root,
                        synthetic: false,
                    },
                    chain,
                    name_override: no,
                    location_override: lo,
                }
            },
        )
}

fn registry() -> impl Strategy<Value = Registry> {
    (
        prop::collection::vec(gen_entry(), 1..8),
        prop::sample::select(vec!["IOService", "IODeviceTree"]),
        any::<bool>(),
        prop::option::of("[a-z ]{0,6}"),
        0usize..50,
        any::<bool>(),
    )
        .prop_map(|(gens, plane_name, dialect, host, clipped, truncated)| {
            let mut r = Registry::new();
            let mut ids: Vec<EntryId> = Vec::new();
            let mut links = Vec::new();
            for g in gens {
                let mut e = g.entry;
                e.class = r.classes.intern_chain(CHAINS[g.chain].iter().copied());
                let id = r.add_entry(e);
                let parent = match (g.parent, ids.is_empty()) {
                    (Some(ix), false) => Some(ids[ix.index(ids.len())]),
                    _ => None,
                };
                links.push((id, parent, g.name_override, g.location_override));
                ids.push(id);
            }
            let plane = r.plane_mut(plane_name);
            for (id, parent, no, lo) in links {
                match parent {
                    Some(p) => {
                        let _ = plane.add_child(p, id);
                    }
                    None => plane.add_root(id),
                }
                if let Some(n) = no {
                    plane.set_name_override(id, n);
                }
                if let Some(l) = lo {
                    plane.set_location_override(id, l);
                }
            }
            r.report.dialect = dialect.then_some(TextDialect {
                header: HeaderStyle::RetainCount,
                hex: true,
                properties: true,
                html_escaped: false,
                crlf: true,
                inheritance: true,
            });
            r.report.host = host;
            r.report.clipped_lines = clipped;
            r.report.truncated = truncated.then(|| Truncation {
                position: "12".into(),
                message: "stopped mid-line".into(),
            });
            r.report.raw_values = r
                .entries()
                .flat_map(|(_, e)| e.properties.iter().map(|(_, v)| v.raw_count()))
                .sum();
            r
        })
}

fn write(r: &Registry, format: DumpFormat, sel: &Selection) -> Vec<u8> {
    let mut out = Vec::new();
    formats::write(r, sel, format, &mut out).expect("writes");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn plist_write_then_read_is_the_identity(r in registry()) {
        let annotated = Selection { annotate: true, ..Selection::default() };
        let xml = write(&r, DumpFormat::Plist, &annotated);
        let back = archive::read(&xml, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&xml))))?;
        prop_assert_eq!(canon(&r), canon(&back));
    }

    #[test]
    fn json_output_is_valid_json(r in registry()) {
        let json = write(&r, DumpFormat::Json, &Selection::default());
        let v: serde_json::Value = serde_json::from_slice(&json)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&json))))?;
        let roots = v["planes"][0]["roots"].as_array().expect("roots").len();
        prop_assert_eq!(roots, r.planes()[0].roots().len());
    }
}

/// A small registry with every value type, for the fixed tests.
fn sample() -> Registry {
    let mut r = Registry::new();
    let root = r.add_entry(Entry {
        is_root: true,
        id: Some(0x1_0000_0100),
        retain: Some(40),
        state: ServiceState::NotService,
        ..Entry::named("Root")
    });
    r.entry_mut(root).class = Some(r.classes.intern("IORegistryEntry"));
    let usb = r.add_entry(Entry {
        id: Some(u64::MAX),
        location: Some("14100000".into()),
        state: ServiceState::Service(ServiceInfo {
            state: 6,
            busy: Some(0),
            busy_time_ns: Some(3_000_000),
        }),
        properties: vec![
            (
                "idVendor".into(),
                Value::Integer(Integer::unsigned(0x5ac, 16)),
            ),
            ("Set".into(), Value::Set(vec![Value::string("a")])),
            ("Big".into(), Value::u64(u64::MAX)),
            ("Data".into(), Value::Data(b"\x00\xff".to_vec().into())),
            ("When".into(), Value::Date(Date(0.0))),
            (
                "Raw".into(),
                Value::Raw {
                    text: "(1,2".into(),
                    clipped: true,
                },
            ),
        ]
        .into(),
        ..Entry::named("Keyboard")
    });
    r.entry_mut(usb).class =
        r.classes
            .intern_chain(["IORegistryEntry", "IOService", "IOUSBHostDevice"]);
    let p = r.plane_mut("IOService");
    p.add_root(root);
    p.add_child(root, usb);
    r
}

#[test]
fn python_plistlib_reads_the_plist_writer_output() {
    let Ok(status) = std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
    else {
        eprintln!("python3 not found: skipped");
        return;
    };
    if !status.success() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.plist");
    std::fs::write(
        &path,
        write(&sample(), DumpFormat::Plist, &Selection::default()),
    )
    .unwrap();
    let script = "import plistlib,sys\nd=plistlib.load(open(sys.argv[1],'rb'))\n\
        def walk(n):\n  yield n\n  for c in n.get('IORegistryEntryChildren',[]): yield from walk(c)\n\
        print(','.join(n['IORegistryEntryName']+':'+n['IOObjectClass'] for n in walk(d)))\n\
        k=d['IORegistryEntryChildren'][0]\nprint(k['Big'],k['idVendor'],k['Data'].hex(),k['When'].year,k['IORegistryEntryID'])";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        format!(
            "Root:IORegistryEntry,Keyboard:IOUSBHostDevice\n{} 1452 00ff 2001 {}\n",
            u64::MAX,
            u64::MAX
        )
    );
}

#[test]
fn json_tags_values_jq_cannot_hold_and_ids_are_hex() {
    let json = write(&sample(), DumpFormat::Json, &Selection::default());
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let root = &v["planes"][0]["roots"][0];
    assert_eq!(root["id"], "0x100000100");
    assert_eq!(root["state"]["service"], false);
    let kb = &root["children"][0];
    assert_eq!(kb["chain"][0], "IOUSBHostDevice");
    // Root's first child is the plane's root object: `IOService:/` itself (xnu `getPath`).
    assert_eq!(kb["path"], "IOService:/");
    assert_eq!(kb["parents"], serde_json::json!(["0x100000100"]));
    assert_eq!(root["parents"], serde_json::json!([]));
    assert_eq!(kb["state"]["registered"], true);
    let p = &kb["properties"];
    assert_eq!(p["idVendor"], 1452);
    assert_eq!(p["Big"]["$int"], "18446744073709551615");
    assert_eq!(p["Data"]["$data"], "00ff");
    assert_eq!(p["Set"]["$set"][0], "a");
    assert_eq!(p["When"]["$date"], "2001-01-01T00:00:00Z");
    assert_eq!(p["Raw"]["clipped"], true);
}

#[test]
fn r_selection_writes_an_array_of_matching_subtrees() {
    let sel = Selection {
        class: Some("IOService".into()),
        root_subtrees: true,
        ..Selection::default()
    };
    let xml = write(&sample(), DumpFormat::Plist, &sel);
    let back = archive::read(&xml, &Limits::default()).unwrap();
    let plane = back.plane("IOService").unwrap();
    assert_eq!(plane.roots().len(), 1);
    assert_eq!(back.entry(plane.roots()[0]).name, "Keyboard");
    let err = formats::write(
        &sample(),
        &Selection {
            plane: Some("IOUSB".into()),
            ..Selection::default()
        },
        DumpFormat::Json,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("IOUSB"), "{err}");
}
