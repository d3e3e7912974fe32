//! `formats::load_file` reads a file to the same registry (or the same error) as
//! `formats::read_bytes` on its bytes, though it reads large XML archives and text dumps
//! from a memory map whose pages it releases as it goes (the memory goal: peak ≤ 1.5× the
//! file size).

use crate::common::fingerprint;
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::formats::{Limits, LoadError, MAP_AT_LEAST};
use ioscope::kernel::sim::generate::synthetic;
use ioscope::registry::Registry;
use std::path::Path;

/// A fresh temporary directory (removed when the guard drops).
fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(registry: &Registry, format: DumpFormat, path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    formats::write(registry, &Selection::default(), format, &mut bytes).unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn assert_same_as_read_bytes(path: &Path, bytes: &[u8]) {
    let from_file = formats::load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let from_bytes = formats::read_bytes(bytes, &Limits::default()).unwrap();
    assert!(!from_file.is_empty());
    assert_eq!(from_file.len(), from_bytes.len());
    assert_eq!(fingerprint(&from_file), fingerprint(&from_bytes));
}

fn assert_same_error(path: &Path, bytes: &[u8]) {
    let expected = formats::read_bytes(bytes, &Limits::default()).unwrap_err();
    match formats::load_file(path) {
        Err(LoadError::Read { error, .. }) => assert_eq!(error, expected),
        Err(other) => panic!("expected a read error, got {other}"),
        Ok(_) => panic!("expected {expected}, the file loaded"),
    }
}

#[test]
fn a_large_text_dump_loads_from_its_map_as_from_its_bytes() {
    let d = dir();
    let path = d.path().join("large.txt");
    // Large enough to be mapped, and to be released behind the reader more than once.
    let registry = synthetic(17_000, 5);
    let bytes = write(&registry, DumpFormat::Text, &path);
    assert!(
        bytes.len() as u64 >= MAP_AT_LEAST + (4 << 20),
        "{}",
        bytes.len()
    );
    assert_same_as_read_bytes(&path, &bytes);

    // Broken near the end, far behind released pages: a tree line cut short mid-file.
    let at = memchr::memmem::rfind(&bytes, b"+-o ").unwrap();
    let line_start = memchr::memrchr(b'\n', &bytes[..at]).unwrap() + 1;
    let class = at + memchr::memmem::find(&bytes[at..], b"  <class").unwrap();
    let mut cut = bytes[line_start..class].to_vec();
    cut.extend_from_slice(b"  <class IOService, id 0x1\n");
    let mut broken = bytes.clone();
    broken.splice(line_start..line_start, cut);
    std::fs::write(&path, &broken).unwrap();
    assert_same_error(&path, &broken);
}

#[test]
fn an_xml_archive_loads_as_from_its_bytes_and_fails_at_the_same_byte() {
    let d = dir();
    let path = d.path().join("archive.xml");
    let bytes = write(&synthetic(4_000, 9), DumpFormat::Plist, &path);
    // Large enough to be mapped, and to be released behind the reader.
    assert!(
        bytes.len() as u64 >= MAP_AT_LEAST.max(5 << 20),
        "{}",
        bytes.len()
    );
    assert_same_as_read_bytes(&path, &bytes);

    let mut broken = bytes.clone();
    let at = memchr::memmem::rfind(&broken, b"<integer>").unwrap();
    broken[at + 9] = b'x';
    std::fs::write(&path, &broken).unwrap();
    assert_same_error(&path, &broken);
    let message = formats::load_file(&path).err().unwrap().to_string();
    assert!(message.contains(": byte "), "{message}");

    // An error the model builder raises (at the last event's offset), and a truncated file.
    let mut misplaced = bytes.clone();
    let at =
        memchr::memmem::find(&misplaced[bytes.len() / 2..], b"<key>").unwrap() + bytes.len() / 2;
    misplaced.splice(at..at, b"<string>a</string>".to_vec());
    std::fs::write(&path, &misplaced).unwrap();
    assert_same_error(&path, &misplaced);
    let truncated = &bytes[..bytes.len() * 2 / 3];
    std::fs::write(&path, truncated).unwrap();
    assert_same_error(&path, truncated);
}

#[test]
fn a_small_text_dump_and_an_empty_file_load_as_from_their_bytes() {
    let d = dir();
    let path = d.path().join("small.txt");
    let bytes = write(&synthetic(300, 2), DumpFormat::Text, &path);
    assert_same_as_read_bytes(&path, &bytes);
    let empty = d.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let a = formats::load_file(&empty)
        .map(|r| r.len())
        .map_err(|e| e.to_string());
    let b = formats::read_bytes(b"", &Limits::default()).map(|r| r.len());
    assert_eq!(a.is_ok(), b.is_ok());
}
