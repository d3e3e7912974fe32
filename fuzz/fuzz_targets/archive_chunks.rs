//! Fuzz target: the XML archive reader in chunks (seven chunks on three threads) must never
//! panic, and when the chunks read the bytes, their registry must be the one-thread reader's
//! (its JSON dump, load report included, byte for byte).
#![no_main]

mod common;

use ioscope::formats::{self, DumpFormat, Selection, archive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let Some(chunked) = archive::read_in_chunks(data, &limits, 3, 7) else {
        return;
    };
    match archive::read(data, &limits) {
        Ok(one) => assert_eq!(json(&chunked), json(&one), "chunks and one thread differ"),
        Err(e) => panic!("the chunks read what one thread refuses: {e}"),
    }
});

fn json(registry: &ioscope::registry::Registry) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = formats::write(registry, &Selection::default(), DumpFormat::Json, &mut out);
    out
}
