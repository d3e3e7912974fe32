//! Hostile input, round 2 (issue 17, the readers' side): every class of input that crashed,
//! hung or exhausted memory, built small here, gives a clear error naming its limit or
//! loads correctly; and the plist conformance cases read as Core Foundation reads them.

use crate::common::ioscope_bin;
use ioscope::formats::{self, Format, Limits, LoadError, Position};
use ioscope::registry::limits::TABLE;
use ioscope::registry::{EntryId, Registry, Value};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn read(bytes: &[u8]) -> Registry {
    formats::read_bytes(bytes, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn read_err(bytes: &[u8], limits: &Limits) -> formats::ReadError {
    match formats::read_bytes(bytes, limits) {
        Ok(r) => panic!("expected an error, loaded {} entries", r.len()),
        Err(e) => e,
    }
}

/// The error names the limit and says how to raise it.
fn assert_names_limit(message: &str, name: &str) {
    assert!(message.contains(&format!("`{name}` limit")), "{message}");
    assert!(message.contains(&format!("--limit {name}=N")), "{message}");
    assert!(message.contains("IOSCOPE_LIMITS"), "{message}");
}

/// Runs ioscope with `args`, killing it (and failing) if it runs longer than `secs`.
fn run(args: &[&str], env: &[(&str, &str)], secs: u64) -> std::process::Output {
    let mut child = Command::new(ioscope_bin())
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("ioscope {args:?} still running after {secs} s (a hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr_line(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one stderr line, got {stderr:?}");
    lines[0].to_owned()
}

// ---- the limits table ------------------------------------------------------------------

/// The README's table is the code's: every name with its default.
#[test]
fn the_readme_lists_every_limit_with_its_default() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for spec in TABLE {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", spec.name)))
            .unwrap_or_else(|| panic!("README has no row for `{}`", spec.name));
        let shown = match spec.default {
            d if d >= 1 << 30 && d % (1 << 30) == 0 => format!("{} GiB", d >> 30),
            d if d >= 1 << 20 && d % (1 << 20) == 0 && spec.name.ends_with("bytes") => {
                format!("{} MiB", d >> 20)
            }
            d => d
                .to_string()
                .as_bytes()
                .rchunks(3)
                .rev()
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join(","),
        };
        assert!(
            row.contains(&format!("| {shown} |")),
            "{row} (default {shown})"
        );
    }
}

#[test]
fn limits_are_raised_by_flag_or_environment_on_any_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("three.txt");
    std::fs::write(
        &path,
        b"+-o A  <class C>\n+-o B  <class C>\n+-o C  <class C>\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();

    let out = run(&["stats", p, "--limit", "entries=2"], &[], 60);
    assert_eq!(out.status.code(), Some(1));
    assert_names_limit(&stderr_line(&out), "entries");

    let out = run(&["--limit", "entries=2", "dump", p], &[], 60);
    assert_names_limit(&stderr_line(&out), "entries");

    let out = run(
        &["stats", p],
        &[("IOSCOPE_LIMITS", "depth=9,entries=2")],
        60,
    );
    assert_names_limit(&stderr_line(&out), "entries");

    // `--limit` wins over the environment.
    let out = run(
        &["stats", p, "--limit", "entries=3"],
        &[("IOSCOPE_LIMITS", "entries=2")],
        60,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(&["stats", p, "--limit", "entires=3"], &[], 60);
    let line = stderr_line(&out);
    assert!(line.contains("unknown limit `entires`"), "{line}");
    assert!(line.contains("entries"), "{line}");
}

// ---- memory not bounded ----------------------------------------------------------------

/// 20,000 plane headers of one entry each once allocated planes × entries (4 GB). The planes
/// limit stops them; raised, each plane costs what it holds.
#[test]
fn twenty_thousand_plane_headers_stop_at_the_planes_limit() {
    let mut dump = String::new();
    for i in 0..20_000 {
        dump.push_str(&format!("P{i}:\n+-o E{i}  <class C, id 0x{:x}>\n", i + 1));
    }
    let e = read_err(dump.as_bytes(), &Limits::default());
    assert_names_limit(&e.message, "planes");
    assert!(matches!(e.at, Position::Line(n) if n < 600), "{e}");

    let mut dump = String::new();
    for i in 0..2_000 {
        dump.push_str(&format!("P{i}:\n+-o E{i}  <class C, id 0x{:x}>\n", i + 1));
    }
    let raised = Limits {
        max_planes: 3_000,
        ..Limits::default()
    };
    let r = formats::read_bytes(dump.as_bytes(), &raised).unwrap();
    assert_eq!(r.planes().len(), 2_000);
    assert!(r.planes().iter().all(|p| p.len() == 1));
}

/// Empty entries in an XML archive are counted as they are met: the error comes at the first
/// entry past the limit, before the rest is read.
#[test]
fn an_archive_of_empty_entries_stops_at_the_entries_limit_where_it_is_passed() {
    let n = 50_000;
    let mut doc = String::from("<plist><array>");
    doc.push_str(&"<dict/>".repeat(n));
    doc.push_str("</array></plist>");
    let limits = Limits {
        max_entries: 1_000,
        ..Limits::default()
    };
    let e = read_err(doc.as_bytes(), &limits);
    assert_names_limit(&e.message, "entries");
    let at = "<plist><array>".len() + 1_000 * "<dict/>".len();
    assert_eq!(e.at, Position::Byte(at as u64), "{e}");
}

#[test]
fn stats_of_dev_zero_stops_at_the_input_limit() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let out = run(
        &["stats", "/dev/zero", "--limit", "input-bytes=1M"],
        &[],
        60,
    );
    assert_eq!(out.status.code(), Some(1));
    let line = stderr_line(&out);
    assert!(line.starts_with("ioscope: /dev/zero: "), "{line}");
    assert_names_limit(&line, "input-bytes");
}

/// A FIFO is opened once and read once: its writer writes a dump and exits, and the load
/// finishes (it once opened the FIFO twice and waited forever for a second writer).
#[cfg(unix)]
#[test]
fn a_fifo_whose_writer_exits_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("dump.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            f.write_all(b"+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o A  <class C>\n")
                .unwrap();
        })
    };
    let out = run(&["stats", fifo.to_str().unwrap()], &[], 60);
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["entries"], 2, "{stats}");
}

