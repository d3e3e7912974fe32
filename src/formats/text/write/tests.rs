use super::value::looks_like_text;
use super::write;
use crate::formats::Selection;
use crate::formats::{Limits, text};
use crate::registry::{
    Entry, HeaderStyle, Integer, Registry, ServiceInfo, ServiceState, TextDialect, Value,
};

fn dump(r: &Registry, sel: &Selection) -> String {
    let mut out = Vec::new();
    write(r, sel, &mut out).expect("writes");
    String::from_utf8(out).expect("utf-8")
}

fn round_trip(input: &str) {
    let r = text::read(input.as_bytes(), &Limits::default()).expect("reads");
    assert_eq!(dump(&r, &Selection::default()), input);
}

#[test]
fn modern_dump_round_trips() {
    round_trip(
        r#"+-o Root  <class IORegistryEntry, id 0x100000100, retain 14>
  | {
  |   "IORegistryPlanes" = {"IOService"="IOService","IOPower"="IOPower"}
  |   "U" = 18446744073709551615
  | }
  | 
  +-o Mac  <class IOPlatformExpertDevice, id 0x100000117, registered, matched, active, busy 0 (7871 ms), retain 173>
    | {
    |   "name" = <"/">
    |   "compatible" = <"a","b">
    |   "raw" = <0001>
    |   "users" = ({"k"=Yes,"empty"=,"n"=501,"s"=["x",No]})
    |   "multi" = "line one
line two"
    | }
    | 
    +-o A@1  <class C, id 0x1, !registered, !matched, inactive, busy 2 (0 ms), retain 5>
    | | {
    | | }
    | | 
    | +-o Leaf  <class C, id 0x2, registered, matched, active, busy 0, retain 5>
    |     {
    |     }
    |     
    +-o B  <class IORegistryEntry, id 0x3, retain 6>
        {
        }
        
"#,
    );
}

#[test]
fn old_dialects_round_trip() {
    round_trip(
        "+-o Root  <class IORegistryEntry, retain count 11>\n  | {\n  |   \"k\" = 1\n  | }\n  | \n  +-o PE  <class X, registered, !matched, active, busy 0, retain count 29>\n      {\n      }\n      \n",
    );
    round_trip(
        "+-o Root  <class IORegistryEntry, retain 16>\n  +-o PE  <class X, registered, matched, active, busy 1, retain 36>\n",
    );
    round_trip("+-o Root  <class IORegistryEntry>\n  +-o PE  <class X>\n");
    round_trip(
        "+-o Root class: IORegistryEntry\n  +-o J313AP class: IORegistryEntry:IOService:IOPlatformExpertDevice\n",
    );
    round_trip(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o X  <class IORegistryEntry:IOService:AppleX, id 0x1, registered, matched, active, busy 0, retain 5>\n",
    );
}

