//! Fuzz target: the IORegistryExplorer `.ioreg` document reader must never panic, hang or exhaust memory, whatever the bytes.
#![no_main]

use ioscope::formats::{self, iorex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = limits();
    let _ = formats::detect(data);
    let _ = iorex::read(data, &limits);
});

/// Smaller than the defaults so one input cannot spend the fuzzer's memory budget (2 GB).
fn limits() -> formats::Limits {
    formats::Limits {
        max_depth: 128,
        max_entries: 100_000,
        max_string_bytes: 16 << 20,
        max_decoded_bytes: 256 << 20,
        ..formats::Limits::default()
    }
}
