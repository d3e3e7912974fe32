//! Writes a generated registry as dump files, for benchmarks and manual testing.
//!
//! ```sh
//! # ~100 MB `ioreg -a -l` XML archive plus the `ioreg -l` text of the same registry
//! cargo run --release --example gen -- --mb 100 --plist big.xml --text big.txt
//! # an exact number of entries, another seed, JSON too
//! cargo run --release --example gen -- --entries 1000000 --seed 3 --text million.txt --json million.json
//! ```
//!
//! With `--mb`, the number of entries is estimated from a 2,000-entry sample written in the
//! first requested format, so the first file lands near the size asked for. One line goes to
//! stderr per file: path, entries, bytes.

use clap::Parser;
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::kernel::sim::generate::synthetic;
use ioscope::registry::Registry;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(about = "Write a synthetic I/O Registry as ioreg dumps")]
struct Args {
    /// Number of entries (e.g. `--entries 100000`).
    #[arg(long, conflicts_with = "mb")]
    entries: Option<usize>,
    /// Aim for about this many megabytes (10^6 bytes) in the first output file (e.g. `--mb 100`).
    #[arg(long)]
    mb: Option<f64>,
    /// Seed of the generator: the same seed and size give the same registry.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write an `ioreg -a -l` XML archive here.
    #[arg(long)]
    plist: Option<PathBuf>,
    /// Write `ioreg -l` text here.
    #[arg(long)]
    text: Option<PathBuf>,
    /// Write ioscope JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let outputs: Vec<(DumpFormat, &Path)> = [
        (DumpFormat::Plist, args.plist.as_deref()),
        (DumpFormat::Text, args.text.as_deref()),
        (DumpFormat::Json, args.json.as_deref()),
    ]
    .into_iter()
    .filter_map(|(f, p)| p.map(|p| (f, p)))
    .collect();
    let Some(&(first, _)) = outputs.first() else {
        anyhow::bail!("nothing to write: give --plist, --text and/or --json");
    };
    let entries = match (args.entries, args.mb) {
        (Some(n), _) => n,
        (None, Some(mb)) => entries_for_size(mb * 1e6, first, args.seed)?,
        (None, None) => 100_000,
    };
    let registry = synthetic(entries, args.seed);
    for (format, path) in outputs {
        let bytes = write_file(&registry, format, path)?;
        eprintln!("{}: {entries} entries, {bytes} bytes", path.display());
    }
    Ok(())
}

/// Entries needed for `bytes` of `format`, from the size of a sample.
fn entries_for_size(bytes: f64, format: DumpFormat, seed: u64) -> io::Result<usize> {
    const SAMPLE: usize = 2_000;
    let mut counter = Counter(0);
    formats::write(
        &synthetic(SAMPLE, seed),
        &Selection::default(),
        format,
        &mut counter,
    )?;
    let per_entry = counter.0 as f64 / SAMPLE as f64;
    Ok(((bytes / per_entry) as usize).max(1))
}

fn write_file(registry: &Registry, format: DumpFormat, path: &Path) -> io::Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    formats::write(registry, &Selection::default(), format, &mut out)?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// A sink that only counts bytes.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
