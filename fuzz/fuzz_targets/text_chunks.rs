//! Fuzz target: the text reader in chunks (chunks of at least 64 bytes on three threads) must
//! never panic, and when the chunks read the bytes, one thread must read them to the same
//! registry (its JSON dump, load report included, byte for byte).
#![no_main]

mod common;

use ioscope::formats::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    common::same_as_one_thread(
        text::read_in_chunks(data, &limits, 3, 64),
        text::read(data, &limits),
    );
});
