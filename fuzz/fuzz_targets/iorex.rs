//! Fuzz target: the IORegistryExplorer `.ioreg` document reader must never panic, hang or exhaust memory, whatever the bytes.
#![no_main]

mod common;

use ioscope::formats::{self, iorex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let _ = formats::detect(data);
    let _ = iorex::read(data, &limits);
});
