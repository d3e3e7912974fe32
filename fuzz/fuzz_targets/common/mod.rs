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