#[test]
fn hex_crlf_html_and_subtrees_round_trip() {
    round_trip(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\r\n  | {\r\n  |   \"k\" = 0x10\r\n  |   \"d\" = <6162>\r\n  | }\r\n  | \r\n  +-o X  <class C, id 0x1, retain 2>\r\n      {\r\n      }\r\n      \r\n",
    );
    round_trip(
        "+-o Root  &lt;class IORegistryEntry, retain 16&gt;\n  | {\n  |   \"d\" = &lt;0200&gt;\n  |   \"s\" = \"a &amp; b\"\n  | }\n  | \n  +-o X  &lt;class C, retain 1&gt;\n      {\n      }\n      \n",
    );
    round_trip(
        "+-o A  <class C, id 0x1, registered, matched, active, busy 0, retain 4>\n    {\n      \"k\" = 1\n    }\n    \n\n+-o B  <class C, id 0x2, registered, matched, active, busy 0, retain 4>\n    {\n    }\n    \n\n",
    );
}

#[test]
fn clipped_values_are_written_with_their_mark() {
    round_trip(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 1>\n    {\n      \"list\" = (\"a\",\"b$\n    }\n    \n",
    );
}

#[test]
fn data_is_text_only_as_ioreg_would_show_it() {
    assert!(looks_like_text(b"Mac\0"));
    assert!(looks_like_text(b"a\0b"));
    assert!(
        !looks_like_text(b"ab\0\0"),
        "one NUL per string since IOKitTools-86"
    );
    assert!(!looks_like_text(b"a"), "one byte is never text");
    assert!(!looks_like_text(b"\0\0"));
    assert!(!looks_like_text(b"ab\x01"));
    assert!(looks_like_text(b"abcd\xe9"), "80% printable");
    assert!(!looks_like_text(b"abc\xe9\xe9"));
}

/// A registry built in code (no dialect): printed as a modern `ioreg -l`.
fn built() -> Registry {
    let mut r = Registry::new();
    let root = r.add_entry(Entry {
        id: Some(0x100000100),
        retain: Some(3),
        state: ServiceState::NotService,
        is_root: true,
        ..Entry::named("Root")
    });
    r.entry_mut(root).class = Some(r.classes.intern("IORegistryEntry"));
    let usb_class = r
        .classes
        .intern_chain(["IORegistryEntry", "IOService", "IOUSBHostDevice"])
        .unwrap();
    let dev = r.add_entry(Entry {
        id: Some(0x10),
        location: Some("14100000".into()),
        class: Some(usb_class),
        retain: Some(9),
        state: ServiceState::Service(ServiceInfo {
            state: ServiceInfo::REGISTERED | ServiceInfo::MATCHED,
            busy: Some(0),
            busy_time_ns: Some(2_500_000),
        }),
        properties: vec![
            ("neg".into(), Value::Integer(Integer::signed(-1, 32))),
            ("real".into(), Value::Real(2.9)),
            ("when".into(), Value::Date(crate::registry::Date(0.0))),
        ]
        .into(),
        ..Entry::named("Keyboard")
    });
    let plane = r.plane_mut("IOService");
    plane.add_root(root);
    plane.add_child(root, dev);
    r
}

#[test]
fn built_registries_print_as_modern_ioreg_l() {
    let out = dump(&built(), &Selection::default());
    assert_eq!(
        out,
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 3>\n  | {\n  | }\n  | \n  +-o Keyboard@14100000  <class IOUSBHostDevice, id 0x10, registered, matched, active, busy 0 (2 ms), retain 9>\n      {\n        \"neg\" = 18446744073709551615\n        \"real\" = 2\n        \"when\" = <unknown object>\n      }\n      \n"
    );
}

#[test]
fn selection_plane_depth_and_subtrees() {
    let r = built();
    let depth1 = dump(
        &r,
        &Selection {
            depth: Some(1),
            ..Selection::default()
        },
    );
    assert_eq!(
        depth1,
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 3>\n    {\n    }\n    \n"
    );
    let sub = dump(
        &r,
        &Selection {
            class: Some("IOService".into()),
            root_subtrees: true,
            ..Selection::default()
        },
    );
    assert!(
        sub.starts_with("+-o Keyboard@14100000  <class IOUSBHostDevice"),
        "{sub}"
    );
    assert!(sub.ends_with("    }\n    \n\n"), "{sub:?}");
    let mut none = Vec::new();
    let err = write(
        &r,
        &Selection {
            plane: Some("IOPower".into()),
            ..Selection::default()
        },
        &mut none,
    )
    .unwrap_err();
    assert!(err.to_string().contains("IOPower"));
}

#[test]
fn tree_only_dialect_prints_no_blocks_but_matches_do() {
    let mut r = built();
    r.report.dialect = Some(TextDialect {
        header: HeaderStyle::Modern,
        ..TextDialect::default()
    });
    let out = dump(&r, &Selection::default());
    assert_eq!(out.lines().count(), 2);
    let out = dump(
        &r,
        &Selection {
            key: Some("neg".into()),
            ..Selection::default()
        },
    );
    assert!(out.contains("\"neg\" = "));
    assert!(!out.contains("  | {"), "Root does not match -k neg");
}

#[test]
fn w_clips_as_ioreg_does() {
    let clipped = |s: &str, w: usize| {
        let mut line = s.as_bytes().to_vec();
        super::clip(&mut line, w);
        String::from_utf8(line).unwrap()
    };
    // `printva` keeps WIDTH − 1 bytes and `println` adds `$` once a line reaches WIDTH bytes.
    assert_eq!(clipped("abcd", 5), "abcd");
    assert_eq!(clipped("abcde", 5), "abcd$");
    assert_eq!(clipped("abcdefgh", 5), "abcd$");
    assert_eq!(clipped("a\nb", 9), "a b", "newlines become spaces");
    assert_eq!(clipped("abcé", 5), "abc$", "never half a character");
}
