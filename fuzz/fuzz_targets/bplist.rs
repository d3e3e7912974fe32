//! Fuzz target: binary property lists (`bplist0?`, the crate's own reader under CF's rules)
//! as `ioreg -a` archives and as IORegistryExplorer documents must never panic, hang or
//! exhaust memory, whatever the bytes. Inputs without the magic get it prepended, so every
//! input reaches the object table.
#![no_main]

mod common;

use ioscope::formats::{self, archive, iorex};
use libfuzzer_sys::fuzz_target;
use std::borrow::Cow;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let bytes: Cow<'_, [u8]> = if data.starts_with(b"bplist0") {
        Cow::Borrowed(data)
    } else {
        Cow::Owned([&b"bplist00"[..], data].concat())
    };
    let _ = formats::detect(&bytes);
    let _ = archive::read(&bytes, &limits);
    let _ = iorex::read(&bytes, &limits);
});
