//! Fuzz target: the XML archive reader in chunks (seven chunks on three threads) must never
//! panic, and when the chunks read the bytes, one thread must read them to the same registry
//! (its JSON dump, load report included, byte for byte). Read with the property values left
//! in the bytes (`ValueMode::Defer`, issue 22's lazy values), in chunks and on one thread,
//! it must give what a read that keeps them gives: the same registry, or the same error.
#![no_main]

mod common;

use ioscope::formats::{self, DumpFormat, Selection, archive};
use ioscope::registry::Registry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let kept = archive::read_in_chunks(data, &limits, 3, 7);
    let deferred = archive::read_in_chunks_deferring(data, &limits, 3, 7);
    match (&deferred, &kept) {
        (Some(d), Some(k)) => same(d, k),
        (None, None) => {}
        _ => panic!("the chunks read the bytes deferring or keeping, not both"),
    }
    common::same_as_one_thread(kept, archive::read(data, &limits));
    match (
        formats::read_deferring(data, &limits),
        formats::read_bytes(data, &limits),
    ) {
        (Ok(d), Ok(k)) => same(&d, &k),
        (Err(d), Err(k)) => assert_eq!(d, k, "deferring and keeping fail otherwise"),
        (d, k) => panic!(
            "deferring {:?}, keeping {:?}",
            d.map(|r| r.len()),
            k.map(|r| r.len())
        ),
    }
});

/// A registry read deferring against one read keeping: every entry (its properties decoded,
/// none unavailable) and the JSON dump.
fn same(deferred: &Registry, kept: &Registry) {
    assert_eq!(deferred.len(), kept.len());
    for (id, e) in kept.entries() {
        let d = deferred.entry(id);
        assert_eq!(d.properties.unavailable(), None);
        assert!(d == e, "entry {} differs deferred", id.0);
    }
    assert!(json(deferred) == json(kept), "the JSON dumps differ");
}

fn json(registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = formats::write(registry, &Selection::default(), DumpFormat::Json, &mut out);
    out
}
