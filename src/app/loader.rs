//! Loading off the UI thread: a dump is read, or a kernel walked, on a background
//! thread that reports progress, so the screen never freezes.

use crate::registry::Registry;
use crate::source::session::{LiveSession, WalkProgress};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

/// What to load.
pub enum Job {
    File(PathBuf),
    Walk(Box<dyn LiveSession>),
}

/// What the loader reports.
pub enum LoadEvent {
    Progress(WalkProgress),
    Done {
        /// Boxed: a registry is large, progress events are small and frequent.
        result: Result<Box<Registry>, String>,
        /// The session, handed back after a walk.
        session: Option<Box<dyn LiveSession>>,
    },
}

/// Starts `job` on a new thread; events arrive on the returned receiver.
pub fn spawn(job: Job) -> Receiver<LoadEvent> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("ioscope-load".into())
        .spawn(move || run(job, &tx))
        .expect("spawn loader thread");
    rx
}

/// Runs `job` here and now (tests, benchmarks).
pub fn run(job: Job, tx: &Sender<LoadEvent>) {
    let done = match job {
        Job::File(path) => LoadEvent::Done {
            result: crate::source::snapshot::load_file(&path)
                .map(Box::new)
                .map_err(|e| e.to_string()),
            session: None,
        },
        Job::Walk(mut session) => {
            let mut report = |p: WalkProgress| {
                let _ = tx.send(LoadEvent::Progress(p));
            };
            let result = session.walk(&mut report).map(Box::new).map_err(|code| {
                format!(
                    "walking the registry failed: {}",
                    super::codes::describe(code)
                )
            });
            LoadEvent::Done {
                result,
                session: Some(session),
            }
        }
    };
    let _ = tx.send(done);
}
