//! Calls that may hang, made on a worker thread with a time limit.
//!
//! Serialising an entry's properties (`IORegistryEntryCreateCFProperties`) runs driver code in
//! the kernel, and some drivers never answer (the reason IORegistryExplorer sometimes freezes).
//! [`TimedCalls::call`] runs such a call on a worker thread and waits at most the limit: past it
//! the caller gets `kIOReturnTimeout` and goes on (the walk records it on that entry).
//!
//! A thread blocked in a Mach call cannot be cancelled, so a worker that overran is abandoned
//! (the next call starts a fresh one) and exits by itself if its call ever returns. Two rules
//! keep abandoned workers from piling up across refreshes:
//! - a key (the entry) whose earlier call is still running is not tried again: `kIOReturnTimeout`
//!   at once;
//! - while `max_hung` calls are still running, nothing new is tried:
//!   `kIOReturnBusy` at once.
//!
//! Calls are serialised (one at a time, each with the whole limit). Neutral: the macOS backend
//! passes closures over the real call; the tests here pass closures that block.

use super::KernReturn;
use std::collections::HashSet;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Abandoned calls tolerated before new ones are refused (see the module notes).
pub(crate) const DEFAULT_MAX_HUNG: usize = 4;

type Job = Box<dyn FnOnce() + Send>;

/// Runs calls on a reusable worker thread with a time limit.
pub(crate) struct TimedCalls {
    worker: Mutex<Option<Sender<Job>>>,
    /// Keys whose call is running now, on the current worker or an abandoned one. Inserted by
    /// the caller before handing the job over, removed by the job itself before it answers.
    running: Arc<Mutex<HashSet<u64>>>,
    timeout: Duration,
    max_hung: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TimedCalls {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self::with_max_hung(timeout, DEFAULT_MAX_HUNG)
    }

    pub(crate) fn with_max_hung(timeout: Duration, max_hung: usize) -> Self {
        TimedCalls {
            worker: Mutex::new(None),
            running: Arc::new(Mutex::new(HashSet::new())),
            timeout,
            max_hung,
        }
    }

    /// Abandoned calls that have not returned yet.
    #[cfg(test)]
    pub(crate) fn hung(&self) -> usize {
        lock(&self.running).len()
    }

    /// Runs `f` on the worker and waits at most the limit. `key` names what the call is about
    /// (a port name): a key whose earlier call is still running is refused. If no thread can be
    /// started, `f` runs here, without a limit.
    pub(crate) fn call<R, F>(&self, key: u64, f: F) -> Result<R, KernReturn>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        let mut worker = lock(&self.worker);
        {
            let mut running = lock(&self.running);
            if running.contains(&key) {
                return Err(KernReturn::IO_RETURN_TIMEOUT);
            }
            if running.len() >= self.max_hung {
                return Err(KernReturn::IO_RETURN_BUSY);
            }
            running.insert(key);
        }
        let requests = match worker.take().or_else(spawn_worker) {
            Some(requests) => requests,
            None => {
                lock(&self.running).remove(&key);
                return Ok(f());
            }
        };
        let (reply, answer) = mpsc::channel();
        let running = Arc::clone(&self.running);
        let job: Job = Box::new(move || {
            let result = f();
            // Before answering, so a caller that got the answer never sees the key as running.
            lock(&running).remove(&key);
            // The caller may have given up (timeout): nothing to do then.
            let _ = reply.send(result);
        });
        if let Err(mpsc::SendError(job)) = requests.send(job) {
            // The worker is gone (it panicked in an earlier call): run it here instead.
            job();
            return answer
                .recv()
                .map_err(|_| KernReturn::IO_RETURN_INTERNAL_ERROR);
        }
        match answer.recv_timeout(self.timeout) {
            Ok(result) => {
                *worker = Some(requests);
                Ok(result)
            }
            // Dropping `requests` lets the abandoned worker exit once its call returns.
            Err(RecvTimeoutError::Timeout) => Err(KernReturn::IO_RETURN_TIMEOUT),
            Err(RecvTimeoutError::Disconnected) => {
                lock(&self.running).remove(&key);
                Err(KernReturn::IO_RETURN_INTERNAL_ERROR)
            }
        }
    }
}

