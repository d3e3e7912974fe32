//! How many threads one reader may parse a large file with.
//!
//! The text and `ioreg -a` XML readers cut a large file into chunks that threads parse side
//! by side, then stitch the pieces into one model that is exactly the one-thread reader's
//! (issue 22). The number of threads is the machine's (`available_parallelism`), or
//! `IOSCOPE_THREADS=N` (1 reads on one thread: the benchmarks compare the two).

use std::sync::OnceLock;

/// At most this many reader threads, whatever the machine has.
const MAX_THREADS: usize = 64;

/// The number of threads a reader may use, at least 1.
pub(crate) fn read_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        let from_env = std::env::var("IOSCOPE_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0);
        from_env
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(1)
            .min(MAX_THREADS)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_least_one_thread_and_bounded() {
        let n = super::read_threads();
        assert!((1..=super::MAX_THREADS).contains(&n));
    }
}