// ---- super-linear work -----------------------------------------------------------------

/// A 300,000-class superclass chain (`ioreg -i` writes base first) loads, whole.
#[test]
fn a_300k_class_chain_loads() {
    let chain: Vec<String> = (0..300_000).map(|i| format!("K{i}")).collect();
    let dump = format!("+-o Leaf  <class {}>\n", chain.join(":"));
    let r = read(dump.as_bytes());
    assert_eq!(r.class_chain(EntryId(0)).len(), 300_000);
    assert_eq!(r.class_chain(EntryId(0))[0], "K299999");
}

/// The same link listed again and again (40 times per level, 30 levels) is kept once, so a
/// walk of the plane visits each entry once instead of 40^30 times.
#[test]
fn a_child_listed_many_times_is_linked_once() {
    let mut r = Registry::new();
    let ids: Vec<EntryId> = (0..31)
        .map(|i| r.add_entry(ioscope::registry::Entry::named(format!("E{i}"))))
        .collect();
    let plane = r.plane_mut("IOService");
    plane.add_root(ids[0]);
    for w in ids.windows(2) {
        for _ in 0..40 {
            plane.add_child(w[0], w[1]);
        }
    }
    assert_eq!(plane.children(ids[0]), &[ids[1]]);
    assert_eq!(plane.walk().count(), 31);
}

// ---- formats ---------------------------------------------------------------------------

const TREE: &str = "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o A  <class C, id 0x1, retain 1>\n  | {\n  |   \"k\" = 1\n  | }\n  | \n  | +-o B  <class C, id 0x2, retain 1>\n  +-o D  <class C, id 0x3, retain 1>\n";

fn shape(r: &Registry) -> Vec<(String, usize)> {
    let p = r.plane("IOService").expect("IOService");
    p.walk()
        .map(|(id, d)| (r.entry(id).name.to_string(), d))
        .collect()
}

#[test]
fn cr_only_and_tab_indented_text_dumps_read_as_ioreg_wrote_them() {
    let plain = read(TREE.as_bytes());
    let expected = vec![
        ("Root".to_owned(), 0),
        ("A".to_owned(), 1),
        ("B".to_owned(), 2),
        ("D".to_owned(), 1),
    ];
    assert_eq!(shape(&plain), expected);

    let cr = TREE.replace('\n', "\r");
    let r = read(cr.as_bytes());
    assert_eq!(shape(&r), expected);
    assert_eq!(r.entry(EntryId(1)).properties.len(), 1);

    // Pasted with a tab before every line.
    let tabbed: String = TREE.lines().map(|l| format!("\t{l}\n")).collect();
    let r = read(tabbed.as_bytes());
    assert_eq!(shape(&r), expected);
    assert_eq!(r.entry(EntryId(1)).properties.len(), 1);

    // `unexpand`ed: runs of 8 leading columns became tabs.
    let deep = "+-o Root  <class IORegistryEntry, id 0x100000100, retain 5>\n  +-o A  <class C>\n    +-o B  <class C>\n      +-o C  <class C>\n        +-o E  <class C>\n          +-o F  <class C>\n";
    let unexpanded = deep
        .replace("          +-o", "\t  +-o")
        .replace("        +-o", "\t+-o");
    assert!(unexpanded.contains('\t'));
    let r = read(unexpanded.as_bytes());
    let depths: Vec<usize> = shape(&r).into_iter().map(|(_, d)| d).collect();
    assert_eq!(depths, [0, 1, 2, 3, 4, 5]);
}

