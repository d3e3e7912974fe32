//! The `ioreg` text reader and writer on the shared corpus of real dumps (every file's
//! detection and entry count: `corpus.rs`).

use crate::common::{Counted, corpus_file, file_name, provenance, shared_corpus};
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::registry::{HeaderStyle, Registry};
use std::path::{Path, PathBuf};

/// The text dumps of the corpus with the entry count PROVENANCE.md gives for each.
fn text_dumps(dir: &Path) -> Vec<(PathBuf, usize)> {
    provenance(dir)
        .into_iter()
        .filter(|p| p.counted == Counted::TreeLines)
        .map(|p| (p.path, p.entries))
        .collect()
}

fn load(path: &Path) -> Registry {
    formats::load_file(path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn quirky_dumps_report_what_they_are() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let r = load(&corpus_file(&dir, "macbookpro8-3_"));
    let t = r
        .report
        .truncated
        .clone()
        .expect("the truncated dump says so");
    assert_eq!(t.position, "line 7823");
    let last = r.entries().last().unwrap().1;
    assert_eq!(last.name, "IOHIDSystem");
    assert_eq!(r.report.clipped_lines, 125);
    let d = r.report.dialect.unwrap();
    assert!(d.crlf && d.hex);

    let r = load(&corpus_file(&dir, "macpro4-1_10.5.7-9J61_ioreg-lx-html"));
    assert_eq!(r.report.clipped_lines, 109);
    assert!(r.report.dialect.unwrap().html_escaped);

    // 12 lines end in `$` inside `-f` hex dumps: not clipping.
    let r = load(&corpus_file(&dir, "macbookpro8-1-"));
    assert_eq!(r.report.clipped_lines, 0);
    assert!(r.report.truncated.is_none());

    let r = load(&corpus_file(&dir, "macmini1-1_"));
    assert_eq!(r.plane("IOService").unwrap().len(), 250);
    assert_eq!(r.plane("IODeviceTree").unwrap().len(), 106);
    assert_eq!(r.report.clipped_lines, 1);
    assert_eq!(r.report.dialect.unwrap().header, HeaderStyle::RetainCount);

    for dt in ["m1-macbookpro17-1", "macbookair3-1"] {
        let r = load(&corpus_file(&dir, dt));
        assert_eq!(r.planes().len(), 1);
        assert!(r.plane("IODeviceTree").is_some(), "{dt}");
    }
    let r = load(&corpus_file(&dir, "m4pro-"));
    assert_eq!(r.plane("IOService").unwrap().roots().len(), 1);
    assert!(!r.is_registry_root(r.plane("IOService").unwrap().roots()[0]));
}

fn write_text(r: &Registry, plane: Option<&str>) -> Vec<u8> {
    let sel = Selection {
        plane: plane.map(str::to_owned),
        ..Selection::default()
    };
    let mut out = Vec::new();
    formats::write(r, &sel, DumpFormat::Text, &mut out).unwrap();
    out
}

/// Dumps whose lines cannot come back exactly, and why.
const NOT_REPRODUCIBLE: [(&str, &str); 2] = [
    (
        "macbookpro8-1-",
        "`ioreg -f` smart formatting (hex dumps, PCI address layouts) is read, not written",
    ),
    (
        "macbookpro8-3_",
        "truncated: the cut-off siblings change the tree bars; clipped tree lines lose fields",
    ),
];

#[test]
fn unclipped_text_dumps_are_written_back_line_for_line() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let mut checked = 0;
    for (path, _) in text_dumps(&dir) {
        let file = file_name(&path);
        if NOT_REPRODUCIBLE.iter().any(|(p, _)| file.starts_with(p)) {
            continue;
        }
        let input = std::fs::read(&path).unwrap();
        let r = load(&path);
        let output = if file.starts_with("macmini1-1_") {
            // Two `ioreg` runs in one file, each after a line naming its plane.
            let mut out = Vec::new();
            for plane in ["IOService", "IODeviceTree"] {
                out.extend_from_slice(format!("{plane}:\n").as_bytes());
                out.extend(write_text(&r, Some(plane)));
            }
            out
        } else {
            write_text(&r, None)
        };
        let expected = if file.starts_with("macpro4-1_10.5.7-9J61_ioreg-lx-html") {
            // This zip member was cut just before the last line (the blank block line).
            let mut e = input.clone();
            e.extend_from_slice(b"          \n");
            e
        } else {
            input
        };
        if let Err(at) = same_but_resampled_values(&output, &expected) {
            panic!("{file}: first differing line {at}");
        }
        checked += 1;
    }
    assert_eq!(checked, 20);
}

/// Whether a written dump is the original line for line, except property values printed
/// again for an entry with several parents: `ioreg` reads an entry's properties anew each
/// time it prints it (under each parent), so volatile values (`HIDIdleTime`, counters)
/// differ between the appearances, and ioscope, which holds the entry once, writes the first
/// reading every time. Every such line must keep its key and lie in the block of an entry
/// printed before (a repeated appearance). Err: the first differing line (1-based).
fn same_but_resampled_values(output: &[u8], expected: &[u8]) -> Result<(), usize> {
    let (o, e) = (
        String::from_utf8_lossy(output),
        String::from_utf8_lossy(expected),
    );
    let (ol, el): (Vec<&str>, Vec<&str>) = (o.split('\n').collect(), e.split('\n').collect());
    let mut seen_ids = std::collections::HashSet::new();
    let mut in_repeat = false;
    for (i, (a, b)) in ol.iter().zip(&el).enumerate() {
        if b.contains("+-o ") {
            let id = b
                .split(", id 0x")
                .nth(1)
                .map(|r| r.split(',').next().unwrap_or(""));
            in_repeat = id.is_some_and(|id| !seen_ids.insert(id.to_owned()));
        }
        if a == b {
            continue;
        }
        let key = |l: &str| l.split_once(" = ").map(|(k, _)| k.to_owned());
        // The tree line up to its busy figures (the retain count is read anew too).
        let head = |l: &str| l.split_once(", busy ").map(|(h, _)| h.to_owned());
        let resampled = if b.contains("+-o ") {
            head(a).is_some() && head(a) == head(b)
        } else {
            key(a).is_some() && key(a) == key(b)
        };
        if !(in_repeat && resampled) {
            return Err(i + 1);
        }
    }
    if ol.len() != el.len() {
        return Err(ol.len().min(el.len()) + 1);
    }
    Ok(())
}
