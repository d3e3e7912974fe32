//! One test per quirk, on small hand-written dumps.

use super::read as read_bytes;
use crate::formats::{Limits, Position};
use crate::registry::{
    EntryId, HeaderStyle, IntRadix, Integer, Registry, ServiceInfo, ServiceState, Text, Value,
};

fn read(s: &str) -> Registry {
    read_bytes(s.as_bytes(), &Limits::default()).expect("reads")
}

fn by_name(r: &Registry, name: &str) -> EntryId {
    r.entries()
        .find(|(_, e)| e.name == name)
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

fn prop<'r>(r: &'r Registry, entry: &str, key: &str) -> &'r Value {
    r.entry(by_name(r, entry))
        .property(key)
        .unwrap_or_else(|| panic!("no {key} on {entry}"))
}

fn s(v: &str) -> Value {
    Value::string(v)
}

pub(super) const MODERN: &str = r#"+-o Root  <class IORegistryEntry, id 0x100000100, retain 14>
  | {
  |   "IOKitBuildVersion" = "Darwin Kernel Version 22.6.0"
  |   "OSKernelCPUSubtype" = 18446744073709551615
  | }
  | 
  +-o MacBookPro16,1  <class IOPlatformExpertDevice, id 0x100000117, registered, matched, active, busy 0 (7871 ms), retain 173>
    | {
    |   "IOPolledInterface" = "SMCPolledInterface is not serializable"
    |   "target-type" = <"Mac">
    |   "compatible" = <"MacBookPro16,1","ACPI">
    |   "system-type" = <02>
    |   "IOPlatformMaxBusDelay" = (18446744073709551615,0)
    |   "IOConsoleUsers" = ({"kCGSSessionOnConsoleKey"=Yes,"kCGSessionLongUserNameKey"=,"kCGSSessionUserIDKey"=501})
    |   "Set" = ["a",No]
    |   "Empty" = {}
    | }
    | 
    +-o PCI0@0  <class IOPCIBridge, id 0x100000120, !registered, !matched, inactive, busy 2, retain 7>
      | {
      |   "IOName" = "pci"
      | }
      | 
      +-o IOPMrootDomain  <class IOPMrootDomain, id 0x10000011d, registered, matched, active, busy 0 (0 ms), retain 98>
"#;

#[test]
fn modern_dump_reads_tree_header_fields_and_values() {
    let r = read(MODERN);
    assert_eq!(r.len(), 4);
    let root = by_name(&r, "Root");
    assert!(r.entry(root).is_root);
    assert_eq!(r.entry(root).id, Some(0x100000100));
    assert_eq!(r.entry(root).retain, Some(14));
    assert_eq!(r.entry(root).state, ServiceState::NotService);
    let pe = by_name(&r, "MacBookPro16,1");
    assert_eq!(
        r.entry(pe).state,
        ServiceState::Service(ServiceInfo {
            state: ServiceInfo::REGISTERED | ServiceInfo::MATCHED,
            busy: Some(0),
            busy_time_ns: Some(7_871_000_000),
        })
    );
    let pci = by_name(&r, "PCI0");
    assert_eq!(r.entry(pci).location, Some(Text::from("0")));
    assert_eq!(r.class_name(pci), Some("IOPCIBridge"));
    let ServiceState::Service(info) = r.entry(pci).state else {
        panic!("PCI0 is a service");
    };
    assert_eq!(info.state, ServiceInfo::INACTIVE);
    assert_eq!((info.busy, info.busy_time_ns), (Some(2), Some(0)));
    // `(0 ms)`: non-zero but under a millisecond.
    let pm = by_name(&r, "IOPMrootDomain");
    let ServiceState::Service(info) = r.entry(pm).state else {
        panic!("a service");
    };
    assert_eq!(info.busy_time_ns, Some(1));

    let plane = r.plane("IOService").expect("IOService plane");
    assert_eq!(plane.roots(), &[root]);
    assert_eq!(plane.parent(pm), Some(pci));
    assert_eq!(
        r.path_in(plane, pm).unwrap(),
        "IOService:/PCI0@0/IOPMrootDomain"
    );
    let d = r.report.dialect.unwrap();
    assert_eq!(d.header, HeaderStyle::Modern);
    assert!(d.properties && !d.hex && !d.crlf && !d.html_escaped);
    assert_eq!(r.report.raw_values, 1, "the empty user name");
    assert!(r.report.truncated.is_none());
}

