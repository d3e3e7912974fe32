//! Fuzz target: the XML archive reader in chunks (seven chunks on three threads) must never
//! panic, and when the chunks read the bytes, one thread must read them to the same registry
//! (its JSON dump, load report included, byte for byte).
#![no_main]

mod common;

use ioscope::formats::archive;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    common::same_as_one_thread(
        archive::read_in_chunks(data, &limits, 3, 7),
        archive::read(data, &limits),
    );
});
