//! Fuzz target: the writers' round trip. Whatever any reader makes of the bytes, writing it
//! as an annotated `ioreg -a` plist (`dump --format plist --annotate`) and reading that back
//! (through the same entry point, `read_bytes`) must give the same
//! registry: checked as the written plist being a fixed point (write → read → write gives the
//! same bytes, the reader's name aside, which a plist records but does not restore). The JSON
//! and text writers must not panic on it either.
#![no_main]

mod common;

use ioscope::formats::{self, DumpFormat, Selection};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::roundtrip_limits();
    let Ok(registry) = formats::read_bytes(data, &limits) else {
        return;
    };
    // Annotated: the lossless plist (a plain `ioreg -a` archive holds only what `ioreg`
    // writes, so integer widths, sets, raw values and per-plane names would not come back).
    let all = Selection {
        annotate: true,
        ..Selection::default()
    };
    let first = write(&registry, DumpFormat::Plist, &all);
    let mut back = match formats::read_bytes(&first, &formats::Limits::default()) {
        Ok(r) => r,
        Err(e) => panic!(
            "our own plist does not read back: {e}\n{}",
            String::from_utf8_lossy(&first)
        ),
    };
    // The one thing a plist does not restore, by design (`archive::report`): which reader
    // read the original.
    back.report.origin = registry.report.origin;
    let second = write(&back, DumpFormat::Plist, &all);
    assert!(
        first == second,
        "write → read → write changed the plist:\n{}\n---\n{}",
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&second)
    );
    let _ = write(&registry, DumpFormat::Json, &all);
    let _ = write(&registry, DumpFormat::Text, &all);
});

fn write(registry: &ioscope::registry::Registry, format: DumpFormat, sel: &Selection) -> Vec<u8> {
    let mut out = Vec::new();
    formats::write(registry, sel, format, &mut out).expect("writing to memory cannot fail");
    out
}
