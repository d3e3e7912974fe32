//! The clock the timed parts of the benchmarks read: wall time, or with `BENCH_CLOCK=cpu`
//! (or `TUI_BENCH_CLOCK=cpu`, the older name) the CPU time of the whole process, which on a
//! machine shared with other work stays close to what the same code takes on an idle one.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// Whether the timed parts read the process CPU clock (`TUI_BENCH_CLOCK=cpu`) instead of wall time.
pub static CPU_CLOCK: LazyLock<bool> = LazyLock::new(|| {
    ["BENCH_CLOCK", "TUI_BENCH_CLOCK"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| v == "cpu"))
});

/// A point on the clock the timed parts read.
#[derive(Clone, Copy)]
pub enum Stamp {
    Wall(Instant),
    Cpu(Duration),
}

impl Stamp {
    pub fn now() -> Stamp {
        if *CPU_CLOCK {
            Stamp::Cpu(process_cpu_time())
        } else {
            Stamp::Wall(Instant::now())
        }
    }

    pub fn elapsed(self) -> Duration {
        match self {
            Stamp::Wall(t) => t.elapsed(),
            Stamp::Cpu(t) => process_cpu_time().saturating_sub(t),
        }
    }
}

/// CPU time used so far by every thread of this process (finished threads included).
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant libc defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
