//! Fuzz target: the text reader in chunks (small chunks on three threads) must never panic,
//! and when the chunks read the bytes, their registry must be the one-thread reader's (its
//! JSON dump, load report included, byte for byte).
#![no_main]

mod common;

use ioscope::formats::{self, DumpFormat, Selection, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let (chunked, by_chunks) = text::read_in_chunks(data, &limits, 3, 64);
    if !by_chunks {
        return;
    }
    let one = text::read(data, &limits);
    match (chunked, one) {
        (Ok(a), Ok(b)) => assert_eq!(json(&a), json(&b), "chunks and one thread differ"),
        (a, b) => assert_eq!(a.is_ok(), b.is_ok(), "chunks and one thread disagree"),
    }
});

fn json(registry: &ioscope::registry::Registry) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = formats::write(registry, &Selection::default(), DumpFormat::Json, &mut out);
    out
}
