//! A large `ioreg -a` XML archive (past the size from which it is read in chunks on several
//! threads, issue 22) loads from a file exactly as on one thread: the JSON dump is byte for
//! byte the same with `IOSCOPE_THREADS=1` and with several threads, and so is the error of
//! a truncated one. The chunked reader's own tests (`formats::archive::chunks::tests`) cut
//! every corpus archive at many places; this one goes through `load_file` (a memory-mapped
//! file released behind each chunk) and the command line.

use crate::common::{ioscope_bin, sorted_like_ioreg};
use ioscope::formats::{self, DumpFormat, Selection};

/// `ioscope ARGS` with `IOSCOPE_THREADS=threads`.
fn run_with_threads(threads: usize, args: &[&str]) -> std::process::Output {
    std::process::Command::new(ioscope_bin())
        .args(args)
        .env("IOSCOPE_THREADS", threads.to_string())
        .output()
        .unwrap()
}

#[test]
fn a_large_archive_reads_the_same_on_one_thread_and_on_several() {
    // About 11 MB: past the 8 MiB from which archives are read in chunks.
    let registry = ioscope::kernel::sim::generate::synthetic(4500, 11);
    let mut plain = Vec::new();
    formats::write(
        &registry,
        &Selection::default(),
        DumpFormat::Plist,
        &mut plain,
    )
    .unwrap();
    let sorted = sorted_like_ioreg(&plain);
    assert!(
        plain.len() > 9 << 20 && sorted.len() > 9 << 20,
        "{}",
        plain.len()
    );
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("plain.xml", &plain), ("sorted.xml", &sorted)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let path = path.to_str().unwrap();
        let one = run_with_threads(1, &["dump", path, "--format", "json"]);
        assert!(
            one.status.success(),
            "{}",
            String::from_utf8_lossy(&one.stderr)
        );
        for threads in [2, 3] {
            let many = run_with_threads(threads, &["dump", path, "--format", "json"]);
            assert!(many.status.success());
            assert!(
                one.stdout == many.stdout,
                "{name}: the JSON dump on {threads} threads differs from one thread's"
            );
        }
        // Cut short: the same one-line error, naming the same byte.
        let short = dir.path().join(format!("short-{name}"));
        std::fs::write(&short, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let short = short.to_str().unwrap();
        let one = run_with_threads(1, &["stats", short]);
        let many = run_with_threads(3, &["stats", short]);
        assert!(!one.status.success() && !many.status.success());
        assert_eq!(
            String::from_utf8_lossy(&one.stderr),
            String::from_utf8_lossy(&many.stderr)
        );
        assert!(String::from_utf8_lossy(&one.stderr).contains("byte "));
    }
}
