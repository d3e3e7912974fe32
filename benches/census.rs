//! Leak-hunting benchmarks (issue 18): `census::diff::diff` of two 1,000,000-entry registries,
//! and `census::classes::census` / `census::clients::census` of the registry a ~100 MB
//! `ioreg -a -l` XML archive holds.
//!
//! ```sh
//! cargo bench --bench census               # everything (building the registries takes most of it)
//! cargo bench --bench census -- diff       # only the 1,000,000-entry diff
//! cargo bench --bench census -- archive    # only classes and clients
//! ```
//!
//! Registries come from `kernel::sim::generate::synthetic(n, 1)` (the generator `benches/load.rs`
//! and `scripts/bench-load` use), built once outside the timed part. The diff compares the
//! registry with a copy in which every 1,000th entry's retain count changed and every
//! 2,000th entry gained a property: the realistic case (most entries equal, a few changed),
//! where every entry is still matched and every property compared. The archive's entry count
//! is the one whose XML archive is about 100 MB, found by writing a 5,000-entry sample and
//! scaling (the archive itself is not needed: the census works on the loaded registry).
//! Goal (README, Performance): each well under a second. `BENCH_CLOCK=cpu` reads the process
//! CPU clock instead of wall time (see `support/clock.rs`), for numbers taken on a loaded machine.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use ioscope::census::{classes, clients, diff};
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::kernel::sim::generate::synthetic;
use ioscope::registry::Value;
use std::hint::black_box;
use std::time::Duration;

#[path = "support/clock.rs"]
mod clock;
use clock::Stamp;

/// `iters` runs of `f`, timed on the chosen clock (wall, or `BENCH_CLOCK=cpu`).
fn timed<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let t = Stamp::now();
    for _ in 0..iters {
        black_box(f());
    }
    t.elapsed()
}

const DIFF_ENTRIES: usize = 1_000_000;
const ARCHIVE_BYTES: usize = 100_000_000;

fn configured<'a>(c: &'a mut Criterion, group: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    g
}

fn wanted(c: &Criterion, group: &str) -> bool {
    // `cargo bench -- NAME` filters by benchmark id; skip building what would not run.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let _ = c;
    args.is_empty()
        || args
            .iter()
            .any(|a| group.contains(a.as_str()) || a.contains(group))
}

fn diff_million(c: &mut Criterion) {
    if !wanted(c, "diff") {
        return;
    }
    let before = synthetic(DIFF_ENTRIES, 1);
    let mut after = before.clone();
    let ids: Vec<_> = after.entries().map(|(id, _)| id).collect();
    for (i, id) in ids.into_iter().enumerate() {
        let e = after.entry_mut(id);
        if i % 1000 == 0 {
            e.retain = Some(e.retain.unwrap_or(1) + 1);
        }
        if i % 2000 == 0 {
            e.properties
                .push(("LeakBench".into(), Value::string("changed")));
        }
    }
    let options = diff::DiffOptions::default();
    let d = diff::diff(&before, &after, ("a", "b"), &options);
    eprintln!(
        "diff: {} entries, {} changed, {} added, {} removed",
        before.entry_count(),
        d.changed.len(),
        d.added.len(),
        d.removed.len()
    );
    let mut g = configured(c, "diff");
    g.bench_function("1000000_entries", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                diff::diff(black_box(&before), black_box(&after), ("a", "b"), &options)
            })
        })
    });
    g.finish();
}

fn archive(c: &mut Criterion) {
    if !wanted(c, "archive") {
        return;
    }
    let sample = 5_000;
    let mut bytes = Vec::new();
    formats::write(
        &synthetic(sample, 1),
        &Selection::default(),
        DumpFormat::Plist,
        &mut bytes,
    )
    .expect("the writer writes");
    let n = sample * ARCHIVE_BYTES / bytes.len().max(1);
    let registry = synthetic(n, 1);
    eprintln!(
        "archive: {n} entries (~{} MB as an ioreg -a -l XML archive), {} classes, {} processes",
        n * bytes.len() / sample / 1_000_000,
        classes::census(&registry).len(),
        clients::census(&registry).len()
    );
    let mut g = configured(c, "archive");
    g.bench_function("classes_100MB", |b| {
        b.iter_custom(|n| timed(n, || classes::census(black_box(&registry))))
    });
    g.bench_function("clients_100MB", |b| {
        b.iter_custom(|n| timed(n, || clients::census(black_box(&registry))))
    });
    g.finish();
}

criterion_group!(benches, diff_million, archive);
criterion_main!(benches);
