//! Typed views of values (issue 19 §1) on real corpus values, and `dump --redact` of every
//! corpus dump (§3): nothing identifying of the original left, the tree unchanged.

use crate::common::{corpus_file, file_name, ioscope_bin, provenance, shared_corpus};
use ioscope::formats::Limits;
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::registry::{EntryId, Registry, Value};
use ioscope::values::{self, Context};

fn load(dir: &std::path::Path, prefix: &str) -> Registry {
    formats::load_file(&corpus_file(dir, prefix)).unwrap()
}

/// The first entry holding `key` (in arena order) and its value.
fn first_with<'r>(r: &'r Registry, key: &str) -> (EntryId, &'r Value) {
    r.entries()
        .find_map(|(id, e)| e.property(key).map(|v| (id, v)))
        .unwrap_or_else(|| panic!("no {key}"))
}

fn views_of(r: &Registry, key: &str) -> Vec<values::View> {
    let (id, v) = first_with(r, key);
    values::views(key, v, &Context::of(r, id))
}

#[test]
fn corpus_ig_platform_id_is_little_endian() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    // "AAPL,ig-platform-id" = <00001659> (the issue's example: 0x59160000).
    let r = load(&dir, "hackintosh-dell-latitude-e7480");
    let v = views_of(&r, "AAPL,ig-platform-id");
    assert_eq!((v[0].name, v[0].text.as_str()), ("le32", "0x59160000"));
    assert_eq!(v[0].display(), "0x59160000 (1494614016)");
    assert_eq!(v.last().unwrap().text, "00001659");
    // The IGPU's device-id, named by the entry's own `model`.
    let (_, igpu) = r
        .resolve(
            0,
            "IOService:/AppleACPIPlatformExpert/PCI0@0/AppleACPIPCI/IGPU@2",
        )
        .unwrap();
    let cx = Context::of(&r, igpu);
    let device = r.entry(igpu).property("device-id").unwrap();
    let v = values::views("device-id", device, &cx);
    assert_eq!(
        (v[0].name, v[0].text.as_str()),
        ("pci", "0x5916 Intel HD Graphics 620")
    );
    let vendor = r.entry(igpu).property("vendor-id").unwrap();
    assert_eq!(values::views("vendor-id", vendor, &cx)[0].text, "0x8086");
    let r = load(&dir, "hackintosh-macmini8-1");
    assert_eq!(views_of(&r, "AAPL,ig-platform-id")[0].text, "0x3e9b0007");
}

#[test]
fn corpus_compatible_edid_mac_and_reg() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let r = load(&dir, "macbookpro15-2_10.15.3");
    let compatible = r
        .entries()
        .find_map(|(_, e)| match e.property("compatible") {
            Some(Value::Data(d)) if d.split(|&b| b == 0).filter(|s| !s.is_empty()).count() > 1 => {
                Some(d.clone())
            }
            _ => None,
        })
        .expect("a compatible list");
    let v = values::data_views("compatible", &compatible, &Context::default());
    assert_eq!(v[0].name, "strings");
    let expected: Vec<String> = compatible
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| format!("\"{}\"", String::from_utf8_lossy(s)))
        .collect();
    assert_eq!(v[0].text, expected.join(", "));

    let mac = views_of(&r, "IOMACAddress");
    assert_eq!(mac[0].name, "mac");
    let Value::Data(raw) = first_with(&r, "IOMACAddress").1 else {
        panic!("IOMACAddress is data")
    };
    let hex: Vec<String> = raw[..6].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(mac[0].text, hex.join(":"));

    // The built-in panel of a MacBook Air: "EDID" = <00ffffffffffff000610f39c…>
    let air = load(&dir, "macbookair3-1");
    let edid = views_of(&air, "EDID");
    assert_eq!(edid[0].name, "edid");
    assert!(
        edid[0].text.starts_with("APP product 0x9cf3"),
        "{}",
        edid[0].text
    );

    // `reg` of a PCI device: 5 cells per entry (the bridge's #address-cells 3, #size-cells 2).
    let (id, v) = r
        .entries()
        .find_map(|(id, e)| match e.property("reg") {
            Some(v @ Value::Data(d)) if d.len() == 40 => Some((id, v)),
            _ => None,
        })
        .expect("a two-entry reg");
    let cx = Context::of(&r, id);
    assert_eq!(cx.cells, Some((3, 2)));
    let views = values::views("reg", v, &cx);
    assert_eq!(views[0].name, "reg");
    assert_eq!(
        views[0].text.matches(" size ").count(),
        2,
        "{}",
        views[0].text
    );

    // PowerPC: big-endian cells.
    let g4 = load(&dir, "powermac10-2");
    let (id, _) = g4
        .entries()
        .find(|(id, e)| e.property("reg").is_some() && Context::of(&g4, *id).cells.is_some())
        .expect("a reg under cells");
    assert!(Context::of(&g4, id).big_endian);
}