#[test]
fn values_of_every_kind_are_typed() {
    let r = read(MODERN);
    assert_eq!(
        prop(&r, "Root", "OSKernelCPUSubtype"),
        &Value::u64(u64::MAX)
    );
    assert_eq!(
        prop(&r, "MacBookPro16,1", "IOPolledInterface"),
        &s("SMCPolledInterface is not serializable")
    );
    assert_eq!(
        prop(&r, "MacBookPro16,1", "target-type"),
        &Value::Data(b"Mac\0"[..].into())
    );
    assert_eq!(
        prop(&r, "MacBookPro16,1", "compatible"),
        &Value::Data(b"MacBookPro16,1\0ACPI\0"[..].into())
    );
    assert_eq!(
        prop(&r, "MacBookPro16,1", "system-type"),
        &Value::Data([2u8][..].into())
    );
    assert_eq!(
        prop(&r, "MacBookPro16,1", "IOPlatformMaxBusDelay"),
        &Value::Array(vec![Value::u64(u64::MAX), Value::u64(0)])
    );
    let users = prop(&r, "MacBookPro16,1", "IOConsoleUsers");
    let Value::Array(items) = users else {
        panic!("array: {users:?}")
    };
    let Value::Dict(kv) = &items[0] else {
        panic!("dict")
    };
    assert_eq!(
        kv[0],
        (Text::from("kCGSSessionOnConsoleKey"), Value::Bool(true))
    );
    assert_eq!(
        kv[1].1,
        Value::Raw {
            text: Text::default(),
            clipped: false
        }
    );
    assert_eq!(kv[2].1, Value::u64(501));
    assert_eq!(
        prop(&r, "MacBookPro16,1", "Set"),
        &Value::Set(vec![s("a"), Value::Bool(false)])
    );
    assert_eq!(prop(&r, "MacBookPro16,1", "Empty"), &Value::Dict(vec![]));
}

fn one_value(v: &str) -> Value {
    let dump =
        format!("+-o E  <class C, id 0x1, retain 1>\n    {{\n      \"k\" = {v}\n    }}\n    \n");
    let r = read(&dump);
    r.entry(EntryId(0)).properties[0].1.clone()
}

