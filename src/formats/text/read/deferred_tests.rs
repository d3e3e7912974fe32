//! `ValueMode::Defer` (issue 22's lazy values): a dump read with its property values left in
//! the bytes, on one thread and in chunks, decodes to the very registry a read that keeps them
//! builds; entries hold no values until their source is attached.

use super::tests::MODERN;
use super::{Reader, ValueMode, chunked, decode_properties};
use crate::formats::{Deferred, Limits};
use crate::registry::{EntryId, Registry, Span, Value};

/// The registry `bytes` read to on one thread keeping the values, and with them deferred
/// (on one thread, then in chunks when the chunks read the bytes), their source attached: the
/// same entries, planes and report. Returns the deferred one-thread registry, and how many
/// chunked reads there were (0 or 1).
fn check(bytes: &[u8]) -> (Registry, usize) {
    let limits = Limits::default();
    let kept = Reader::new(bytes, &limits).run().expect("reads");
    let mut reader = Reader::new(bytes, &limits);
    reader.values = ValueMode::Defer;
    let mut deferred = reader.run().expect("reads deferring");
    assert_pending(&deferred, &kept);
    Deferred::attach_memory(&mut deferred, bytes, &limits);
    let some = kept.entries().any(|(_, e)| !e.properties.is_empty());
    assert_eq!(deferred.has_deferred_properties(), some);
    assert_same(&deferred, &kept);

    let mut chunks = 0;
    for threads in [2, 3] {
        let read = chunked::read_in_chunks(bytes, &limits, threads, 16, None, ValueMode::Defer);
        if let Ok((mut chunked, n)) = read {
            assert!(n > 1);
            chunks = 1;
            assert_pending(&chunked, &kept);
            Deferred::attach_memory(&mut chunked, bytes, &limits);
            assert_same(&chunked, &kept);
        }
    }
    (deferred, chunks)
}

/// Entries read deferring, before their source is attached: every list that holds values is
/// left in the bytes with its count, and holds none of them.
fn assert_pending(pending: &Registry, kept: &Registry) {
    assert_eq!(pending.len(), kept.len());
    for ((id, p), (_, k)) in pending.entries().zip(kept.entries()) {
        assert_eq!(p.properties.len(), k.properties.len(), "entry {}", id.0);
        if k.properties.is_empty() {
            assert!(!p.properties.is_deferred(), "entry {}", id.0);
        } else {
            assert!(p.properties.is_deferred(), "entry {}", id.0);
            assert!(p.properties.pending_span().is_some(), "entry {}", id.0);
            assert!(
                p.properties.iter().next().is_none(),
                "entry {} holds values",
                id.0
            );
        }
    }
}

/// Every entry (its properties decoded), every plane and the report.
fn assert_same(deferred: &Registry, kept: &Registry) {
    assert_eq!(deferred.len(), kept.len());
    for ((id, d), (_, k)) in deferred.entries().zip(kept.entries()) {
        assert!(d == k, "entry {}: {:.300?}", id.0, d.properties);
        assert_eq!(d.properties.unavailable(), None);
    }
    let walks = |r: &Registry| -> Vec<(String, Vec<(u32, usize)>)> {
        r.planes()
            .iter()
            .map(|p| {
                let walk = p.walk().map(|(id, d)| (id.0, d)).collect();
                (p.name().to_owned(), walk)
            })
            .collect()
    };
    assert_eq!(walks(deferred), walks(kept));
    assert_eq!(
        format!("{:?}", deferred.report),
        format!("{:?}", kept.report)
    );
}

/// The span entry `id`'s properties were left at, read deferring (before attaching).
fn span_of(bytes: &[u8], id: u32) -> Span {
    let limits = Limits::default();
    let mut reader = Reader::new(bytes, &limits);
    reader.values = ValueMode::Defer;
    let r = reader.run().unwrap();
    r.entry(EntryId(id)).properties.pending_span().unwrap().0
}

fn offset(bytes: &[u8], of: &str) -> u64 {
    memchr::memmem::find(bytes, of.as_bytes()).unwrap() as u64
}

#[test]
fn a_modern_dump_decodes_to_what_was_read_and_chunks_agree() {
    let (r, chunks) = check(MODERN.as_bytes());
    assert!(r.has_deferred_properties());
    assert_eq!(chunks, 1, "the chunks read it");
    let bytes = MODERN.as_bytes();
    // From the `{` line to the end of the `}` line.
    let span = span_of(bytes, 1);
    let open = offset(bytes, "    | {\n    |   \"IOPolledInterface\"");
    let close = offset(bytes, "    | }\n    | \n    +-o PCI0") + 8;
    assert_eq!((span.start, span.end, span.flags), (open, close, 0));
}

