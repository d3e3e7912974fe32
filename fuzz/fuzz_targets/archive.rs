//! Fuzz target: the `ioreg -a` plist archive reader must never panic, hang or exhaust memory, whatever the bytes.
#![no_main]

mod common;

use ioscope::formats::{self, archive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let _ = formats::detect(data);
    let _ = archive::read(data, &limits);
});