#[test]
fn unescaped_quotes_inside_strings_are_read_best_effort() {
    assert_eq!(one_value(r#""say "hi" now""#), s(r#"say "hi" now"#));
    assert_eq!(
        one_value(r#"{"k"="a "b", c","n"=1}"#),
        Value::Dict(vec![
            (Text::from("k"), s(r#"a "b", c"#)),
            (Text::from("n"), Value::u64(1))
        ])
    );
    assert_eq!(
        one_value(r#"("x",y","z")"#),
        Value::Array(vec![s(r#"x",y"#), s("z")])
    );
}

#[test]
fn numbers_hex_overflow_and_untyped_text() {
    let hex = one_value("0x1f");
    let Value::Integer(Integer { bits, radix, .. }) = hex else {
        panic!("{hex:?}")
    };
    assert_eq!((bits, radix), (0x1f, IntRadix::Hex));
    assert!(matches!(
        one_value("18446744073709551616"),
        Value::Raw { .. }
    ));
    assert!(matches!(one_value("<unknown object>"), Value::Raw { .. }));
    assert_eq!(one_value("<>"), Value::Data(Box::new([])));
    assert!(
        matches!(one_value("<abc>"), Value::Raw { .. }),
        "odd hex digits"
    );
}

#[test]
fn old_header_forms() {
    // 10.4: `retain count`, and the words swapped (ioreg printed the matched bit as
    // "registered").
    let r = read(
        "+-o Root  <class IORegistryEntry, retain count 11>\n  +-o PE  <class IOPlatformExpertDevice, registered, !matched, active, busy 0, retain count 29>\n",
    );
    let ServiceState::Service(info) = r.entry(EntryId(1)).state else {
        panic!("service")
    };
    assert_eq!(info.state, ServiceInfo::MATCHED);
    assert_eq!(info.busy_time_ns, None);
    assert_eq!(r.entry(EntryId(1)).retain, Some(29));
    assert_eq!(r.report.dialect.unwrap().header, HeaderStyle::RetainCount);

    let r = read(
        "+-o Root  <class IORegistryEntry, retain 16>\n  +-o PE  <class X, registered, matched, active, busy 0, retain 36>\n",
    );
    assert_eq!(r.report.dialect.unwrap().header, HeaderStyle::NoId);
    assert_eq!(r.entry(EntryId(1)).id, None);

    let r = read("+-o Root  <class IORegistryEntry>\n  +-o PE  <class X>\n");
    assert_eq!(r.report.dialect.unwrap().header, HeaderStyle::ClassOnly);
    assert_eq!(r.entry(EntryId(1)).state, ServiceState::Unknown);
    assert!(r.entry(EntryId(0)).is_root);
}

#[test]
fn inheritance_chains_and_post_processed_lines() {
    let r = read(
        "+-o Root class: IORegistryEntry\n  +-o J313AP class: IORegistryEntry:IOService:IOPlatformExpertDevice\n",
    );
    assert_eq!(
        r.class_chain(EntryId(1)),
        ["IOPlatformExpertDevice", "IOService", "IORegistryEntry"]
    );
    assert_eq!(r.entry(EntryId(1)).state, ServiceState::Unknown);
    assert_eq!(r.report.dialect.unwrap().header, HeaderStyle::PostProcessed);

    let r = read(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o X  <class IORegistryEntry:IOService:AppleX, id 0x1, registered, matched, active, busy 0, retain 5>\n",
    );
    assert_eq!(r.class_name(EntryId(1)), Some("AppleX"));
    assert!(
        r.classes
            .conforms_to(r.entry(EntryId(1)).class.unwrap(), "IOService")
    );
    assert!(r.report.dialect.unwrap().inheritance);
}

#[test]
fn subtree_without_root_and_several_trees() {
    let r = read(
        "+-o A  <class C, id 0x1, registered, matched, active, busy 0, retain 4>\n    {\n      \"k\" = 1\n    }\n    \n\n+-o B  <class C, id 0x2, registered, matched, active, busy 0, retain 4>\n    {\n    }\n    \n\n",
    );
    let plane = r.plane("IOService").expect("ioreg's default plane");
    assert_eq!(plane.roots().len(), 2);
    assert!(!r.is_registry_root(EntryId(0)));
    assert_eq!(r.path_in(plane, EntryId(1)).unwrap(), "IOService:/B");
}

#[test]
fn plane_headers_and_device_tree_inference() {
    let r = read(
        "IOService:\n+-o Root  <class IORegistryEntry, retain count 13>\n  +-o PE  <class X, retain count 2>\nIODeviceTree:\n+-o Root  <class IORegistryEntry, retain count 13>\n  +-o /  <class X, retain count 2>\n",
    );
    assert_eq!(r.len(), 4);
    assert_eq!(r.plane("IOService").unwrap().len(), 2);
    assert_eq!(r.plane("IODeviceTree").unwrap().len(), 2);

    let r = read(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 26>\n  +-o device-tree  <class IOPlatformExpertDevice, id 0x100000232, registered, matched, active, busy 0, retain 49>\n",
    );
    assert!(r.plane("IODeviceTree").is_some());
    assert!(r.plane("IOService").is_none());
}

#[test]
fn same_id_in_two_planes_is_one_entry() {
    let r = read(
        "IOService:\n+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o J313AP  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0, retain 5>\nIODeviceTree:\n+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o device-tree  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0, retain 5>\n",
    );
    assert_eq!(r.len(), 2);
    let dt = r.plane("IODeviceTree").unwrap();
    assert_eq!(r.name_in(dt, EntryId(1)), &Text::from("device-tree"));
    assert_eq!(r.entry(EntryId(1)).name, "J313AP");
}

#[test]
fn clipped_lines_keep_the_partial_value() {
    let r = read(
        "+-o E  <class C, id 0x1, registered, matched, active, busy 0, retain 1>\n    {\n      \"list\" = (\"a\",\"b$\n      \"n\" = 12$\n      \"price\" = \"5$\"\n    }\n    \n+-o F  <class C, id 0x2, regist$\n",
    );
    let e = r.entry(EntryId(0));
    assert_eq!(
        e.properties[0].1,
        Value::Raw {
            text: Text::from("(\"a\",\"b"),
            clipped: true
        }
    );
    assert_eq!(
        e.properties[1].1,
        Value::Raw {
            text: Text::from("12"),
            clipped: true
        }
    );
    assert_eq!(
        e.properties[2].1,
        s("5$"),
        "a complete value ending in $ is not clipped"
    );
    assert_eq!(r.report.clipped_lines, 3);
    let f = r.entry(EntryId(1));
    assert_eq!((f.id, f.state), (Some(2), ServiceState::Unknown));
    assert_eq!(r.class_name(EntryId(1)), Some("C"));
}

#[test]
fn multi_line_strings_continue_over_lines() {
    let r = read(
        "+-o E  <class C, id 0x1, retain 1>\n    {\n      \"a\" = \"line one\nline two\n\"\n      \"b\" = {\"x\"=\"p\nq\",\"y\"=1}\n      \"c\" = 3\n    }\n    \n",
    );
    let e = r.entry(EntryId(0));
    assert_eq!(e.properties[0].1, s("line one\nline two\n"));
    assert_eq!(
        e.properties[1].1,
        Value::Dict(vec![
            (Text::from("x"), s("p\nq")),
            (Text::from("y"), Value::u64(1))
        ])
    );
    assert_eq!(e.properties[2].1, Value::u64(3));
    assert_eq!(r.report.raw_values, 0);
}

#[test]
fn formatted_hex_dumps_decode_to_data() {
    let dump = "+-o E  <class C, id 0x1, retain 1>\n    {\n      \"reg\" = \n        00000000: 00 18 00 00 24 24 00 00 00 00 00 00 00 00 00 00 00 00 00 00                                     ....$$..............\n      \"ranges\" = \n        -child- -parent-\n        82000000 82000000\n    }\n    \n";
    let r = read(dump);
    let e = r.entry(EntryId(0));
    let mut want = vec![0u8; 20];
    want[1] = 0x18;
    want[4] = b'$';
    want[5] = b'$';
    assert_eq!(e.properties[0].1, Value::Data(want.into()));
    assert!(
        matches!(&e.properties[1].1, Value::Raw { text, .. } if text == "-child- -parent-\n82000000 82000000")
    );
    assert_eq!(r.report.clipped_lines, 0);
}

#[test]
fn crlf_html_and_macroman() {
    let r = read(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\r\n  | {\r\n  |   \"k\" = 0x10\r\n  | }\r\n  | \r\n  +-o X  <class C, id 0x1, retain 2>\r\n",
    );
    let d = r.report.dialect.unwrap();
    assert!(d.crlf && d.hex);
    assert_eq!(r.len(), 2);

    let r = read(
        "+-o Root  &lt;class IORegistryEntry, retain 16&gt;\n  | {\n  |   \"d\" = &lt;0200&gt;\n  |   \"s\" = \"a &amp; b\"\n  | }\n  | \n",
    );
    assert!(r.report.dialect.unwrap().html_escaped);
    assert_eq!(r.class_name(EntryId(0)), Some("IORegistryEntry"));
    assert_eq!(prop(&r, "Root", "d"), &Value::Data([2u8, 0][..].into()));
    assert_eq!(prop(&r, "Root", "s"), &s("a & b"));

    let bytes = b"+-o Arm\x90nio  <class C, id 0x1, retain 1>\n    {\n      \"n\" = \"Arm\x90nio\"\n    }\n    \n";
    let r = read_bytes(bytes, &Limits::default()).unwrap();
    assert_eq!(r.entry(EntryId(0)).name.as_bytes(), b"Arm\x90nio");
    let Value::String(t) = &r.entry(EntryId(0)).properties[0].1 else {
        panic!("string")
    };
    assert_eq!(t.as_bytes(), b"Arm\x90nio");
}

#[test]
fn a_two_megabyte_line_reads() {
    let big = "x".repeat(2 << 20);
    let r = read(&format!(
        "+-o E  <class C, id 0x1, retain 1>\n    {{\n      \"big\" = (\"{big}\",<00>)\n    }}\n    \n"
    ));
    let Value::Array(a) = &r.entry(EntryId(0)).properties[0].1 else {
        panic!("array")
    };
    assert!(matches!(&a[0], Value::String(t) if t.len() == 2 << 20));
}

#[test]
fn truncated_files_load_what_is_complete() {
    let r = read(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  | {\n  | }\n  | \n  +-o IOHIDSystem  <class",
    );
    assert_eq!(r.len(), 2);
    assert_eq!(r.entry(EntryId(1)).name, "IOHIDSystem");
    assert_eq!(r.entry(EntryId(1)).class, None);
    let t = r.report.truncated.clone().expect("truncated");
    assert_eq!(t.position, "line 5");

    let r = read(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  | {\n  |   \"a\" = 1\n  |   \"b\" = (1,",
    );
    assert_eq!(r.entry(EntryId(0)).properties.len(), 2);
    assert!(r.report.truncated.is_some());
}

#[test]
fn garbage_and_files_without_a_tree_are_errors() {
    let e = read_bytes(b"\x00\x01\x02binary\xff\n+-o ", &Limits::default()).unwrap_err();
    assert_eq!(e.at, Position::Line(1));
    assert!(
        e.message.contains("expected an ioreg tree line"),
        "{}",
        e.message
    );

    let e = read_bytes(b"hello\nworld\n", &Limits::default()).unwrap_err();
    assert_eq!(e.at, Position::Line(1));
    assert!(e.message.contains("found none"), "{}", e.message);

    assert!(read_bytes(b"", &Limits::default()).is_err());
    // A short preamble is tolerated.
    let r = read("$ ioreg -l\n+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n");
    assert_eq!(r.len(), 1);
    assert_eq!(r.report.warnings.len(), 1);
}

#[test]
fn too_deep_is_an_error_not_a_crash() {
    let limits = Limits {
        max_depth: 64,
        ..Limits::default()
    };
    let deep = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
    let dump =
        format!("+-o E  <class C, id 0x1, retain 1>\n    {{\n      \"k\" = {deep}\n    }}\n");
    let e = read_bytes(dump.as_bytes(), &limits).unwrap_err();
    assert_eq!(e.at, Position::Line(3));
    assert!(e.message.contains("`depth` limit (64)"), "{e}");

    let tree = format!("+-o R  <class C>\n{}+-o E  <class C>\n", "| ".repeat(65));
    let e = read_bytes(tree.as_bytes(), &limits).unwrap_err();
    assert!(e.message.contains("tree too deep"), "{e}");
    assert!(e.message.contains("--limit depth=N"), "{e}");

    let few = Limits {
        max_entries: 1,
        ..Limits::default()
    };
    let e = read_bytes(b"+-o A  <class C>\n+-o B  <class C>\n", &few).unwrap_err();
    assert_eq!(e.at, Position::Line(2));
}

#[test]
fn a_depth_jump_hangs_under_the_deepest_open_entry() {
    let r = read(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n      +-o Deep  <class C, id 0x1, retain 1>\n  +-o Next  <class C, id 0x2, retain 1>\n",
    );
    let p = r.plane("IOService").unwrap();
    assert_eq!(p.parent(EntryId(1)), Some(EntryId(0)));
    assert_eq!(p.parent(EntryId(2)), Some(EntryId(0)));
    assert_eq!(r.report.warnings.len(), 1);
}

#[test]
fn names_split_at_the_last_at_sign_without_spaces_after_it() {
    let r = read("+-o a@b@1f,2  <class C>\n+-o mail@host name  <class C>\n");
    assert_eq!(r.entry(EntryId(0)).name, "a@b");
    assert_eq!(r.entry(EntryId(0)).location, Some(Text::from("1f,2")));
    assert_eq!(r.entry(EntryId(1)).name, "mail@host name");
    assert_eq!(r.entry(EntryId(1)).location, None);
}