#[test]
fn a_block_cut_short_by_a_tree_line_ends_where_the_tree_line_starts() {
    let dump = "+-o Root  <class IORegistryEntry, id 0x100000100, retain 14>\n  | {\n  |   \"a\" = 1\n  |   \"s\" = \"two\nlines\"\n  +-o Child  <class IOService, id 0x100000200, retain 5>\n    | {\n    |   \"c\" = Yes\n    | }\n    | \n";
    let (r, _) = check(dump.as_bytes());
    assert_eq!(r.entry(EntryId(0)).properties.len(), 2);
    assert_eq!(
        r.entry(EntryId(0)).properties[1].1,
        Value::string("two\nlines")
    );
    assert!(r.report.warnings[0].contains("no closing brace"));
    let span = span_of(dump.as_bytes(), 0);
    assert_eq!(span.end, offset(dump.as_bytes(), "  +-o Child"));
}

#[test]
fn a_block_at_the_end_of_the_file_without_its_brace() {
    for dump in [
        "+-o E  <class C, id 0x1, retain 1>\n    {\n      \"a\" = 1\n      \"b\" = (1,",
        "+-o E  <class C, id 0x1, retain 1>\n    {\n      \"a\" = 1\n      \"b\" = \"two\nlines",
        "+-o E  <class C, id 0x1, retain 1>\n    {\n      \"a\" = 1\n      \"b\" = <0102>\n",
    ] {
        let (r, _) = check(dump.as_bytes());
        assert!(r.report.truncated.is_some(), "{dump}");
        assert_eq!(r.entry(EntryId(0)).properties.len(), 2);
        assert_eq!(span_of(dump.as_bytes(), 0).end, dump.len() as u64);
    }
}

#[test]
fn multi_line_values_formatted_hex_dumps_and_clipped_values() {
    // Multi-line strings, in a dict too, one last before the brace.
    check(b"+-o E  <class C, id 0x1, retain 1>\n    {\n      \"a\" = \"line one\nline two\n\"\n      \"b\" = {\"x\"=\"p\nq\",\"y\"=1}\n      \"c\" = \"last\n\"\n    }\n    \n+-o F  <class C, id 0x2, retain 1>\n    {\n      \"d\" = \"x\ny\"\n    }\n");
    // `ioreg -f`: a hex dump and another layout, the last value of its block.
    let (r, _) = check(b"+-o E  <class C, id 0x1, retain 1>\n    {\n      \"reg\" = \n        00000000: 00 18 00 00 24 24 00 00 00 00 00 00 00 00 00 00 00 00 00 00                                     ....$$..............\n      \"ranges\" = \n        -child- -parent-\n        82000000 82000000\n    }\n    \n+-o F  <class C, id 0x2, retain 1>\n    {\n      \"reg\" = \n        00000000: 01 02                                     ..\n    }\n");
    assert!(matches!(
        r.entry(EntryId(0)).properties[0].1,
        Value::Data(_)
    ));
    assert_eq!(r.report.raw_values, 1);
    // Clipped values (`$`), a value that is complete with its `$`, and a clipped key.
    let (r, _) = check(b"+-o E  <class C, id 0x1, registered, matched, active, busy 0, retain 1>\n    {\n      \"list\" = (\"a\",\"b$\n      \"n\" = 12$\n      \"price\" = \"5$\"\n      \"ke$\n    }\n    \n+-o F  <class C, id 0x2, regist$\n");
    assert_eq!(r.entry(EntryId(0)).properties.len(), 4);
    assert_eq!(r.report.clipped_lines, 4);
}

