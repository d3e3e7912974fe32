//! The real IOKit behind the seam (macOS only). Raw calls, no logic: the walker, handle table,
//! probe, session, CF conversion rules and the timed-call machinery are the neutral code in
//! `kernel`, exercised on Linux by the simulated kernel and unit tests.
//!
//! - [`MacIoKit`] implements [`IoKit`](crate::kernel::IoKit) with io-kit-sys, mach2 and
//!   core-foundation, plus the few declarations they lack (`ffi`).
//! - `object::IoObject` owns each `io_object_t` the backend keeps for itself.
//! - Properties are read with a time limit (`properties`, over `kernel::timed`); changes arrive
//!   from a notification thread with its own run loop (`watch`) over a channel.
//! - [`session`] is what the explorer opens on a Mac; [`walk_session`] is for one-shot walks.

mod cf;
mod ffi;
mod iokit;
mod object;
mod ports;
mod properties;
mod watch;

pub use iokit::MacIoKit;
pub use object::IoObject;
pub use ports::MacPortSpaces;

use crate::kernel::KernelSession;
use crate::kernel::session::LiveSession;
use crate::registry::Origin;
use std::sync::Arc;

/// The live session the explorer holds: the neutral [`KernelSession`] over [`MacIoKit`], with
/// publish/terminate notifications from the watch thread (if they cannot be armed, the session
/// still walks; changes then show on the next refresh only).
pub fn session() -> Box<dyn LiveSession> {
    let kit = Arc::new(MacIoKit::new());
    let ports = || -> Arc<dyn crate::kernel::ports::PortSpaces> { Arc::new(MacPortSpaces) };
    match KernelSession::new(Arc::clone(&kit), Origin::Live).with_watch() {
        Ok(watched) => Box::new(watched.with_port_spaces(ports())),
        Err(_) => Box::new(KernelSession::new(kit, Origin::Live).with_port_spaces(ports())),
    }
}

/// A live session without notifications, for one-shot walks (`ioscope dump`, `stats`).
pub fn walk_session() -> Box<dyn LiveSession> {
    Box::new(KernelSession::new(Arc::new(MacIoKit::new()), Origin::Live))
}
