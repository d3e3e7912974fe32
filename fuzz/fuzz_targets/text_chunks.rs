//! Fuzz target: the text reader in chunks (chunks of at least 64 bytes on three threads) must
//! never panic, and when the chunks read the bytes, one thread must read them to the same
//! registry (its JSON dump, load report included, byte for byte). The same again with the
//! property values left in the bytes (issue 22's lazy values), in chunks and on one thread:
//! decoded again, they must be the values the reader keeps.
#![no_main]

mod common;

use ioscope::formats::{self, text};
use ioscope::registry::Origin;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let one = text::read(data, &limits);
    // `text::read` leaves a claimed cycle of parent links (an entry's ID met again below
    // itself) to `formats::read_bytes`, which refuses it: a cyclic plane's JSON dump has no
    // end, so bytes that one thread reads and `read_bytes` refuses are not compared.
    let settled = formats::read_bytes(data, &limits);
    if one.is_ok() && settled.is_err() {
        return;
    }
    common::same_as_one_thread(text::read_in_chunks(data, &limits, 3, 64), one.clone());
    common::same_as_one_thread(
        text::read_in_chunks_deferring(data, &limits, 3, 64),
        one.clone(),
    );
    // On one thread: `read_deferring` reads a text dump as `load_file` reads a large one.
    if let (Ok(_), Ok(kept)) = (one, settled) {
        if kept.report.origin == Origin::IoregText {
            let deferred = formats::read_deferring(data, &limits)
                .unwrap_or_else(|e| panic!("deferring the values, the read fails: {e}"));
            common::same_as_one_thread(Some(deferred), Ok(kept));
        }
    }
});
