//! Properties left in the file ([`ValueMode::Defer`]) read back as a [`ValueMode::Keep`] read
//! has them: keys after the children, `-r -t` single-dict children, ioscope's archives
//! (`ioscope:` keys, escaped keys, annotations), synthetic keys of the wrong type, entries
//! cut across chunks; and what cannot be one span stays loaded.

use super::super::chunks::tests::{sorted_like_ioreg, write_archive};
use super::super::tests::{fingerprint, plist};
use super::super::{chunks, read_xml_on_one_thread};
use super::*;
use crate::formats::Deferred;
use crate::registry::{Registry, Text, Value};

fn limits() -> Limits {
    Limits::default()
}

fn kept(bytes: &[u8]) -> Registry {
    read_xml_on_one_thread(bytes, &limits(), &|_| {}, ValueMode::Keep)
        .expect("reads")
        .0
}

/// How many entries' properties are left in the file; each holds no value (it only counts
/// them) until a source is attached.
fn held_back(r: &Registry) -> usize {
    let mut n = 0;
    for (id, e) in r.entries() {
        if e.properties.is_deferred() {
            assert!(!e.properties.is_empty(), "entry {}: nothing deferred", id.0);
            assert!(
                e.properties.iter().next().is_none(),
                "entry {} holds values before its source is attached",
                id.0
            );
            n += 1;
        }
    }
    n
}

/// Read with [`ValueMode::Defer`] on one thread, a copy of `bytes` attached: the registry and
/// how many entries' properties were left in the file.
fn deferred(bytes: &[u8]) -> (Registry, usize) {
    let (mut r, _) = read_xml_on_one_thread(bytes, &limits(), &|_| {}, ValueMode::Defer).unwrap();
    let n = held_back(&r);
    Deferred::attach_memory(&mut r, bytes, &limits());
    (r, n)
}

/// [`deferred`] in `chunks` chunks on `threads` threads (`None` when they step aside).
fn deferred_in_chunks(bytes: &[u8], threads: usize, chunks: usize) -> Option<(Registry, usize)> {
    let (mut r, _) = chunks::read(bytes, &limits(), &|_| {}, threads, chunks, ValueMode::Defer)?;
    let n = held_back(&r);
    Deferred::attach_memory(&mut r, bytes, &limits());
    Some((r, n))
}

/// `got` (deferred) is `want` (kept): every entry (its properties decoded), planes, classes,
/// report.
fn assert_same(got: &Registry, want: &Registry, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (id, e) in want.entries() {
        let g = got.entry(id);
        assert_eq!(g.properties.unavailable(), None, "{what}: entry {}", id.0);
        assert!(g == e, "{what}: entry {}:\n{g:?}\n{e:?}", id.0);
    }
    assert_eq!(fingerprint(got), fingerprint(want), "{what}");
}

/// The deferred read of `bytes` is the kept one; how many entries were deferred.
fn same(bytes: &[u8], what: &str) -> usize {
    let want = kept(bytes);
    let (got, n) = deferred(bytes);
    assert_same(&got, &want, what);
    n
}

fn with_properties(r: &Registry) -> usize {
    r.entries()
        .filter(|(_, e)| !e.properties.is_empty())
        .count()
}

fn names(r: &Registry, deferred: bool) -> Vec<String> {
    r.entries()
        .filter(|(_, e)| e.properties.is_deferred() == deferred && !e.properties.is_empty())
        .map(|(_, e)| e.name.to_string())
        .collect()
}

/// An entry dict at `tabs` tabs, as `ioreg -a` lays it out: `before` (key, value) pairs, its
/// children, then `after`.
fn entry(
    tabs: usize,
    before: &[(&str, String)],
    children: &[String],
    after: &[(&str, String)],
) -> String {
    let t = "\t".repeat(tabs);
    let pairs = |list: &[(&str, String)]| -> String {
        list.iter()
            .map(|(k, v)| format!("{t}\t<key>{k}</key>\n{t}\t{v}\n"))
            .collect()
    };
    let mut s = format!("{t}<dict>\n");
    s += &pairs(before);
    if !children.is_empty() {
        s += &format!("{t}\t<key>IORegistryEntryChildren</key>\n{t}\t<array>\n");
        for c in children {
            s += c;
        }
        s += &format!("{t}\t</array>\n");
    }
    s += &pairs(after);
    s + &format!("{t}</dict>\n")
}