fn spawn_worker() -> Option<Sender<Job>> {
    let (requests, incoming) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("ioscope-timed-call".into())
        .spawn(move || {
            for job in incoming {
                job();
            }
        })
        .ok()?;
    Some(requests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::Receiver;
    use std::thread::ThreadId;

    const LONG: Duration = Duration::from_secs(30);
    const SHORT: Duration = Duration::from_millis(50);

    /// A call that blocks until the test lets it go, and says when it started.
    fn blocking(started: Sender<()>, release: Receiver<()>) -> impl FnOnce() -> u32 + Send {
        move || {
            let _ = started.send(());
            let _ = release.recv();
            7
        }
    }

    fn wait_until(mut cond: impl FnMut() -> bool) {
        for _ in 0..2000 {
            if cond() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("condition never became true");
    }

    #[test]
    fn a_quick_call_answers_and_the_worker_is_reused() {
        let calls = TimedCalls::new(LONG);
        let here = std::thread::current().id();
        let ids: Vec<ThreadId> = (0..5)
            .map(|k| calls.call(k, || std::thread::current().id()))
            .collect::<Result<_, _>>()
            .expect("answers");
        assert!(ids.iter().all(|&id| id != here), "ran on a worker");
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "one worker for all");
        assert_eq!(calls.hung(), 0);
    }

    #[test]
    fn a_hung_call_times_out_and_the_next_key_gets_a_fresh_worker() {
        let calls = TimedCalls::new(SHORT);
        let (started, has_started) = mpsc::channel();
        let (release, released) = mpsc::channel();
        assert_eq!(
            calls.call(1, blocking(started, released)),
            Err(KernReturn::IO_RETURN_TIMEOUT)
        );
        has_started.recv().expect("the call ran");
        assert_eq!(calls.hung(), 1);
        // Another entry is read on a new worker while the first is stuck.
        assert_eq!(calls.call(2, || 5), Ok(5));
        // The stuck entry is not tried again while its call runs.
        let tried = Arc::new(AtomicUsize::new(0));
        let t = Arc::clone(&tried);
        let again = calls.call(1, move || t.fetch_add(1, Ordering::SeqCst));
        assert_eq!(again, Err(KernReturn::IO_RETURN_TIMEOUT));
        assert_eq!(tried.load(Ordering::SeqCst), 0, "not run");
        // Once the driver answers, the entry can be read again.
        release.send(()).expect("still waiting");
        wait_until(|| calls.hung() == 0);
        assert_eq!(calls.call(1, || 9), Ok(9));
    }

    #[test]
    fn too_many_hung_calls_refuse_new_ones_until_one_returns() {
        let calls = TimedCalls::with_max_hung(SHORT, 2);
        let mut releases = Vec::new();
        for key in 0..2 {
            let (started, has_started) = mpsc::channel();
            let (release, released) = mpsc::channel();
            assert_eq!(
                calls.call(key, blocking(started, released)),
                Err(KernReturn::IO_RETURN_TIMEOUT)
            );
            has_started.recv().expect("ran");
            releases.push(release);
        }
        assert_eq!(calls.hung(), 2);
        let tried = Arc::new(AtomicUsize::new(0));
        let t = Arc::clone(&tried);
        assert_eq!(
            calls.call(5, move || t.fetch_add(1, Ordering::SeqCst)),
            Err(KernReturn::IO_RETURN_BUSY)
        );
        assert_eq!(tried.load(Ordering::SeqCst), 0, "not run");
        releases.remove(0).send(()).expect("waiting");
        wait_until(|| calls.hung() == 1);
        assert_eq!(calls.call(5, || 1), Ok(1));
        releases.remove(0).send(()).expect("waiting");
        wait_until(|| calls.hung() == 0);
    }

    #[test]
    fn a_panicking_call_is_an_internal_error_and_the_next_call_works() {
        let calls = TimedCalls::new(LONG);
        let r: Result<u32, _> = calls.call(1, || panic!("driver bug"));
        assert_eq!(r, Err(KernReturn::IO_RETURN_INTERNAL_ERROR));
        assert_eq!(calls.hung(), 0, "the key is not left running");
        assert_eq!(calls.call(1, || 3), Ok(3));
    }
}
