//! The chunked read (several threads) gives the one-thread reader's model, report and
//! errors, on every text dump of the corpus, on a generated dump and on hostile ones, with
//! chunks far smaller than the real ones so that every kind of cut is met.

use super::chunked::{Fallback, PANIC_IN_LATER_CHUNKS, read_chunked};
use super::read as read_one;
use crate::formats::{Format, Limits, ReadError, detect};
use crate::registry::{ClassId, Registry};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Everything a reader decides, in a deterministic text: each entry, each class and its
/// superclass, each plane's roots, links and overrides, the load report.
fn model(r: &Registry) -> String {
    let mut out = String::new();
    for (id, e) in r.entries() {
        let _ = writeln!(out, "{id:?} {e:?}");
    }
    for i in 0..r.classes.len() as u32 {
        let c = ClassId(i);
        let _ = writeln!(
            out,
            "class {} < {:?}",
            r.classes.name(c),
            r.classes.superclass(c)
        );
    }
    for plane in r.planes() {
        let _ = writeln!(out, "plane {} roots {:?}", plane.name(), plane.roots());
        for (id, _) in r.entries() {
            if !plane.contains(id) {
                continue;
            }
            let parents: Vec<_> = plane.parents(id).collect();
            let _ = writeln!(
                out,
                "  {id:?} parents {parents:?} children {:?} name {:?} location {:?}",
                plane.children(id),
                plane.name_override(id),
                plane.location_override(id)
            );
        }
    }
    let _ = writeln!(out, "{:?}", r.report);
    out
}

fn outcome(r: &Result<Registry, ReadError>) -> Result<String, ReadError> {
    r.as_ref().map(model).map_err(Clone::clone)
}

/// Reads `bytes` chunked with each thread count and chunk size, and checks every result
/// against the one-thread read. Returns how many of those reads were really chunked.
fn same_as_one_thread(name: &str, bytes: &[u8], limits: &Limits, threads: &[usize]) -> usize {
    let want = outcome(&super::Reader::new(bytes, limits).run());
    let mut chunked = 0;
    for &n in threads {
        for min_chunk in [1, bytes.len() / 5] {
            let (got, how) = read_chunked(bytes, limits, n, min_chunk, None);
            let got = outcome(&got);
            if got != want {
                let first = first_difference(&got, &want);
                panic!("{name}: {n} threads, chunks ≥ {min_chunk} B ({how:?}) differ: {first}");
            }
            chunked += usize::from(how.is_ok());
        }
    }
    chunked
}

fn first_difference(got: &Result<String, ReadError>, want: &Result<String, ReadError>) -> String {
    match (got, want) {
        (Ok(g), Ok(w)) => g
            .lines()
            .zip(w.lines())
            .find(|(a, b)| a != b)
            .map_or("in length".to_owned(), |(a, b)| {
                format!("\n got  {a}\n want {b}")
            }),
        _ => format!("{got:?} vs {want:?}"),
    }
}

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

#[test]
fn every_corpus_text_dump_reads_the_same_in_chunks() {
    let Some(dir) = corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut texts = 0;
    let mut chunked_files = 0;
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        if path.extension().is_some_and(|e| e == "md") || detect(&bytes) != Format::Text {
            continue;
        }
        texts += 1;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let chunked = same_as_one_thread(&name, &bytes, &Limits::default(), &[2, 3, 7]);
        chunked_files += usize::from(chunked > 0);
    }
    assert!(texts >= 20, "only {texts} text dumps found");
    // Most real dumps are one tree: their chunked read is used, not thrown away.
    assert!(
        chunked_files * 4 >= texts * 3,
        "only {chunked_files} of {texts} dumps were read in chunks"
    );
}