fn string(s: &str) -> String {
    format!("<string>{s}</string>")
}

fn integer(n: u64) -> String {
    format!("<integer>{n}</integer>")
}

/// A root, one platform entry, `n` entries below it with two leaves each: every entry with
/// properties before and after its children (its ID and name after them, as `ioreg -a`
/// sorts them), some values nested.
fn tree(n: usize) -> Vec<u8> {
    let kids: Vec<String> = (0..n)
        .map(|i| {
            let leaves: Vec<String> = (0..2)
                .map(|j| {
                    entry(
                        6,
                        &[
                            ("IOObjectClass", string("Leaf")),
                            ("IOLeafThing", integer(j)),
                        ],
                        &[],
                        &[
                            ("IORegistryEntryID", integer(10_000 + 2 * i as u64 + j)),
                            ("IORegistryEntryName", string(&format!("leaf{i}-{j}"))),
                            ("name", format!("<data>{}</data>", "bGVhZgA=")),
                        ],
                    )
                })
                .collect();
            entry(
                4,
                &[
                    ("IOClass", string("Device")),
                    ("IOObjectClass", string("Device")),
                    (
                        "IOPropertyMatch",
                        format!("<dict><key>a</key>{}</dict>", integer(i as u64)),
                    ),
                ],
                &leaves,
                &[
                    ("IORegistryEntryID", integer(100 + i as u64)),
                    ("IORegistryEntryName", string(&format!("e{i}"))),
                    (
                        "compatible",
                        "<array><string>x</string><string>y</string></array>".into(),
                    ),
                    ("model", string(&format!("model &amp; {i}"))),
                ],
            )
        })
        .collect();
    let platform = entry(
        2,
        &[
            ("IOObjectClass", string("IOPlatformExpertDevice")),
            ("IOBusyInterest", string("x")),
        ],
        &kids,
        &[
            ("IORegistryEntryID", integer(2)),
            ("IORegistryEntryName", string("platform")),
            ("serial-number", string("C02")),
        ],
    );
    let root = entry(
        0,
        &[
            ("IOKitBuildVersion", string("Darwin")),
            ("IOObjectClass", string("IORegistryEntry")),
        ],
        &[platform],
        &[
            ("IORegistryEntryID", integer(1)),
            ("IORegistryEntryName", string("Root")),
            ("OS Build Version", string("17E202")),
        ],
    );
    plist(root.trim_end()).into_bytes()
}

#[test]
fn keys_after_the_children_are_read_again_with_those_before() {
    let bytes = tree(20);
    let n = same(&bytes, "tree");
    let want = kept(&bytes);
    assert_eq!(n, with_properties(&want));
    assert_eq!(n, want.len(), "every entry here has properties");
    // The root's and the platform's keys lie both sides of their children.
    let root = want.entry(crate::registry::EntryId(0));
    let keys: Vec<String> = root.properties.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["IOKitBuildVersion", "OS Build Version"]);
    // And the archive-format fixture of the reader's tests (keys after the children too).
    let root_fixture = plist(super::super::tests::ROOT);
    assert_eq!(same(root_fixture.as_bytes(), "ROOT"), 2);
}

