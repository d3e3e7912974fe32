//! What every fuzz target shares: the limits a reader runs under.

// Each target uses one of these.
#![allow(dead_code)]

use ioscope::formats::Limits;

/// Smaller than the defaults so one input cannot spend the fuzzer's memory budget (2 GB).
pub fn limits() -> Limits {
    Limits {
        max_depth: 128,
        max_entries: 100_000,
        max_string_bytes: 16 << 20,
        max_decoded_bytes: 256 << 20,
        ..Limits::default()
    }
}

/// Smaller still for the round trip, which writes and reads every input several times.
pub fn roundtrip_limits() -> Limits {
    Limits {
        max_depth: 64,
        max_entries: 20_000,
        max_string_bytes: 1 << 20,
        max_decoded_bytes: 64 << 20,
        ..Limits::default()
    }
}

/// A chunked reader's registry against the one-thread reader's result for the same bytes:
/// when the chunks read them (`Some`), one thread must read them too, to the same JSON dump
/// (load report included, byte for byte).
pub fn same_as_one_thread(
    chunked: Option<ioscope::registry::Registry>,
    one: Result<ioscope::registry::Registry, ioscope::formats::ReadError>,
) {
    let Some(chunked) = chunked else {
        return;
    };
    match one {
        Ok(one) => assert!(json(&chunked) == json(&one), "chunks and one thread differ"),
        Err(e) => panic!("the chunks read what one thread refuses: {e}"),
    }
}

fn json(registry: &ioscope::registry::Registry) -> Vec<u8> {
    use ioscope::formats::{self, DumpFormat, Selection};
    let mut out = Vec::new();
    let _ = formats::write(registry, &Selection::default(), DumpFormat::Json, &mut out);
    out
}