#[test]
fn crlf_and_classic_mac_os_line_endings() {
    let crlf = "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\r\n  | {\r\n  |   \"k\" = 0x10\r\n  |   \"s\" = \"a\r\nb\"\r\n  | }\r\n  | \r\n  +-o X  <class C, id 0x1, retain 2>\r\n    {\r\n      \"d\" = <01>\r\n    }\r\n";
    let (r, _) = check(crlf.as_bytes());
    assert!(r.report.dialect.unwrap().crlf);
    assert_eq!(r.entry(EntryId(0)).properties[1].1, Value::string("a\nb"));
    assert_eq!(span_of(crlf.as_bytes(), 0).flags, 0);

    // Classic Mac OS line endings (judged on the first 64 KB): a `\n` after them is no line
    // end, in the block read again too.
    let pad = "x".repeat(70_000);
    let cr = format!(
        "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\r  | {{\r  |   \"pad\" = \"{pad}\"\r  | }}\r  | \r  +-o X  <class C, id 0x1, retain 2>\r    {{\r      \"s\" = \"a\nb\"\r      \"t\" = \"c\rd\"\r    }}\r"
    );
    let (r, _) = check(cr.as_bytes());
    assert_eq!(r.entry(EntryId(1)).properties[0].1, Value::string("a\nb"));
    assert_eq!(r.entry(EntryId(1)).properties[1].1, Value::string("c\nd"));
    assert_ne!(span_of(cr.as_bytes(), 1).flags, 0);
}

#[test]
fn dumps_indented_with_tabs_or_a_margin() {
    // Indented with tabs, and with a margin before every line.
    let tabs = "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n\t{\n\t  \"k\" = 1\n\t  \"s\" = \"a\n\tb\"\n\t}\n\t+-o X  <class C, id 0x1, retain 2>\n\t\t  {\n\t\t    \"k\" = 2\n\t\t  }\n";
    let (r, _) = check(tabs.as_bytes());
    assert_eq!(r.entry(EntryId(1)).properties[0].1, Value::u64(2));
    assert_ne!(span_of(tabs.as_bytes(), 0).flags, 0);
    let margin = "   +-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n     | {\n     |   \"k\" = 1\n     |   \"s\" = \"a\n   b\"\n     | }\n     +-o X  <class C, id 0x1, retain 2>\n         {\n           \"k\" = 2\n         }\n";
    let (r, _) = check(margin.as_bytes());
    assert_eq!(r.entry(EntryId(0)).properties.len(), 2);
    assert_ne!(span_of(margin.as_bytes(), 0).flags, 0);
}

#[test]
fn html_escaped_dumps() {
    let html = "+-o Root  &lt;class IORegistryEntry, retain 16&gt;\n  | {\n  |   \"d\" = &lt;0200&gt;\n  |   \"s\" = \"a &amp; b\"\n  | }\n  | \n";
    let (r, _) = check(html.as_bytes());
    assert_eq!(r.entry(EntryId(0)).properties[1].1, Value::string("a & b"));
}

#[test]
fn an_entry_seen_twice_keeps_the_first_properties_listed() {
    // In the first plane without a block, then with one; then with one in both.
    let (r, _) = check(b"IOService:\n+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o J313AP  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0, retain 5>\nIODeviceTree:\n+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o device-tree  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0, retain 5>\n      {\n        \"model\" = <\"J313\">\n      }\n");
    assert_eq!(r.len(), 2);
    assert_eq!(r.entry(EntryId(1)).properties.len(), 1);
    let (r, _) = check(b"IOService:\n+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o J313AP  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0, retain 5>\n      {\n        \"a\" = 1\n      }\nIODeviceTree:\n+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o device-tree  <class IOPlatformExpertDevice, id 0x100000110, registered, matched, active, busy 0, retain 5>\n      {\n        \"b\" = 2\n        \"c\" = 3\n      }\n");
    assert_eq!(r.entry(EntryId(1)).properties[0].0, "a");
}

#[test]
fn empty_blocks_and_a_block_after_a_blank_line() {
    // An empty block leaves nothing in the bytes; a later `{` line opens the entry's block.
    let (r, _) = check(b"+-o E  <class C, id 0x1, retain 1>\n    {\n    }\n    \n    {\n      \"late\" = Yes\n    }\n+-o F  <class C, id 0x2, retain 1>\n    {\n    }\n");
    assert_eq!(r.entry(EntryId(0)).properties.len(), 1);
    assert!(!r.entry(EntryId(1)).properties.is_deferred());
}

#[test]
fn bytes_that_are_no_block_are_an_error() {
    let limits = Limits::default();
    let e = decode_properties(b"+-o E  <class C>\n", false, 0, &limits).unwrap_err();
    assert!(e.to_string().contains("expected the `{` line"), "{e}");
    assert!(decode_properties(b"", false, 0, &limits).is_err());
    let one = decode_properties(b"  {\n    \"a\" = 1\n  }\n", false, 0, &limits).unwrap();
    assert_eq!(one, vec![("a".into(), Value::u64(1))]);
}