#[test]
fn r_t_children_held_as_one_dict_are_the_hole() {
    let leaf = entry(
        3,
        &[
            ("IORegistryEntryName", string("PCI0")),
            ("IOObjectClass", string("IOPCIBridge")),
        ],
        &[],
        &[("reg", "<data>AAAA</data>".into())],
    );
    let t = "\t".repeat(2);
    let mid = format!(
        "{t}<dict>\n{t}\t<key>IOObjectClass</key>\n{t}\t<string>IOPlatformExpertDevice</string>\n\
         {t}\t<key>IOPlatformSerialNumber</key>\n{t}\t<string>C02</string>\n\
         {t}\t<key>IORegistryEntryChildren</key>\n{t}\t<array>\n{leaf}{t}\t</array>\n\
         {t}\t<key>IORegistryEntryName</key>\n{t}\t<string>J313AP</string>\n\
         {t}\t<key>model</key>\n{t}\t<data>TWFj</data>\n{t}</dict>\n"
    );
    let body = format!(
        "<array>\n\t<dict>\n\t\t<key>IOKitBuildVersion</key>\n\t\t<string>Darwin</string>\n\
         \t\t<key>IORegistryEntryChildren</key>\n{mid}\
         \t\t<key>IORegistryEntryName</key>\n\t\t<string>Root</string>\n\
         \t\t<key>OS Build Version</key>\n\t\t<string>17E202</string>\n\t</dict>\n</array>"
    );
    let bytes = plist(&body).into_bytes();
    let want = kept(&bytes);
    assert_eq!(want.len(), 3);
    assert!(want.report.array_root);
    assert_eq!(same(&bytes, "-r -t"), 3);
    let (got, _) = deferred(&bytes);
    let root = got.entry(crate::registry::EntryId(0));
    assert_eq!(root.properties.len(), 2);
    assert_eq!(
        root.property("OS Build Version"),
        Some(&Value::String(Text::from("17E202")))
    );
}

/// A registry whose properties collide with the reader's keys (written escaped) and need
/// annotations (exact integer widths, sets, raw values …), written by ioscope.
fn colliding(seed: u64) -> Registry {
    let mut r = crate::kernel::sim::generate::synthetic(300, seed);
    let ids: Vec<_> = r.entries().map(|(id, _)| id).collect();
    for (n, id) in ids.into_iter().enumerate().filter(|(n, _)| n % 7 == 0) {
        let e = r.entry_mut(id);
        e.properties.push((
            Text::from("IORegistryEntryName"),
            Value::String(Text::from(format!("not the name {n}"))),
        ));
        e.properties
            .push((Text::from("ioscope:format"), Value::u64(2)));
        e.properties
            .push((Text::from("ioscope:key:x"), Value::Bool(true)));
        e.properties
            .push((Text::from("zz after"), Value::Set(vec![Value::u64(1)])));
    }
    r
}

#[test]
fn ioscope_archives_escaped_keys_and_annotations_read_again_the_same() {
    for seed in [1, 2] {
        let registry = colliding(seed);
        for annotate in [false, true] {
            let plain = write_archive(&registry, annotate);
            let text = String::from_utf8_lossy(&plain);
            assert!(text.contains("<key>ioscope:key:IORegistryEntryName</key>"));
            assert_eq!(text.contains("<key>ioscope:annotations</key>"), annotate);
            assert_eq!(text.contains("<key>ioscope:format</key>"), annotate);
            // As written (ours first, then the fields, the properties and the children), and
            // sorted like `ioreg -a` (annotations and `ioscope:format` after the children).
            let sorted = sorted_like_ioreg(&plain).unwrap();
            for (how, bytes) in [("written", &plain), ("sorted", &sorted)] {
                let what = format!("seed {seed}, annotate {annotate}, {how}");
                let want = kept(bytes);
                let n = same(bytes, &what);
                assert_eq!(n, with_properties(&want), "{what}");
                // The escapes are undone in ioscope's archives only.
                let undone = want
                    .entries()
                    .any(|(_, e)| e.property("ioscope:format") == Some(&Value::u64(2)));
                assert_eq!(undone, annotate, "{what}");
            }
        }
    }
}

#[test]
fn synthetic_keys_of_the_wrong_type_or_repeated_stay_properties() {
    let leaf = entry(
        4,
        &[
            ("IOObjectRetainCount", string("x")),
            ("IORegistryEntryName", integer(3)),
            ("IOServiceState", integer(7)),
        ],
        &[],
        &[
            ("IOServiceState", integer(9)),
            ("IORegistryEntryName", string("leaf")),
        ],
    );
    let root = entry(
        2,
        &[("IORegistryEntryName", string("Root")), ("a", integer(1))],
        &[leaf],
        // The name again, after the children: a property.
        &[("IORegistryEntryName", string("again")), ("z", integer(2))],
    );
    let bytes = plist(root.trim_end()).into_bytes();
    let want = kept(&bytes);
    assert!(
        want.report.warnings.len() >= 3,
        "{:?}",
        want.report.warnings
    );
    let leaf = want.entry(crate::registry::EntryId(1));
    assert_eq!(leaf.name, "leaf");
    assert_eq!(leaf.properties.len(), 3);
    assert_eq!(same(&bytes, "wrong types"), 2);
    let (got, _) = deferred(&bytes);
    assert_eq!(got.report.warnings, want.report.warnings);
}

