//! An `ioreg -a` XML archive read with its property values left in the file (issue 22's lazy
//! values, as `load_file` reads a large one) gives the registry a read that keeps them
//! gives: every entry (its properties decoded on first use), planes, classes, the load
//! report and the JSON dump — on one thread and in chunks. On every `ioreg -a` XML archive
//! of the corpus, and on archives of every corpus text dump's real entries, laid out as
//! `ioreg -a` lays them out (keys sorted: an entry's name and ID after its children) and as
//! ioscope writes them with `--annotate` (`ioscope:` keys, escaped keys, annotations).

use crate::common::{fingerprint, shared_corpus, sorted_like_ioreg};
use ioscope::formats::{self, DumpFormat, Limits, Selection, archive};
use ioscope::registry::Registry;

fn json(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    formats::write(registry, &Selection::default(), DumpFormat::Json, &mut out).unwrap();
    out
}

/// `got` (read deferring) against `want` (read keeping): `None` when they are the same.
fn difference(got: &Registry, want: &Registry) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("{} / {} entries", got.len(), want.len()));
    }
    for (id, e) in want.entries() {
        let g = got.entry(id);
        if let Some(why) = g.properties.unavailable() {
            return Some(format!("entry {}: {why}", id.0));
        }
        if g != e {
            return Some(format!("entry {} ({}) differs", id.0, e.name));
        }
    }
    if fingerprint(got) != fingerprint(want) {
        return Some("planes, classes or report differ".into());
    }
    (json(got) != json(want)).then(|| "the JSON dumps differ".into())
}

fn write_archive(registry: &Registry, annotate: bool) -> Vec<u8> {
    let selection = Selection {
        annotate,
        ..Selection::default()
    };
    let mut out = Vec::new();
    formats::write(registry, &selection, DumpFormat::Plist, &mut out).unwrap();
    out
}

/// Archives to check, each with a name.
type Archives = Vec<(String, Vec<u8>)>;

/// Every XML archive to check: the corpus's own, and archives of its text dumps' entries.
fn archives() -> Option<Archives> {
    let dir = shared_corpus()?;
    let paths = crate::common::corpus_dumps(&dir);
    let mut out = Vec::new();
    for path in paths {
        let name = crate::common::file_name(&path).to_owned();
        let bytes = std::fs::read(&path).unwrap();
        match formats::detect(&bytes) {
            formats::Format::Archive if !bytes.starts_with(b"bplist") => out.push((name, bytes)),
            formats::Format::Text => {
                let registry = formats::read_bytes(&bytes, &Limits::default()).expect("loads");
                out.push((
                    format!("{name} as ioreg -a lays it out"),
                    sorted_like_ioreg(&write_archive(&registry, false)),
                ));
                out.push((
                    format!("{name} as ioscope writes it (--annotate)"),
                    write_archive(&registry, true),
                ));
            }
            _ => {}
        }
    }
    Some(out)
}

/// [`archives`], made once for both tests.
fn corpus_archives() -> Option<&'static [(String, Vec<u8>)]> {
    static ARCHIVES: std::sync::OnceLock<Option<Archives>> = std::sync::OnceLock::new();
    ARCHIVES.get_or_init(archives).as_deref()
}

#[test]
fn corpus_archives_read_deferring_are_read_keeping() {
    let Some(archives) = corpus_archives() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let limits = Limits::default();
    let mut failures = Vec::new();
    for (name, bytes) in archives {
        let want = formats::read_bytes(bytes, &limits).expect("reads");
        let got = formats::read_deferring(bytes, &limits).expect("reads");
        if want.property_count() > 0 && !got.has_deferred_properties() {
            failures.push(format!("{name}: nothing deferred"));
        }
        if let Some(why) = difference(&got, &want) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// In chunks (three threads, eight chunks): the chunks read an archive deferring exactly
/// when they read it keeping, and give one thread's registry.
#[test]
fn corpus_archives_read_deferring_in_chunks_are_read_keeping() {
    let Some(archives) = corpus_archives() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let limits = Limits::default();
    let mut failures = Vec::new();
    let mut chunked = 0;
    for (name, bytes) in archives {
        let keep = archive::read_in_chunks(bytes, &limits, 3, 8).is_some();
        match archive::read_in_chunks_deferring(bytes, &limits, 3, 8) {
            Some(got) => {
                chunked += 1;
                let want = archive::read(bytes, &limits).unwrap();
                if want.property_count() > 0 && !got.has_deferred_properties() {
                    failures.push(format!("{name}: nothing deferred"));
                }
                if let Some(why) = difference(&got, &want) {
                    failures.push(format!("{name}: {why}"));
                }
            }
            None if keep => failures.push(format!("{name}: the chunks read it keeping only")),
            None => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        chunked > archives.len() / 2,
        "{chunked} of {}",
        archives.len()
    );
}

/// Every corpus text dump's tree under one root, each dump's IDs made its own, laid out as
/// `ioreg -a` lays it out (keys sorted): real entries, past the size from which the loader
/// maps a file and leaves its values in it.
fn large_real_archive() -> Option<Vec<u8>> {
    fn own_ids(v: &mut plist::Value, offset: u64) {
        match v {
            plist::Value::Dictionary(d) => {
                for (k, v) in d.iter_mut() {
                    match v.as_unsigned_integer() {
                        Some(id) if k == "IORegistryEntryID" => {
                            *v = plist::Value::Integer(id.wrapping_add(offset).into());
                        }
                        _ => own_ids(v, offset),
                    }
                }
            }
            plist::Value::Array(items) => items.iter_mut().for_each(|v| own_ids(v, offset)),
            _ => {}
        }
    }
    let dir = shared_corpus()?;
    let paths = crate::common::corpus_dumps(&dir);
    let mut children = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        if formats::detect(&bytes) != formats::Format::Text {
            continue;
        }
        let registry = formats::read_bytes(&bytes, &Limits::default()).expect("loads");
        let archive = write_archive(&registry, false);
        let mut top = plist::Value::from_reader_xml(&archive[..]).unwrap();
        own_ids(&mut top, (i as u64 + 1) << 44);
        match top {
            plist::Value::Array(items) => children.extend(items),
            dict => children.push(dict),
        }
    }
    let mut root = plist::Dictionary::new();
    root.insert("IORegistryEntryName".into(), "Root".into());
    root.insert("IOObjectClass".into(), "IORegistryEntry".into());
    root.insert("IORegistryEntryID".into(), 1u64.into());
    root.insert("IOKitBuildVersion".into(), "the corpus".into());
    root.insert(
        "IORegistryEntryChildren".into(),
        plist::Value::Array(children),
    );
    let mut out = Vec::new();
    plist::Value::Dictionary(root)
        .to_writer_xml(&mut out)
        .unwrap();
    Some(sorted_like_ioreg(&out))
}

/// Through the loader: a large archive file is mapped, read deferring (in chunks), and its
/// properties read again from the file (`pread`) give what reading its bytes keeping gives.
#[test]
fn a_large_archive_file_loads_deferring_as_its_bytes_read_keeping() {
    let Some(bytes) = large_real_archive() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    assert!(
        bytes.len() as u64 > formats::MAP_AT_LEAST,
        "{} bytes",
        bytes.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.xml");
    std::fs::write(&path, &bytes).unwrap();
    let got = formats::load_file(&path).unwrap();
    assert!(got.has_deferred_properties());
    let want = formats::read_bytes(&bytes, &Limits::default()).unwrap();
    assert!(want.len() > 10_000, "{} entries", want.len());
    if let Some(why) = difference(&got, &want) {
        panic!("{why}");
    }
}
