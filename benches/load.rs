//! Load benchmarks: `formats::read_bytes` on generated dumps and on every shared-corpus file.
//!
//! ```sh
//! cargo bench --bench load                 # everything (about two minutes)
//! cargo bench --bench load -- generated    # only the generated dumps
//! ```
//!
//! Generated dumps are `ioreg -a -l` XML archives and `ioreg -l` text of
//! `kernel::sim::generate::synthetic(n, 1)`, written in memory by `formats::write`. The corpus group
//! runs when `../shared/corpus` exists beside the crate and is skipped otherwise. Samples are
//! few and short so that a run stays modest on a shared machine; `scripts/bench-load` measures
//! the ~100 MB case end to end.

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::formats::{Limits, read_bytes};
use ioscope::kernel::sim::generate::synthetic;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

const SIZES: &[usize] = &[1_000, 10_000, 50_000];

fn configured<'a>(c: &'a mut Criterion, group: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g
}

fn generated(c: &mut Criterion) {
    let mut g = configured(c, "generated");
    for &n in SIZES {
        let registry = synthetic(n, 1);
        for (label, format) in [("xml", DumpFormat::Plist), ("text", DumpFormat::Text)] {
            let mut bytes = Vec::new();
            if let Err(e) = formats::write(&registry, &Selection::default(), format, &mut bytes) {
                eprintln!("skipping {label} {n}: writer failed: {e}");
                continue;
            }
            g.throughput(Throughput::Bytes(bytes.len() as u64));
            g.bench_with_input(BenchmarkId::new(label, n), &bytes, |b, bytes| {
                b.iter(|| read_bytes(black_box(bytes), &Limits::default()))
            });
        }
    }
    g.finish();
}

fn corpus(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(listing) = std::fs::read_dir(&dir) else {
        eprintln!("{} absent: corpus benchmarks skipped", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    let mut g = configured(c, "corpus");
    g.measurement_time(Duration::from_secs(1));
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |b, bytes| {
            b.iter(|| read_bytes(black_box(bytes), &Limits::default()))
        });
    }
    g.finish();
}

criterion_group!(benches, generated, corpus);
criterion_main!(benches);