#[test]
fn what_one_span_cannot_hold_stays_loaded() {
    // Two children arrays: two holes.
    let a = entry(
        4,
        &[("IORegistryEntryName", string("a")), ("p", integer(1))],
        &[],
        &[],
    );
    let b = entry(
        4,
        &[("IORegistryEntryName", string("b")), ("p", integer(2))],
        &[],
        &[],
    );
    let t = "\t".repeat(2);
    let twice = format!(
        "{t}<dict>\n{t}\t<key>IORegistryEntryName</key>\n{t}\t<string>twice</string>\n\
         {t}\t<key>k1</key>\n{t}\t<integer>1</integer>\n\
         {t}\t<key>IORegistryEntryChildren</key>\n{t}\t<array>\n{a}{t}\t</array>\n\
         {t}\t<key>k2</key>\n{t}\t<integer>2</integer>\n\
         {t}\t<key>IORegistryEntryChildren</key>\n{t}\t<array>\n{b}{t}\t</array>\n\
         {t}\t<key>k3</key>\n{t}\t<integer>3</integer>\n{t}</dict>\n"
    );
    // A child that says the archive is ioscope's: its parent's keys after it are read as
    // ioscope's (the escape undone), those before it not.
    let ours = entry(
        4,
        &[
            ("IORegistryEntryName", string("says")),
            ("ioscope:format", integer(1)),
        ],
        &[],
        &[("ioscope:key:q", integer(5))],
    );
    let flips = entry(
        2,
        &[
            ("IORegistryEntryName", string("flips")),
            ("ioscope:key:p", integer(4)),
        ],
        &[ours],
        &[("ioscope:key:r", integer(6))],
    );
    let root = entry(
        0,
        &[("IORegistryEntryName", string("Root"))],
        &[twice.clone(), flips],
        &[],
    );
    let bytes = plist(root.trim_end()).into_bytes();
    let want = kept(&bytes);
    let flips = want.entries().find(|(_, e)| e.name == "flips").unwrap().1;
    let keys: Vec<String> = flips
        .properties
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(keys, ["ioscope:key:p", "r"]);
    same(&bytes, "kept loaded");
    let (got, _) = deferred(&bytes);
    assert_eq!(names(&got, false), ["twice", "flips"]);
    assert_eq!(names(&got, true), ["a", "b", "says"]);

    // The same in an archive known to be ioscope's from its first key: the escapes of the
    // entry with two children arrays are undone.
    let root = entry(
        0,
        &[
            ("ioscope:format", integer(1)),
            ("IORegistryEntryName", string("Root")),
        ],
        &[twice.replace("<key>k2</key>", "<key>ioscope:key:k2</key>")],
        &[],
    );
    let bytes = plist(root.trim_end()).into_bytes();
    let want = kept(&bytes);
    let twice = want.entries().find(|(_, e)| e.name == "twice").unwrap().1;
    assert_eq!(twice.property("k2"), Some(&Value::u64(2)));
    same(&bytes, "ours, kept loaded");
    assert_eq!(names(&deferred(&bytes).0, false), ["twice"]);
}

#[test]
fn entries_cut_across_chunks_are_one_span() {
    let bytes = tree(60);
    let want = kept(&bytes);
    let all = with_properties(&want);
    let mut read = 0;
    for chunks in 2..40 {
        for threads in [2, 3] {
            let Some((got, n)) = deferred_in_chunks(&bytes, threads, chunks) else {
                continue;
            };
            read += 1;
            let what = format!("{chunks} chunks on {threads} threads");
            assert_eq!(n, all, "{what}");
            assert_same(&got, &want, &what);
        }
    }
    assert_eq!(read, 38 * 2, "every split reads");
    // The root and the platform entry are open at every cut: their spans join a chunk's
    // start with a later chunk's end.
    let (got, _) = deferred_in_chunks(&bytes, 3, 9).unwrap();
    for id in [0, 1] {
        let e = got.entry(crate::registry::EntryId(id));
        assert!(e.properties.is_deferred() && e.properties.len() == 2);
    }
}

