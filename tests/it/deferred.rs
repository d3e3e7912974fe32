//! Property values left in the file (issue 22's lazy values): a large dump read by
//! `formats::load_file` keeps only where each entry's properties lie, and shows, searches
//! and writes the values a whole read gives; a file changed on disk behind it never shows
//! other values than those it was read with.

use crate::common::fingerprint;
use crate::tui::Harness;
use ioscope::app::{Action, App, SourceKind};
use ioscope::formats::{self, DumpFormat, Limits, MAP_AT_LEAST, Selection};
use ioscope::kernel::sim::generate::synthetic;
use ioscope::registry::{EntryId, Registry, Value};
use std::io::Write;
use std::path::Path;

/// A dump of `entries` generated entries written as `format` to `path`, large enough to be
/// read from a map (and so with its values left in the file).
fn large(format: DumpFormat, entries: usize, path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    formats::write(
        &synthetic(entries, 3),
        &Selection::default(),
        format,
        &mut bytes,
    )
    .unwrap();
    assert!(bytes.len() as u64 >= MAP_AT_LEAST, "{}", bytes.len());
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// The entry with the most properties (not yet decoded).
fn busiest(r: &Registry) -> EntryId {
    r.entries()
        .max_by_key(|(_, e)| e.properties.len())
        .map(|(id, _)| id)
        .unwrap()
}

#[test]
fn a_large_dump_leaves_its_values_in_the_file_and_reads_as_a_whole_read() {
    let dir = tempfile::tempdir().unwrap();
    for (format, name, entries) in [
        (DumpFormat::Text, "large.txt", 12_000),
        (DumpFormat::Plist, "large.xml", 5_000),
    ] {
        let path = dir.path().join(name);
        let bytes = large(format, entries, &path);
        let loaded = formats::load_file(&path).unwrap();
        assert!(loaded.has_deferred_properties(), "{name}");
        let whole = formats::read_bytes(&bytes, &Limits::default()).unwrap();
        assert!(!whole.has_deferred_properties());
        assert_eq!(loaded.property_count(), whole.property_count(), "{name}");
        assert_eq!(
            format!("{:?}", loaded.report),
            format!("{:?}", whole.report),
            "{name}"
        );
        assert_eq!(fingerprint(&loaded), fingerprint(&whole), "{name}");
        // Written back, byte for byte what the whole read writes.
        let write = |r: &Registry| {
            let mut out = Vec::new();
            formats::write(r, &Selection::default(), DumpFormat::Json, &mut out).unwrap();
            out
        };
        assert!(write(&loaded) == write(&whole), "{name}: JSON differs");
    }
}

#[test]
fn values_left_in_a_file_changed_on_disk_are_unavailable_and_the_explorer_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.txt");
    large(DumpFormat::Text, 12_000, &path);
    let loaded = formats::load_file(&path).unwrap();
    let id = busiest(&loaded);
    let count = loaded.entry(id).properties.len();
    assert!(count > 0);
    let registry_id = loaded.entry(id).id.unwrap();
    // Written to in place after it was read.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"\n")
        .unwrap();
    let mut h = Harness::new(
        App::with_registry(SourceKind::File(path.display().to_string()), loaded, None),
        160,
        40,
    );
    h.press(&[Action::JumpStart])
        .typed(&format!("{registry_id:#x}"))
        .press(&[Action::Accept]);
    let screen = h.screen();
    assert!(
        screen.contains(&format!(
            "({count} properties unavailable: the file changed on disk"
        )),
        "{screen}"
    );
    let props = &h.app.state.registry.entry(id).properties;
    assert!(props.unavailable().is_some());
    // The count is what the load read; the list reads as none.
    assert_eq!(props.len(), count);
    assert!(props.iter().next().is_none());
}

#[test]
fn search_finds_values_left_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.xml");
    let bytes = large(DumpFormat::Plist, 5_000, &path);
    // A string value of some entry, read whole, that names no entry and no class.
    let whole = formats::read_bytes(&bytes, &Limits::default()).unwrap();
    let (want, needle) = whole
        .entries()
        .filter_map(|(id, e)| {
            e.properties.iter().find_map(|(_, v)| match v {
                Value::String(s) => {
                    let s = s.as_str()?;
                    (s.len() >= 12 && s.is_ascii() && !s.contains(' ')).then(|| (id, s.to_owned()))
                }
                _ => None,
            })
        })
        .last()
        .unwrap();
    let loaded = formats::load_file(&path).unwrap();
    assert!(loaded.has_deferred_properties());
    let mut h = Harness::new(
        App::with_registry(SourceKind::File(path.display().to_string()), loaded, None),
        160,
        40,
    );
    h.press(&[Action::SearchStart])
        .typed(&needle.to_ascii_lowercase());
    let matches = h.app.state.search.matches();
    assert!(
        matches.contains(&want),
        "{needle}: {} matches",
        matches.len()
    );
}
