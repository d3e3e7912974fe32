//! Every file of the shared corpus, whatever its format: the reader its content calls for,
//! PROVENANCE.md's independent entry count, truncation, and `ioscope dump` in all three
//! formats read back. Text-only quirks and line-for-line write-back are in `text.rs`.

use crate::common::{Counted, Provenance, file_name, provenance, shared_corpus};
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::formats::{Format, Limits, Position, archive};
use ioscope::registry::stats::Stats;
use ioscope::registry::{Origin, Registry};

#[test]
fn provenance_lists_every_corpus_file() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let mut listed: Vec<String> = provenance(&dir)
        .iter()
        .map(|p| file_name(&p.path).to_owned())
        .collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "PROVENANCE.md")
        .collect();
    present.sort();
    assert_eq!(listed, present);
    assert_eq!(listed.len(), 26);
}

/// Loads every file once and checks it (reader, count, report), then dumps it in every
/// format, plane by plane, and reads the dumps back. All failures are reported together.
#[test]
fn every_corpus_file_loads_and_dumps_in_every_format() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let rows = provenance(&dir);
    let provenance_text = std::fs::read_to_string(dir.join("PROVENANCE.md")).unwrap();
    let mut failures = Vec::new();
    for row in &rows {
        let file = file_name(&row.path);
        let bytes = std::fs::read(&row.path).unwrap();
        let r = match formats::read_bytes(&bytes, &Limits::default()) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        if let Err(e) = check_load(row, &bytes, &r, &provenance_text) {
            failures.push(format!("{file}: {e}"));
        }
        if let Err(e) = check_dumps(&r) {
            failures.push(format!("{file}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(rows.len(), 26);
    let by = |c| rows.iter().filter(|r| r.counted == c).count();
    assert_eq!((by(Counted::TreeLines), by(Counted::RexEntries)), (22, 4));
}

fn check_load(row: &Provenance, bytes: &[u8], r: &Registry, prov: &str) -> Result<(), String> {
    let file = file_name(&row.path);
    let (format, origin) = match row.counted {
        Counted::TreeLines => (Format::Text, Origin::IoregText),
        Counted::RexEntries => (Format::Iorex, Origin::Iorex),
    };
    // From the content: one `.ioreg` file is `ioreg` text.
    let detected = formats::detect(bytes);
    if detected != format {
        return Err(format!("detected as {detected:?}, expected {format:?}"));
    }
    if r.report.origin != origin {
        return Err(format!("read by {:?}", r.report.origin));
    }
    let stats = Stats::of(r, 0.0);
    match row.counted {
        Counted::TreeLines => {
            // `+-o` lines count appearances: an entry with several parents is printed under
            // each of them.
            if stats.appearances != row.entries as u64 {
                return Err(format!(
                    "{} appearances, PROVENANCE.md counts {} `+-o` lines",
                    stats.appearances, row.entries
                ));
            }
            // Unique entries, counted independently: distinct `id 0x…` on tree lines (every
            // line is its own entry in dumps without IDs).
            let unique = unique_tree_ids(bytes).unwrap_or(row.entries);
            if stats.entries != unique {
                return Err(format!(
                    "{} entries, {unique} distinct registry IDs on tree lines",
                    stats.entries
                ));
            }
            // PROVENANCE's method, redone here so a misread table cannot hide a bug.
            let grep = bytes
                .split(|&b| b == b'\n')
                .filter(|l| memchr::memmem::find(l, b"+-o ").is_some())
                .count();
            if grep != row.entries {
                return Err(format!(
                    "{grep} lines with `+-o `, table says {}",
                    row.entries
                ));
            }
            if !r.report.warnings.is_empty() {
                return Err(format!("warnings: {:?}", r.report.warnings));
            }
            if r.report.dialect.is_none() {
                return Err("no dialect reported".into());
            }
        }
        Counted::RexEntries => {
            if stats.entries != row.entries {
                return Err(format!(
                    "{} entries, PROVENANCE.md counts {}",
                    stats.entries, row.entries
                ));
            }
            let rex = memchr::memmem::find_iter(bytes, b"RexRegistryEntry").count();
            if rex == 0 {
                return Err("no RexRegistryEntry class in the document".into());
            }
            for plane in listed_planes(prov, file) {
                if r.plane(&plane).is_none() {
                    return Err(format!("plane {plane} missing"));
                }
            }
            let covered: usize = (0..r.len())
                .filter(|&i| {
                    let id = ioscope::registry::EntryId(i as u32);
                    r.planes().iter().any(|p| p.contains(id))
                })
                .count();
            if covered != r.len() {
                return Err(format!("{} of {} entries in a plane", covered, r.len()));
            }
        }
    }
    let truncated = file.contains("TRUNCATED");
    if truncated != stats.truncated {
        return Err(format!("truncated: {:?}", r.report.truncated));
    }
    Ok(())
}

/// `planes=['IOService', …]` from the file's row of PROVENANCE.md.
fn listed_planes(prov: &str, file: &str) -> Vec<String> {
    let Some(row) = prov.lines().find(|l| l.contains(&format!("`{file}`"))) else {
        return Vec::new();
    };
    let Some(list) = row
        .split("planes=[")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
    else {
        return Vec::new();
    };
    list.split(", ")
        .map(|p| p.trim_matches('\'').to_owned())
        .collect()
}

fn write(r: &Registry, plane: &str, format: DumpFormat) -> Result<Vec<u8>, String> {
    let sel = Selection {
        plane: Some(plane.to_owned()),
        ..Selection::default()
    };
    let mut out = Vec::new();
    formats::write(r, &sel, format, &mut out).map_err(|e| format!("{plane} {format:?}: {e}"))?;
    Ok(out)
}

/// Every plane in all three formats; each dump read back holds the plane's entries.
fn check_dumps(r: &Registry) -> Result<(), String> {
    let mut total = 0;
    for plane in r.planes() {
        let name = plane.name();
        // The synthetic "unattached entries" node is no entry and is not written.
        let synthetic = plane
            .roots()
            .iter()
            .filter(|&&e| r.entry(e).synthetic)
            .count();
        let want = plane.len() - synthetic;
        // JSON nests: an entry with several parents is written under each of them.
        let appearances = plane.appearances() as usize - synthetic;
        total += want;
        // Read back, repeated appearances merge again by registry entry ID; a source without
        // IDs (old IORegistryExplorer documents) cannot be merged: each appearance stays.
        let has_ids = r.entries().any(|(_, e)| e.id.is_some());
        let back_want = if has_ids { want } else { appearances };

        let xml = write(r, name, DumpFormat::Plist)?;
        if formats::detect(&xml) != Format::Archive {
            return Err(format!("{name}: plist dump not detected as an archive"));
        }
        let back = archive::read(&xml, &Limits::default())
            .map_err(|e| format!("{name}: plist dump reads back with {e}"))?;
        if back.len() != back_want {
            return Err(format!("{name}: plist holds {} of {back_want}", back.len()));
        }

        let json = write(r, name, DumpFormat::Json)?;
        let v: serde_json::Value =
            serde_json::from_slice(&json).map_err(|e| format!("{name}: JSON: {e}"))?;
        let n = v["planes"][0]["roots"]
            .as_array()
            .map_or(0, |roots| roots.iter().map(json_entries).sum());
        if n != appearances {
            return Err(format!(
                "{name}: JSON holds {n} of {appearances} appearances"
            ));
        }

        let text = write(r, name, DumpFormat::Text)?;
        let back = formats::text::read(&text, &Limits::default())
            .map_err(|e| format!("{name}: text dump reads back with {e}"))?;
        if back.len() != back_want {
            return Err(format!("{name}: text holds {} of {back_want}", back.len()));
        }
    }
    if total < r.entry_count() {
        return Err(format!(
            "planes hold {total} of {} entries",
            r.entry_count()
        ));
    }
    Ok(())
}

fn json_entries(v: &serde_json::Value) -> usize {
    1 + v["children"]
        .as_array()
        .map_or(0, |c| c.iter().map(json_entries).sum())
}

/// The cut-off dump: what is complete loads, and the report says where the file stops.
#[test]
fn the_truncated_dump_reports_where_it_stops() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    let row = provenance(&dir)
        .into_iter()
        .find(|p| file_name(&p.path).contains("TRUNCATED"))
        .expect("a TRUNCATED file");
    let bytes = std::fs::read(&row.path).unwrap();
    let r = formats::load_file(&row.path).unwrap_or_else(|e| panic!("{e}"));
    let t = r.report.truncated.as_ref().expect("reported as truncated");
    let lines = bytes.split(|&b| b == b'\n').count();
    assert_eq!(t.position, format!("line {lines}"), "the last line");
    assert!(!t.message.is_empty());
    let stats = Stats::of(&r, 0.0);
    assert_eq!(stats.appearances, row.entries as u64);
    // `stats` says where each problem is: the truncation and every clipped line.
    assert!(
        stats
            .truncated_at
            .as_deref()
            .is_some_and(|t| t.starts_with(&format!("line {lines}")))
    );
    assert_eq!(stats.clipped_at.len(), stats.clipped_lines);
    let clipped_in_file: Vec<u64> = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| l.strip_suffix(b"\r").unwrap_or(l).ends_with(b"$"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(stats.clipped_at, clipped_in_file);
    assert_eq!(Some(r.entry_count()), unique_tree_ids(&bytes));
    // Cutting it further still loads, always with a position.
    for keep in [bytes.len() / 3, bytes.len() / 2 + 17] {
        let cut = formats::read_bytes(&bytes[..keep], &Limits::default()).unwrap();
        let t = cut.report.truncated.clone().expect("cut again: truncated");
        assert!(t.position.starts_with("line "), "{}", t.position);
        assert!(cut.len() < r.len());
    }
}

/// An IORegistryExplorer document cut short is an error naming a byte offset, not a panic.
#[test]
fn cut_iorex_documents_are_errors_with_a_byte_offset() {
    let Some(dir) = shared_corpus() else {
        return;
    };
    for row in provenance(&dir)
        .iter()
        .filter(|p| p.counted == Counted::RexEntries)
    {
        let bytes = std::fs::read(&row.path).unwrap();
        for keep in [40, bytes.len() / 2, bytes.len() - 1] {
            let e = formats::iorex::read(&bytes[..keep], &Limits::default())
                .map(|_| ())
                .expect_err("a cut document");
            assert!(
                matches!(e.at, Position::Byte(n) if n <= keep as u64),
                "{}: {e}",
                file_name(&row.path)
            );
        }
    }
}

/// The number of distinct registry entry IDs (`id 0x…`) on a text dump's tree lines, plus
/// the tree lines that show none (clipped or cut short: they cannot be merged); `None` when
/// the dump has no IDs at all (before 10.6).
fn unique_tree_ids(bytes: &[u8]) -> Option<usize> {
    let mut ids = std::collections::HashSet::new();
    let mut without = 0;
    for line in bytes.split(|&b| b == b'\n') {
        if memchr::memmem::find(line, b"+-o ").is_none() {
            continue;
        }
        if memchr::memmem::find(line, b", id 0x").is_none() {
            without += 1;
        }
        if let Some(at) = memchr::memmem::find(line, b", id 0x") {
            let hex: Vec<u8> = line[at + 7..]
                .iter()
                .copied()
                .take_while(u8::is_ascii_hexdigit)
                .collect();
            ids.insert(hex);
        }
    }
    (!ids.is_empty()).then_some(ids.len() + without)
}
