//! Loading off the UI thread: a dump is read, or a kernel walked, on a background
//! thread that reports progress, so the screen never freezes.
//!
//! A file is read in chunks that report the bytes read so far, then parsed; the
//! readers report nothing while parsing, so the screen shows the phase and the time.

use crate::formats;
use crate::kernel::session::{LiveSession, WalkProgress};
use crate::registry::Registry;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// Called on the loader thread when a load is done, so the UI takes the registry in and
/// draws at once instead of at its next tick (which would add up to a tick to every open).
pub(crate) type Waker = Arc<dyn Fn() + Send + Sync>;

/// What to load.
pub(crate) enum Job {
    File(PathBuf),
    Walk(Box<dyn LiveSession>),
}

/// What the loader reports.
pub(crate) enum LoadEvent {
    Progress(WalkProgress),
    /// Bytes of a file read so far, of `total`; `done == total` means parsing has begun.
    Read {
        done: u64,
        total: u64,
    },
    Done {
        /// Boxed: a registry is large, progress events are small and frequent.
        result: Result<Box<Registry>, super::Error>,
        /// The session, handed back after a walk.
        session: Option<Box<dyn LiveSession>>,
    },
}

/// Starts `job` on a new thread; events arrive on the returned receiver, and `waker` is
/// called once the last of them (`Done`) is sent.
pub(crate) fn spawn(job: Job, waker: Option<Waker>) -> Receiver<LoadEvent> {
    one_malloc_arena();
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("ioscope-load".into())
        .spawn(move || {
            run(job, &tx);
            if let Some(wake) = waker {
                wake();
            }
        })
        .expect("spawn loader thread");
    rx
}

/// Makes every thread allocate from glibc's main arena, unless dumps are read on several
/// threads.
///
/// The loader thread allocates the whole registry, then hands it to the UI thread. Left to
/// itself, glibc gives a new thread an arena of its own, made of 64 MB heaps grown a few
/// pages at a time with `mprotect`: a 142 MB text dump then took 330 ms to open instead of
/// 275 ms (`scripts/bench-tui open`). When one thread allocates much at a time, one arena
/// costs no contention.
///
/// A large dump is read by several threads at once (`formats::parallel`, issue 22). They
/// all allocate the model as fast as they can, and on one arena they wait for its lock in
/// turn: two threads then read slower than one, while with an arena each they read faster
/// despite the `mprotect` calls (which the readers batch, see `formats::text::read`).
/// Opening the 100,000-entry text dump (`bench-tui open`, 2 cores, criterion estimates of
/// two runs each): 243–258 ms on one thread, 256–409 ms on two threads with one arena,
/// 142–161 ms on two threads with an arena each. So the arenas are capped only when readers
/// use one thread (`IOSCOPE_THREADS=1` or a one-core machine).
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if crate::formats::parallel::read_threads() > 1 {
            return;
        }
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: `mallopt` only sets an allocator tunable; M_ARENA_MAX may be set at any
        // time and applies to arenas created afterwards.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        });
    }
}

/// Runs `job` here and now (tests, benchmarks).
pub(crate) fn run(job: Job, tx: &Sender<LoadEvent>) {
    let done = match job {
        Job::File(path) => LoadEvent::Done {
            result: formats::load_file_reporting(&path, &mut |done, total| {
                let _ = tx.send(LoadEvent::Read { done, total });
            })
            .map(Box::new)
            .map_err(super::Error::from),
            session: None,
        },
        Job::Walk(mut session) => {
            let mut report = |p: WalkProgress| {
                let _ = tx.send(LoadEvent::Progress(p));
            };
            let result = session
                .walk(&mut report)
                .map(Box::new)
                .map_err(super::Error::Walk);
            LoadEvent::Done {
                result,
                session: Some(session),
            }
        }
    };
    let _ = tx.send(done);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-entry text dump in a fresh directory (kept alive by the guard).
    fn small_dump() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.txt");
        std::fs::write(
            &path,
            "+-o Root  <class IORegistryEntry, id 0x100000100, retain 10>\n  +-o Child  <class IOService, id 0x100000200, retain 5>\n",
        )
        .unwrap();
        (dir, path)
    }

    #[test]
    fn a_file_reports_bytes_read_then_loads() {
        let (_dir, path) = small_dump();
        let size = std::fs::metadata(&path).unwrap().len();
        let (tx, rx) = channel();
        run(Job::File(path), &tx);
        let events: Vec<LoadEvent> = rx.try_iter().collect();
        let reads: Vec<(u64, u64)> = events
            .iter()
            .filter_map(|e| match e {
                LoadEvent::Read { done, total } => Some((*done, *total)),
                _ => None,
            })
            .collect();
        assert_eq!(reads.last(), Some(&(size, size)), "{reads:?}");
        match events.last() {
            Some(LoadEvent::Done { result: Ok(r), .. }) => assert_eq!(r.len(), 2),
            _ => panic!("the load did not finish with a registry"),
        }
    }

    #[test]
    fn the_waker_is_called_once_the_result_can_be_taken() {
        let (_dir, path) = small_dump();
        let (woken_tx, woken) = channel();
        let waker: Waker = Arc::new(move || {
            let _ = woken_tx.send(());
        });
        let rx = spawn(Job::File(path), Some(waker));
        woken
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the loader wakes the UI");
        assert!(
            rx.try_iter()
                .any(|e| matches!(e, LoadEvent::Done { result: Ok(_), .. })),
            "woken before the registry was sent"
        );
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let (tx, rx) = channel();
        run(Job::File("/nonexistent/ioscope.txt".into()), &tx);
        match rx.try_iter().last() {
            Some(LoadEvent::Done { result: Err(e), .. }) => {
                assert!(
                    e.to_string().starts_with("/nonexistent/ioscope.txt: "),
                    "{e}"
                )
            }
            _ => panic!("expected an error"),
        }
    }
}