/// A generated registry of 3,000 entries written as `ioreg -l` text.
fn generated() -> Vec<u8> {
    let registry = crate::kernel::sim::generate::synthetic(3000, 7);
    let mut out = Vec::new();
    crate::formats::write(
        &registry,
        &crate::formats::Selection::default(),
        crate::formats::DumpFormat::Text,
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn a_generated_dump_reads_the_same_in_chunks() {
    let bytes = generated();
    let chunked = same_as_one_thread("generated", &bytes, &Limits::default(), &[2, 3, 7, 16]);
    assert_eq!(chunked, 8, "every read of the generated dump was chunked");
}

#[test]
fn every_cut_of_a_small_dump_reads_the_same() {
    // Many chunks on a small dump: cuts at every depth, into blocks, after clipped lines.
    let bytes = super::tests::MODERN.repeat(3);
    let limits = Limits::default();
    let want = outcome(&super::Reader::new(bytes.as_bytes(), &limits).run());
    for n in 2..40 {
        let (got, how) = read_chunked(bytes.as_bytes(), &limits, n, 1, None);
        assert_eq!(outcome(&got), want, "{n} chunks ({how:?})");
    }
}

#[test]
fn entries_over_the_limit_only_together_fall_back_to_the_same_error() {
    let bytes = generated();
    let one = super::Reader::new(&bytes, &Limits::default())
        .run()
        .unwrap();
    let limits = Limits {
        max_entries: one.len() - 10,
        ..Limits::default()
    };
    let want = super::Reader::new(&bytes, &limits).run().unwrap_err();
    assert!(want.message.contains("too many entries"), "{want}");
    for n in [2, 3, 7] {
        let (got, how) = read_chunked(&bytes, &limits, n, 1, None);
        assert_eq!(got.unwrap_err(), want, "{n} threads");
        assert_eq!(how, Err(Fallback::Limit), "no chunk alone crosses it");
    }
}

#[test]
fn classes_over_the_limit_only_together_fall_back_to_the_same_error() {
    let bytes = generated();
    let one = super::Reader::new(&bytes, &Limits::default())
        .run()
        .unwrap();
    let limits = Limits {
        max_classes: one.classes.len() - 1,
        ..Limits::default()
    };
    let want = super::Reader::new(&bytes, &limits).run().unwrap_err();
    let (got, how) = read_chunked(&bytes, &limits, 7, 1, None);
    assert_eq!(got.unwrap_err(), want);
    assert!(
        matches!(how, Err(Fallback::Limit | Fallback::Chunk)),
        "{how:?}"
    );
}

#[test]
fn a_truncated_dump_reads_the_same_in_chunks() {
    let bytes = generated();
    for cut in [bytes.len() / 2, bytes.len() * 3 / 4 + 17, bytes.len() - 3] {
        let part = &bytes[..cut];
        let chunked = same_as_one_thread("truncated", part, &Limits::default(), &[2, 3, 7]);
        assert!(chunked > 0, "cut at {cut}");
    }
}

/// A string over several lines whose continuation lines look like tree lines: the
/// one-thread reader ends the value there; a cut there reads the same.
#[test]
fn a_cut_at_a_tree_line_inside_a_multi_line_string_reads_the_same() {
    let mut dump = String::from("+-o Root  <class IORegistryEntry, id 0x100000100, retain 14>\n");
    for i in 0..40 {
        dump.push_str(&format!(
            "  +-o E{i}  <class IOService, id 0x{:x}, registered, matched, active, busy 0 (0 ms), retain 5>\n    {{\n      \"a\" = \"first line\n  +-o fake{i}  <class IOService, id 0x{:x}, retain 5>\nlast\"\n      \"b\" = 1\n    }}\n    \n",
            0x200 + i,
            0x900 + i
        ));
    }
    let limits = Limits::default();
    let want = outcome(&super::Reader::new(dump.as_bytes(), &limits).run());
    for n in 2..30 {
        let (got, how) = read_chunked(dump.as_bytes(), &limits, n, 1, None);
        assert_eq!(outcome(&got), want, "{n} chunks ({how:?})");
    }
}

/// An `ioreg -f` hex dump whose rows look like a deeper tree line is read past the cut:
/// the chunked read gives up and the result is the one-thread reader's.
#[test]
fn a_value_that_runs_over_a_cut_falls_back() {
    let mut dump = String::from("+-o Root  <class IORegistryEntry, id 0x100000100, retain 14>\n");
    for i in 0..20 {
        dump.push_str(&format!(
            "  +-o E{i}  <class IOService, id 0x{:x}, retain 5>\n    {{\n      \"reg\" = \n          00000000: 01 02 03 04 05 06 07 08 09 0a                    ..........\n          +-o X  <class IOService, id 0x{:x}, retain 5>\n    }}\n    \n",
            0x200 + i,
            0x900 + i
        ));
    }
    let limits = Limits::default();
    let want = outcome(&super::Reader::new(dump.as_bytes(), &limits).run());
    let mut overran = 0;
    for n in 2..30 {
        let (got, how) = read_chunked(dump.as_bytes(), &limits, n, 1, None);
        assert_eq!(outcome(&got), want, "{n} chunks ({how:?})");
        overran += usize::from(how == Err(Fallback::Overran));
    }
    assert!(
        overran > 0,
        "no cut landed on a line read as part of a value"
    );
}

#[test]
fn an_error_in_a_later_chunk_is_the_one_thread_error() {
    let mut bytes = generated();
    // A line cut before its `>` in the middle of the file: an error naming its line.
    let at = bytes.len() * 4 / 5;
    let line_start = at + memchr::memmem::find(&bytes[at..], b"+-o ").unwrap();
    let close = line_start + memchr::memchr(b'>', &bytes[line_start..]).unwrap();
    bytes.remove(close);
    let want = super::Reader::new(&bytes, &Limits::default())
        .run()
        .unwrap_err();
    for n in [2, 3, 7] {
        let (got, how) = read_chunked(&bytes, &Limits::default(), n, 1, None);
        assert_eq!(got.unwrap_err(), want, "{n} threads");
        assert_eq!(how, Err(Fallback::Chunk));
    }
}

#[test]
fn a_later_plane_header_falls_back() {
    let one = super::tests::MODERN;
    let dump = format!("{one}IODeviceTree:\n{one}");
    let limits = Limits::default();
    let want = outcome(&read_one(dump.as_bytes(), &limits));
    let mut fell_back = 0;
    for n in 2..12 {
        let (got, how) = read_chunked(dump.as_bytes(), &limits, n, 1, None);
        assert_eq!(outcome(&got), want, "{n} chunks ({how:?})");
        fell_back += usize::from(how.is_err());
    }
    assert!(fell_back > 0);
}

/// Each chunk's thread asks for the pages behind it to be released, through the caller's
/// hook on the caller's thread, every few MB as with one thread; and so does the line count
/// before the chunks are read.
#[test]
fn a_released_read_releases_behind_every_chunk() {
    let registry = crate::kernel::sim::generate::synthetic(12_000, 3);
    let mut bytes = Vec::new();
    crate::formats::write(
        &registry,
        &crate::formats::Selection::default(),
        crate::formats::DumpFormat::Text,
        &mut bytes,
    )
    .unwrap();
    assert!(bytes.len() > 9 << 20, "{} bytes", bytes.len());
    let calls = std::cell::RefCell::new(Vec::new());
    let hook = |upto: usize| calls.borrow_mut().push(upto);
    let limits = Limits::default();
    let (got, how) = read_chunked(&bytes, &limits, 2, 1, Some(&hook));
    assert!(how.is_ok_and(|n| n >= 2), "{how:?}");
    let want = outcome(&super::Reader::new(&bytes, &limits).run());
    assert_eq!(outcome(&got), want);
    let calls = calls.into_inner();
    let half = bytes.len() / 2;
    // The first chunk releases behind itself, and so does the second (past the middle).
    assert!(calls.iter().any(|&u| u < half), "{calls:?}");
    assert!(calls.iter().any(|&u| u > half), "{calls:?}");
    // The pages looked at to find the cuts go at once (all of them), then those of each
    // round of chunks counted.
    assert_eq!(calls[0], bytes.len(), "{calls:?}");
    assert!(calls[1..].iter().all(|&u| u < bytes.len()), "{calls:?}");
}

#[test]
fn a_thread_that_panics_falls_back() {
    let mut bytes = PANIC_IN_LATER_CHUNKS.to_vec();
    bytes.extend_from_slice(b" <class IORegistryEntry, id 0x100000100, retain 14>\n");
    let rest = generated();
    let first_child = memchr::memmem::find(&rest, b"\n  +-o ").unwrap() + 1;
    bytes.extend_from_slice(&rest[first_child..]);
    let limits = Limits::default();
    let want = outcome(&super::Reader::new(&bytes, &limits).run());
    assert!(want.is_ok());
    let (got, how) = read_chunked(&bytes, &limits, 3, 1, None);
    assert_eq!(how, Err(Fallback::Thread));
    assert_eq!(outcome(&got), want);
}