#[test]
fn dump_json_decode_adds_views() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let file = corpus_file(&dir, "hackintosh-dell-latitude-e7480");
    let run = |decode: bool| {
        let mut cmd = std::process::Command::new(ioscope_bin());
        cmd.arg("dump").arg(&file).args(["--format", "json"]);
        if decode {
            cmd.arg("--decode");
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    let plain = run(false);
    assert!(plain.contains(r#""AAPL,ig-platform-id":{"$data":"00001659"}"#));
    assert!(!plain.contains("$views"));
    let decoded = run(true);
    assert!(
        decoded
            .contains(r#""AAPL,ig-platform-id":{"$data":"00001659","$views":{"le32":"0x59160000""#),
        "no views"
    );
    // A decoded dump reads back as the plain one.
    let a = formats::read_bytes(plain.as_bytes(), &Limits::default()).unwrap();
    let b = formats::read_bytes(decoded.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        crate::common::fingerprint(&a).0,
        crate::common::fingerprint(&b).0
    );
}

/// What the original holds that identifies the machine or its user, collected here on
/// its own (by key and by pattern), not through the redaction table. User names are
/// looked for as whole words (a user may be called `Apple`).
#[derive(Default)]
struct Identifying {
    text: Vec<(String, String)>,
    bytes: Vec<(String, Vec<u8>)>,
    words: Vec<(String, String)>,
    /// Bytes 12–15 of each EDID: looked for at that place in every EDID written.
    edid_serials: Vec<Vec<u8>>,
}

fn has_word(hay: &[u8], w: &[u8]) -> bool {
    let alnum = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    (0..hay.len()).any(|i| {
        hay[i..].starts_with(w)
            && !alnum(i.checked_sub(1).and_then(|j| hay.get(j)))
            && !alnum(hay.get(i + w.len()))
    })
}

const SERIAL_KEYS: &[&str] = &[
    "IOPlatformSerialNumber",
    "serial-number",
    "SerialNumber",
    "USB Serial Number",
    "kUSBSerialNumberString",
];
const USER_KEYS: &[&str] = &[
    "kCGSSessionUserNameKey",
    "kCGSSessionLongUserNameKey",
    "kCGSessionLongUserNameKey",
];

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn gather(key: &str, v: &Value, out: &mut Identifying) {
    match v {
        Value::Dict(kv) => kv
            .iter()
            .for_each(|(k, v)| gather(&k.to_string_lossy(), v, out)),
        Value::Array(items) | Value::Set(items) => items.iter().for_each(|v| gather(key, v, out)),
        Value::String(t) => {
            let s = t.to_string_lossy().into_owned();
            let meaningful = s.len() >= 4 && !s.bytes().all(|b| b == b'0');
            if USER_KEYS.contains(&key) && s.len() >= 3 {
                out.words.push((key.to_owned(), s.clone()));
            }
            if (SERIAL_KEYS.contains(&key) || key == "IOPlatformUUID")
                && meaningful
                && !s.contains("not serializable")
            {
                out.text.push((key.to_owned(), s.clone()));
            }
            if key != "Content" && key != "Content Hint" {
                for w in s.split(|c: char| !(c.is_ascii_hexdigit() || c == '-')) {
                    if is_uuid(w) {
                        out.text.push((format!("{key} (uuid)"), w.to_owned()));
                    }
                }
            }
        }
        Value::Data(d) => {
            if SERIAL_KEYS.contains(&key) {
                for run in d.split(|b| !(0x21..0x7f).contains(b)) {
                    if run.len() >= 4 {
                        out.bytes.push((key.to_owned(), run.to_vec()));
                    }
                }
            }
            if (key == "IOMACAddress" || key == "local-mac-address")
                && d.len() >= 6
                && d[..6] != [0; 6]
            {
                out.bytes.push((key.to_owned(), d[..6].to_vec()));
                let t: Vec<String> = d[..6].iter().map(|b| format!("{b:02x}")).collect();
                out.text.push((key.to_owned(), t.join(":")));
            }
            // An EDID's serial-number descriptor (tag 0xFF) and its serial number.
            if key == "EDID" && d.len() >= 128 && d[..8] == [0, 255, 255, 255, 255, 255, 255, 0] {
                for desc in d[54..126].chunks(18) {
                    if desc[..4] == [0, 0, 0, 0xff] {
                        let t: String = desc[5..]
                            .iter()
                            .take_while(|&&c| c != b'\n' && c != 0)
                            .map(|&c| char::from(c))
                            .collect();
                        if t.trim().len() >= 4 {
                            out.text.push(("EDID serial".into(), t.trim().to_owned()));
                        }
                    }
                }
                if d[12..16] != [0; 4] {
                    out.edid_serials.push(d[12..16].to_vec());
                }
            }
            if key == "platform-uuid" && d.len() == 16 {
                out.bytes.push((key.to_owned(), d.to_vec()));
            }
        }
        _ => {}
    }
}

/// Every place of `r` that still holds one of `id`: strings, data, names.
fn leaks(r: &Registry, id: &Identifying) -> Vec<String> {
    fn walk(v: &Value, id: &Identifying, out: &mut Vec<String>) {
        match v {
            Value::Dict(kv) => kv.iter().for_each(|(_, v)| walk(v, id, out)),
            Value::Array(items) | Value::Set(items) => items.iter().for_each(|v| walk(v, id, out)),
            Value::String(t) => {
                let s = t.to_string_lossy();
                for (k, secret) in &id.text {
                    if s.contains(secret.as_str()) {
                        out.push(format!("{k} {secret:?} in {s:?}"));
                    }
                }
                for (k, w) in &id.words {
                    if has_word(s.as_bytes(), w.as_bytes()) {
                        out.push(format!("{k} {w:?} in {s:?}"));
                    }
                }
            }
            Value::Data(d) => {
                if d.len() >= 128
                    && d[..8] == [0, 255, 255, 255, 255, 255, 255, 0]
                    && id.edid_serials.iter().any(|s| d[12..16] == s[..])
                {
                    out.push(format!("EDID serial {:02x?} kept", &d[12..16]));
                }
                let pieces = id
                    .bytes
                    .iter()
                    .map(|(k, b)| (k, b.as_slice()))
                    .chain(id.text.iter().map(|(k, t)| (k, t.as_bytes())));
                for (k, b) in pieces {
                    if d.windows(b.len()).any(|w| w == b) {
                        out.push(format!("{k} {b:02x?} in data"));
                    }
                }
                for (k, w) in &id.words {
                    if has_word(d, w.as_bytes()) {
                        out.push(format!("{k} {w:?} in data"));
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (_, e) in r.entries() {
        for (_, v) in &e.properties {
            walk(v, id, &mut out);
        }
    }
    out
}

/// Names, classes and tree shape of every plane (entries in the order walked).
type Row = (String, Option<String>, usize);

fn shape(r: &Registry) -> Vec<(String, Vec<Row>)> {
    r.planes()
        .iter()
        .map(|p| {
            let rows = p
                .walk()
                .map(|(id, d)| (r.label_in(p, id), r.class_name(id).map(str::to_owned), d))
                .collect();
            (p.name().to_owned(), rows)
        })
        .collect()
}

fn written(r: &Registry, plane: &str, format: DumpFormat) -> Registry {
    let selection = Selection {
        plane: Some(plane.to_owned()),
        ..Selection::default()
    };
    let mut out = Vec::new();
    formats::write(r, &selection, format, &mut out).unwrap();
    formats::read_bytes(&out, &Limits::default()).unwrap()
}

#[test]
fn redact_leaves_nothing_identifying_in_any_corpus_dump() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let mut failures = Vec::new();
    let mut found = 0;
    for row in provenance(&dir) {
        let file = file_name(&row.path).to_owned();
        let original = formats::load_file(&row.path).unwrap();
        let mut id = Identifying::default();
        for (_, e) in original.entries() {
            for (k, v) in &e.properties {
                gather(&k.to_string_lossy(), v, &mut id);
            }
        }
        found += id.text.len() + id.bytes.len();
        let mut redacted = original.clone();
        formats::redact::redact(&mut redacted);
        for plane in original.planes() {
            for format in [DumpFormat::Plist, DumpFormat::Text] {
                let plain = written(&original, plane.name(), format);
                let red = written(&redacted, plane.name(), format);
                for leak in leaks(&red, &id).into_iter().take(3) {
                    failures.push(format!("{file} {} {format:?}: {leak}", plane.name()));
                }
                if shape(&plain) != shape(&red) {
                    failures.push(format!(
                        "{file} {} {format:?}: the tree changed",
                        plane.name()
                    ));
                }
            }
        }
    }
    assert!(found > 100, "only {found} identifying values in the corpus");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn dump_redact_says_what_it_replaced_and_is_stable() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let file = corpus_file(&dir, "macbookpro15-2_10.15.3");
    let run = || {
        std::process::Command::new(ioscope_bin())
            .arg("dump")
            .arg(&file)
            .args(["--format", "text", "--redact"])
            .output()
            .unwrap()
    };
    let (a, b) = (run(), run());
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout, "the same placeholders each time");
    let stderr = String::from_utf8_lossy(&a.stderr);
    assert!(stderr.contains("IOPlatformSerialNumber 1"), "{stderr}");
    let out = String::from_utf8_lossy(&a.stdout);
    assert!(
        out.contains("\"IOPlatformSerialNumber\" = \"<redacted serial"),
        "no placeholder"
    );
    assert!(out.contains("\"IOPlatformUUID\" = \"00000000-0000-0000-0000-"));
}

#[test]
fn normalize_writes_todays_text() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let file = corpus_file(&dir, "macpro4-1_10.5.7-9J61_ioreg-lx-html-escaped");
    let out = std::process::Command::new(ioscope_bin())
        .arg("dump")
        .arg(&file)
        .args(["--format", "text", "--normalize"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("&lt;") && !text.contains("\r\n"));
    assert!(text.contains("<class "));
    // Decimal numbers: the -x dump's `0x…` integers are gone (data stays hex).
    let original = std::fs::read_to_string(&file).unwrap();
    assert!(original.contains("\" = 0x"));
    assert!(!text.contains("\" = 0x"), "hex numbers left");
    // The same registry as the original, read back.
    let a = formats::read_bytes(text.as_bytes(), &Limits::default()).unwrap();
    let b = formats::load_file(&file).unwrap();
    assert_eq!(shape(&a), shape(&b));
}

#[test]
fn corpus_references_paths_and_phandles() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    // A device-tree phandle: "interrupt-parent" = <6d000000> names the entry whose
    // AAPL,phandle is <6d000000>.
    let r = load(&dir, "m1-macbookpro17-1");
    let (_, v) = first_with(&r, "interrupt-parent");
    let target = values::link(&r, "interrupt-parent", v).expect("a phandle link");
    let (_, id) = r.resolve(0, &target).unwrap();
    assert_eq!(r.entry(id).property("AAPL,phandle"), Some(v));
    // A path: IOAccelTypes names IntelAccelerator.
    let dell = load(&dir, "hackintosh-dell-latitude-e7480");
    let (_, v) = first_with(&dell, "IOAccelTypes");
    let target = values::link(&dell, "IOAccelTypes", v).expect("a path link");
    let (_, id) = dell.resolve(0, &target).unwrap();
    assert_eq!(dell.class_name(id), Some("IntelAccelerator"));
    // …and IntelAccelerator knows the three framebuffers that name it.
    let from = values::backlinks(&dell, id, 8).unwrap();
    assert_eq!(from.len(), 3, "{from:?}");
    assert!(
        from.iter()
            .all(|(e, k)| k == "IOAccelTypes"
                && dell.class_name(*e) == Some("AppleIntelFramebuffer"))
    );
    // The phandle's target lists the entries whose …-parent names it.
    let (_, v) = first_with(&r, "interrupt-parent");
    let (_, aic) = r
        .resolve(0, &values::link(&r, "interrupt-parent", v).unwrap())
        .unwrap();
    let from = values::backlinks(&r, aic, 1000).unwrap();
    assert!(from.len() >= 95, "{}", from.len());
    // An ordinary string or number is no link.
    assert_eq!(
        values::link(&dell, "IOClass", &Value::string("IOService")),
        None
    );
    assert_eq!(values::link(&dell, "retain", &Value::u64(5)), None);
}

/// `References` (gathered once, for registries whose values stay in their file) gives every
/// entry the back-links a scan gives, on real dumps with paths, IDs and phandles.
#[test]
fn gathered_references_give_the_back_links_of_a_scan() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    for prefix in ["m1-macbookpro17-1", "hackintosh-dell-latitude-e7480"] {
        let r = load(&dir, prefix);
        let refs = values::References::gather(r.entries().map(|(id, e)| (id, &e.properties)));
        let mut linked = 0;
        for (id, _) in r.entries() {
            let scanned = values::backlinks(&r, id, 1000).unwrap();
            linked += usize::from(!scanned.is_empty());
            assert_eq!(refs.backlinks(&r, id, 1000), scanned, "{prefix}: {id:?}");
        }
        assert!(linked >= 3, "{prefix}: {linked} entries linked");
    }
}

/// `x` in the explorer: the selected subtree to a file named in the prompt, in the format its
/// extension says, redacted when asked, through the atomic writer (`dump -o`'s rules).
#[test]
fn x_exports_the_selected_subtree() {
    use ioscope::app::{Action, SourceKind, State, update};
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let file = corpus_file(&dir, "macbookpro15-2_10.15.3");
    let registry = formats::load_file(&file).unwrap();
    let mut s = State::new(SourceKind::File("dump".into()), registry.clone());
    s.source_path = Some(file.clone());
    let out_dir = tempfile::tempdir().unwrap();
    let typed = |s: &mut State, text: &str| {
        update(s, Action::Export);
        for c in text.chars() {
            update(s, Action::Input(c));
        }
        update(s, Action::Accept);
        s.message.clone().unwrap_or_default()
    };
    // The IGPU subtree, found by its path.
    let (_, igpu) = registry
        .resolve(
            0,
            "IOService:/AppleACPIPlatformExpert/PCI0@0/AppleACPIPCI/IGPU@2",
        )
        .unwrap();
    assert!(s.select_entry(igpu));
    let out = out_dir.path().join("igpu.json");
    let msg = typed(&mut s, &format!("{} --redact", out.display()));
    assert!(
        msg.starts_with("exported IOService:/AppleACPIPlatformExpert/PCI0@0/AppleACPIPCI/IGPU@2"),
        "{msg}"
    );
    assert!(msg.contains("redacted:"), "{msg}");
    let back = formats::load_file(&out).unwrap();
    let plane = back.plane("IOService").unwrap();
    assert_eq!(plane.roots().len(), 1);
    assert_eq!(back.name_in(plane, plane.roots()[0]), "IGPU");
    assert!(plane.walk().count() > 5, "the subtree below IGPU");
    // The whole plane as text; the dump being explored is refused.
    let all = out_dir.path().join("all.txt");
    let msg = typed(&mut s, &format!("{} --plane", all.display()));
    assert!(msg.contains("the IOService plane"), "{msg}");
    let text = std::fs::read_to_string(&all).unwrap();
    assert!(text.starts_with("+-o Root"));
    let before = std::fs::read(&file).unwrap();
    let msg = typed(&mut s, &format!("{} --format text", file.display()));
    assert!(msg.contains("is the dump being read"), "{msg}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

/// `v` cycles the views of the selected value, and the choice stays with the key when the
/// selection moves away and back.
#[test]
fn v_cycles_views_and_the_choice_is_kept_per_key() {
    use ioscope::app::{Action, SourceKind, State, update};
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let registry = load(&dir, "hackintosh-dell-latitude-e7480");
    let (_, igpu) = registry
        .resolve(
            0,
            "IOService:/AppleACPIPlatformExpert/PCI0@0/AppleACPIPCI/IGPU@2",
        )
        .unwrap();
    let mut s = State::new(SourceKind::Memory, registry);
    assert!(s.select_entry(igpu));
    s.sync_props();
    let row = |s: &State| {
        let i = s
            .props
            .iter()
            .position(|r| r.key == "AAPL,ig-platform-id")
            .unwrap();
        (
            i,
            s.props[i].summary.clone(),
            s.props[i].views[s.props[i].view].name,
        )
    };
    let (i, summary, view) = row(&s);
    assert_eq!(
        (summary.as_str(), view),
        ("0x59160000 (1494614016)", "le32")
    );
    s.prop.selected = i;
    update(&mut s, Action::CycleView);
    let (_, summary, view) = row(&s);
    assert_eq!((summary.as_str(), view), ("<4 bytes>", "hex"));
    // Away (the root) and back: still the hex view.
    update(&mut s, Action::Top);
    assert_ne!(s.props_for, Some(igpu));
    assert!(s.select_entry(igpu));
    s.sync_props();
    assert_eq!(row(&s).2, "hex");
}