const ARCHIVE: &str = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<plist version=\"1.0\">\n<dict>\n\t<key>IORegistryEntryName</key>\n\t<string>Root é</string>\n\t<key>n</key>\n\t<integer>7</integer>\n</dict>\n</plist>\n";

#[test]
fn utf16_and_utf32_xml_plists_read_as_utf8_ones_and_never_as_text() {
    let utf8 = read(ARCHIVE.as_bytes());
    assert_eq!(utf8.entry(EntryId(0)).name.to_string(), "Root é");
    let le: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(ARCHIVE.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be_no_bom: Vec<u8> = ARCHIVE.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let le32: Vec<u8> = [0xff, 0xfe, 0, 0]
        .into_iter()
        .chain(ARCHIVE.chars().flat_map(|c| (c as u32).to_le_bytes()))
        .collect();
    let be32_no_bom: Vec<u8> = ARCHIVE
        .chars()
        .flat_map(|c| (c as u32).to_be_bytes())
        .collect();
    for doc in [le, be_no_bom, le32, be32_no_bom] {
        assert_eq!(formats::detect(&doc), Format::Archive);
        let r = read(&doc);
        assert_eq!(r.entry(EntryId(0)).name.to_string(), "Root é");
        assert_eq!(
            r.entry(EntryId(0)).properties,
            utf8.entry(EntryId(0)).properties
        );
    }
    // An error names the byte of the file, not of the transcoded text.
    let bad = "<plist><dict><key>IORegistryEntryName</key><string>é</string><key>k</key><integer>zz</integer></dict></plist>";
    let at = bad.find("<integer>").unwrap() - 1; // `é` is one UTF-16 unit, two UTF-8 bytes
    let doc: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(bad.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let e = read_err(&doc, &Limits::default());
    assert_eq!(e.at, Position::Byte(2 + 2 * at as u64), "{e}");
    // A broken one is refused with a message naming the problem, not read as text.
    let mut odd: Vec<u8> = ARCHIVE.encode_utf16().flat_map(u16::to_le_bytes).collect();
    odd.push(b'x');
    let e = read_err(&odd, &Limits::default());
    assert!(e.message.contains("UTF-16"), "{e}");
}

// ---- plist conformance (Core Foundation is the reference) ------------------------------

/// A binary plist from encoded objects with the given version, offset and reference sizes.
fn bplist(version: &[u8; 2], objects: &[Vec<u8>], offset_size: u8, ref_size: u8) -> Vec<u8> {
    let mut out = [b"bplist", &version[..]].concat();
    let mut offsets = Vec::new();
    for o in objects {
        offsets.push(out.len() as u64);
        out.extend_from_slice(o);
    }
    let table = out.len() as u64;
    for o in offsets {
        out.extend_from_slice(&o.to_be_bytes()[8 - offset_size as usize..]);
    }
    out.extend_from_slice(&[0; 6]);
    out.extend_from_slice(&[offset_size, ref_size]);
    out.extend_from_slice(&(objects.len() as u64).to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&table.to_be_bytes());
    out
}

/// `{IORegistryEntryName: "Root", v: VALUE}` with references of `ref_size` bytes.
fn root_with(value: Vec<u8>, ref_size: u8) -> Vec<Vec<u8>> {
    let r = |i: u64| i.to_be_bytes()[8 - ref_size as usize..].to_vec();
    let dict = [vec![0xD2], r(1), r(2), r(3), r(4)].concat();
    vec![
        dict,
        [&[0x5F, 0x10, 19][..], b"IORegistryEntryName"].concat(),
        b"\x51v".to_vec(),
        b"\x54Root".to_vec(),
        value,
    ]
}

fn value_v(r: &Registry) -> &Value {
    &r.entry(EntryId(0))
        .properties
        .iter()
        .find(|(k, _)| k == "v")
        .expect("property v")
        .1
}

#[test]
fn binary_plists_read_as_core_foundation_reads_them() {
    // Versions `bplist0?` (CF since 10.6), and offset/reference sizes of 5 to 7 bytes.
    for (version, size) in [(b"00", 5u8), (b"01", 6), (b"0x", 7), (b"0?", 3)] {
        let doc = bplist(version, &root_with(b"\x10\x2a".to_vec(), size), size, size);
        let r = read(&doc);
        assert_eq!(r.entry(EntryId(0)).name.to_string(), "Root");
        assert!(
            matches!(value_v(&r), Value::Integer(i) if i.value() == 42),
            "{:?}",
            value_v(&r)
        );
    }
    // A null object (0x00).
    let r = read(&bplist(b"00", &root_with(vec![0x00], 1), 1, 1));
    assert!(
        matches!(value_v(&r), Value::Raw { text, .. } if text == "null"),
        "{:?}",
        value_v(&r)
    );
    // 16-byte integers keep their low 64 bits: u64::MAX, as CF writes it, and -2.
    let mut big = vec![0x14];
    big.extend_from_slice(&[0; 8]);
    big.extend_from_slice(&u64::MAX.to_be_bytes());
    let r = read(&bplist(b"00", &root_with(big, 1), 1, 1));
    assert!(matches!(value_v(&r), Value::Integer(i) if i.value() == i128::from(u64::MAX)));
    let mut neg = vec![0x14];
    neg.extend_from_slice(&(-2i128).to_be_bytes());
    let r = read(&bplist(b"00", &root_with(neg, 1), 1, 1));
    assert!(matches!(value_v(&r), Value::Integer(i) if i.value() == -2));
    // A date after year 9999 (CF takes any double).
    let secs = 400_000_000_000.0f64;
    let date = [&[0x33][..], &secs.to_bits().to_be_bytes()].concat();
    let r = read(&bplist(b"00", &root_with(date, 1), 1, 1));
    assert!(
        matches!(value_v(&r), Value::Date(d) if d.0 == secs),
        "{:?}",
        value_v(&r)
    );
}

#[test]
fn xml_tags_end_at_the_first_angle_bracket_and_keys_must_be_keys() {
    let doc = "<plist><dict><key>IORegistryEntryName</key><string =\">Root</string></dict></plist>";
    let r = read(doc.as_bytes());
    assert_eq!(r.entry(EntryId(0)).name.to_string(), "Root");

    let doc = "<plist><dict><key>IORegistryEntryName</key><string>Root</string><key>d</key><dict><string>k</string><integer>1</integer></dict></dict></plist>";
    let e = read_err(doc.as_bytes(), &Limits::default());
    assert!(e.message.contains("expected a <key>"), "{e}");
    let doc =
        "<plist><dict><string>IORegistryEntryName</string><string>Root</string></dict></plist>";
    let e = read_err(doc.as_bytes(), &Limits::default());
    assert!(e.message.contains("<key>"), "{e}");
    // Where a value belongs, CF reads a `<key>` as a string.
    let doc = "<plist><dict><key>IORegistryEntryName</key><key>Root</key><key>a</key><array><key>x</key></array></dict></plist>";
    let r = read(doc.as_bytes());
    assert_eq!(r.entry(EntryId(0)).name.to_string(), "Root");
    assert_eq!(
        r.entry(EntryId(0)).properties[0].1,
        Value::Array(vec![Value::string("x")])
    );
}

/// Arrays that list one child twice per level (2^40 values if expanded) stop at the
/// `decoded-bytes` limit: every reference is charged.
#[test]
fn a_binary_plist_sharing_children_stops_at_the_decoded_bytes_limit() {
    let mut objects = root_with(vec![0xA2, 5, 5], 1);
    for i in 0..40u8 {
        objects.push(vec![0xA2, 6 + i, 6 + i]);
    }
    objects.push(b"\x51x".to_vec());
    let doc = bplist(b"00", &objects, 1, 1);
    let limits = Limits {
        max_decoded_bytes: 4 << 20,
        ..Limits::default()
    };
    let e = read_err(&doc, &limits);
    assert_names_limit(&e.message, "decoded-bytes");
}

// ---- errors ----------------------------------------------------------------------------

/// An OS error is printed once, after the file's name.
#[test]
fn an_os_error_is_printed_once_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().to_str().unwrap();
    let out = run(&["stats", p], &[], 60);
    assert_eq!(out.status.code(), Some(1));
    let line = stderr_line(&out);
    assert!(line.starts_with(&format!("ioscope: {p}: ")), "{line}");
    assert_eq!(line.matches("os error").count(), 1, "{line}");

    let missing = dir.path().join("missing.txt");
    match formats::load_file(&missing) {
        Err(e @ LoadError::Io { .. }) => {
            assert!(std::error::Error::source(&e).is_none());
            assert_eq!(e.to_string().matches("os error").count(), 1, "{e}");
        }
        other => panic!("{:?}", other.map(|r| r.len())),
    }
}

/// Not a dump: the line quoted is the line named (the 11th, where ten lines of preamble
/// ran out), as `ioscope stats /etc/passwd` once named line 1 quoting line 11.
#[test]
fn a_text_error_names_the_line_it_quotes() {
    let text: String = (1..=20)
        .map(|i| format!("user{i}:x:{i}:{i}::/home:/bin/sh\n"))
        .collect();
    let e = read_err(text.as_bytes(), &Limits::default());
    assert_eq!(e.at, Position::Line(11), "{e}");
    assert!(e.message.contains("user11:"), "{e}");
}

/// A broken reference in a binary plist is blamed on the byte that holds it, not byte 0.
#[test]
fn a_bad_reference_names_its_own_byte() {
    let mut objects = root_with(b"\x10\x01".to_vec(), 1);
    objects[0] = vec![0xD2, 1, 2, 3, 99]; // value reference 99: no such object
    let doc = bplist(b"00", &objects, 1, 1);
    let e = read_err(&doc, &Limits::default());
    assert_eq!(e.at, Position::Byte(8 + 4), "{e}");
    assert!(e.message.contains("99"), "{e}");
}

/// Large binary and UTF-16 archives are mapped (not read whole) and load as from their bytes.
#[test]
fn large_binary_and_utf16_archives_load_from_a_file_as_from_their_bytes() {
    use ioscope::formats::{DumpFormat, Selection};
    let mut xml = Vec::new();
    let registry = ioscope::kernel::sim::generate::synthetic(3_000, 9);
    formats::write(
        &registry,
        &Selection::default(),
        DumpFormat::Plist,
        &mut xml,
    )
    .unwrap();
    let mut value = plist::Value::from_reader_xml(&xml[..]).unwrap();
    // Binary plists share equal objects: padded with one big property to be mapped.
    let pad: Vec<u8> = (0..9u32 << 20).map(|i| (i % 251) as u8).collect();
    value
        .as_dictionary_mut()
        .unwrap()
        .insert("pad".to_owned(), plist::Value::Data(pad));
    let mut binary = Vec::new();
    value.to_writer_binary(&mut binary).unwrap();
    let expected = read(&xml).len();
    let text = String::from_utf8(xml).unwrap();
    let utf16: Vec<u8> = [0xfe, 0xff]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("big.bplist", binary), ("big16.plist", utf16)] {
        assert!(
            bytes.len() as u64 >= formats::MAP_AT_LEAST,
            "{name}: {}",
            bytes.len()
        );
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let from_file = formats::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let from_bytes = read(&bytes);
        assert_eq!(from_file.len(), expected, "{name}");
        assert_eq!(
            crate::common::fingerprint(&from_file),
            crate::common::fingerprint(&from_bytes),
            "{name}"
        );
    }
}

/// The writers' round trip (fuzz target `roundtrip`, whose first find was a corpus dump):
/// read → `dump --format plist` → read → write gives the same plist, the reader's name
/// aside (a plist records it but does not restore it, by design).
#[test]
fn corpus_dumps_round_trip_through_the_plist_writer() {
    use ioscope::formats::{DumpFormat, Selection};
    let Some(dir) = crate::common::shared_corpus() else {
        return;
    };
    let write = |r: &Registry| {
        let mut out = Vec::new();
        formats::write(r, &Selection::default(), DumpFormat::Plist, &mut out).unwrap();
        out
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        // The first 128 KB, cut at a line end: a truncated dump, as the fuzzer's seeds.
        let cut = memchr::memrchr(b'\n', &bytes[..bytes.len().min(128 << 10)]).unwrap_or(0);
        let Ok(registry) = formats::read_bytes(&bytes[..cut + 1], &Limits::default()) else {
            continue;
        };
        let first = write(&registry);
        let mut back = formats::archive::read(&first, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        back.report.origin = registry.report.origin;
        assert!(write(&back) == first, "{}", path.display());
        checked += 1;
    }
    assert!(checked > 0);
}