#[test]
fn generated_and_ioscope_archives_read_the_same_deferred_in_chunks() {
    let registry = colliding(3);
    for annotate in [false, true] {
        let plain = write_archive(&registry, annotate);
        let sorted = sorted_like_ioreg(&plain).unwrap();
        for (how, bytes) in [("written", &plain), ("sorted", &sorted)] {
            let want = kept(bytes);
            let mut read = 0;
            for (threads, chunks) in [(2, 2), (3, 7), (3, 40)] {
                let what = format!("annotate {annotate}, {how}, {chunks} chunks");
                let keep =
                    chunks::read(bytes, &limits(), &|_| {}, threads, chunks, ValueMode::Keep);
                let defer = deferred_in_chunks(bytes, threads, chunks);
                assert_eq!(keep.is_some(), defer.is_some(), "{what}");
                if let Some((got, n)) = defer {
                    read += 1;
                    assert_eq!(n, with_properties(&want), "{what}");
                    assert_same(&got, &want, &what);
                }
            }
            // Sorted, an annotated archive's annotations no longer fit their properties: the
            // warnings make the chunks step aside (kept or deferred alike).
            if !(annotate && how == "sorted") {
                assert!(read > 0, "annotate {annotate}, {how}: the chunks read it");
            }
        }
    }
}

#[test]
fn a_span_whose_bytes_changed_is_an_error_not_other_values() {
    let bytes = tree(3);
    let (r, _) = read_xml_on_one_thread(&bytes, &limits(), &|_| {}, ValueMode::Defer).unwrap();
    let (span, _) = r
        .entries()
        .find_map(|(_, e)| e.properties.pending_span())
        .unwrap();
    let at = |a: u64, b: u64| &bytes[a as usize..b as usize];
    let head = at(span.start, span.hole_start);
    let tail = at(span.hole_end, span.end);
    assert!(decode_properties(head, tail, span.flags, &limits()).is_ok());
    // Cut short, or with the children left in: refused.
    assert!(decode_properties(&head[..head.len() / 2], tail, span.flags, &limits()).is_err());
    let whole = at(span.start, span.end);
    let e = decode_properties(whole, b"", span.flags, &limits()).unwrap_err();
    assert!(e.message.contains("children"), "{e}");
}

/// Entry dicts nested `depth` deep, each with a property and two children arrays (no one
/// span holds its keys: each is read again whole, children with it), around a leaf with
/// many properties.
fn nested_twice_parented(depth: usize) -> Vec<u8> {
    let mut open = String::new();
    let mut close = String::new();
    for i in 0..depth {
        open.push_str(&format!(
            "<dict><key>IORegistryEntryName</key><string>e{i}</string><key>a</key>\
             <string>x</string><key>IORegistryEntryChildren</key><array/>\
             <key>IORegistryEntryChildren</key><array>\n"
        ));
        close.push_str("</array></dict>\n");
    }
    let leaf: String = (0..200)
        .map(|i| format!("<key>k{i}</key><integer>{i}</integer>"))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n{open}\
         <dict><key>IORegistryEntryName</key><string>leaf</string>{leaf}</dict>\n{close}</plist>\n"
    )
    .into_bytes()
}

#[test]
fn dicts_read_again_whole_level_after_level_give_way_to_keeping_every_value() {
    let read = |bytes: &[u8]| {
        super::super::read_xml(bytes, &limits(), &|_| {}, ValueMode::Defer)
            .unwrap()
            .0
    };
    // One level: read again once, within one document's worth: the leaf's properties stay
    // in the file.
    let shallow = nested_twice_parented(1);
    let r = read(&shallow);
    assert_eq!(held_back(&r), 1);
    // Forty levels would read the leaf forty times: the document is read keeping every value
    // instead (linear), the same registry as a read that keeps them.
    let deep = nested_twice_parented(40);
    let r = read(&deep);
    assert_eq!(held_back(&r), 0);
    assert_same(&r, &kept(&deep), "forty levels");
}
