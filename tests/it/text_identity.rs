//! The text reader's results, byte for byte: every corpus `ioreg -l` text dump's JSON dump
//! (every plane) and `stats` object, checked against checksums taken with the reader as it
//! was before the speed and memory work of issue 22 (`text_identity.sums`).
//!
//! Regenerate the list only from a reader whose results are known right (for instance the
//! commit before a change), never to make a failing change pass:
//! `IOSCOPE_WRITE_TEXT_SUMS=1 cargo test --test it text_dumps_are_unchanged`.

use crate::common::{Counted, file_name, provenance, shared_corpus};
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::formats::{Limits, text};
use ioscope::registry::stats::Stats;
use std::path::PathBuf;

fn sums_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/text_identity.sums")
}

/// FNV-1a, 64 bits: stable across Rust versions (std's hasher is not promised to be).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `FILE JSON-SUM STATS-SUM JSON-BYTES` for one text dump.
fn sum_line(file: &str, bytes: &[u8]) -> String {
    let r = match text::read(bytes, &Limits::default()) {
        Ok(r) => r,
        Err(e) => return format!("{file} error {:016x}", fnv(e.to_string().as_bytes())),
    };
    let sel = Selection {
        all_planes: true,
        ..Selection::default()
    };
    let mut json = Vec::new();
    formats::write(&r, &sel, DumpFormat::Json, &mut json).expect("JSON dump");
    let stats = serde_json::to_vec(&Stats::of(&r, 0.0)).expect("stats");
    format!(
        "{file} {:016x} {:016x} {}",
        fnv(&json),
        fnv(&stats),
        json.len()
    )
}

#[test]
fn text_dumps_are_unchanged() {
    let Some(dir) = shared_corpus() else {
        eprintln!("shared corpus absent: skipped");
        return;
    };
    let mut lines: Vec<String> = provenance(&dir)
        .iter()
        .filter(|row| row.counted == Counted::TreeLines)
        .map(|row| sum_line(file_name(&row.path), &std::fs::read(&row.path).unwrap()))
        .collect();
    lines.sort();
    let got = lines.join("\n") + "\n";
    if std::env::var_os("IOSCOPE_WRITE_TEXT_SUMS").is_some() {
        std::fs::write(sums_path(), &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(sums_path()).expect("tests/it/text_identity.sums");
    let differ: Vec<_> = lines
        .iter()
        .filter(|l| !want.lines().any(|w| w == l.as_str()))
        .collect();
    assert!(differ.is_empty(), "changed results: {differ:#?}");
    assert_eq!(got, want);
    assert_eq!(lines.len(), 22);
}
