//! Issue 22's lazy values in the text reader: every text dump of the corpus, read with its
//! property values left in the file (`formats::read_deferring`, as `load_file` reads a large
//! dump; and in chunks on several threads), is the registry the reader builds when it keeps
//! them: every entry, every plane, the load report and the JSON dump.

use crate::common::{Counted, file_name, fingerprint, provenance, shared_corpus};
use ioscope::formats::{self, DumpFormat, Limits, Selection, text};
use ioscope::registry::Registry;
use std::path::PathBuf;

/// The corpus's text dumps, read whole (none when the corpus is absent).
fn text_dumps() -> Vec<(PathBuf, Vec<u8>)> {
    let Some(dir) = shared_corpus() else {
        return Vec::new();
    };
    provenance(&dir)
        .into_iter()
        .filter(|p| p.counted == Counted::TreeLines)
        .map(|p| {
            let bytes = std::fs::read(&p.path).unwrap();
            (p.path, bytes)
        })
        .collect()
}

fn json(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    formats::write(registry, &Selection::default(), DumpFormat::Json, &mut out).unwrap();
    out
}

/// `deferred` (read with its values left in its bytes) against `kept`, read keeping them.
fn assert_same(name: &str, deferred: &Registry, kept: &Registry) {
    // Before any entry is decoded: the values are not held, only counted.
    let with_values = kept.entries().filter(|(_, e)| !e.properties.is_empty());
    let with_values = with_values.count();
    let deferred_lists = deferred
        .entries()
        .filter(|(_, e)| e.properties.is_deferred())
        .count();
    assert_eq!(deferred_lists, with_values, "{name}: deferred lists");
    // The JSON dump decodes every list without keeping it.
    assert!(json(deferred) == json(kept), "{name}: JSON dumps differ");
    assert_eq!(deferred.len(), kept.len(), "{name}: entries");
    for ((id, d), (_, k)) in deferred.entries().zip(kept.entries()) {
        assert!(d == k, "{name}: entry {} differs", id.0);
        assert_eq!(d.properties.unavailable(), None, "{name}: entry {}", id.0);
    }
    assert!(
        fingerprint(deferred) == fingerprint(kept),
        "{name}: planes or report differ"
    );
}

#[test]
fn every_corpus_text_dump_reads_the_same_with_its_values_left_in_the_file() {
    let limits = Limits::default();
    for (path, bytes) in text_dumps() {
        let name = file_name(&path);
        let kept = formats::read_bytes(&bytes, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        let deferred =
            formats::read_deferring(&bytes, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            deferred.has_deferred_properties() || !kept.report.dialect.unwrap().properties,
            "{name}: nothing deferred"
        );
        assert_same(name, &deferred, &kept);
    }
}

#[test]
fn every_corpus_text_dump_reads_the_same_in_chunks_with_its_values_left_in_the_file() {
    let limits = Limits::default();
    let mut chunked = 0;
    let dumps = text_dumps();
    for (path, bytes) in &dumps {
        let name = file_name(path);
        let kept = text::read(bytes, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Chunks of 4 KB on three threads: tens to hundreds of chunks per dump.
        let deferred = text::read_in_chunks_deferring(bytes, &limits, 3, 4096);
        let kept_chunks = text::read_in_chunks(bytes, &limits, 3, 4096);
        assert_eq!(
            deferred.is_some(),
            kept_chunks.is_some(),
            "{name}: the chunks step aside in one mode only"
        );
        if let Some(deferred) = deferred {
            chunked += 1;
            assert_same(name, &deferred, &kept);
        }
    }
    // Most real dumps are one tree under Root: the chunks read them.
    assert!(chunked * 2 >= dumps.len(), "{chunked} of {}", dumps.len());
}
