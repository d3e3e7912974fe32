//! The real IOKit behind the seam (macOS only). Raw calls, no logic: the walker, handle table,
//! probe and CF conversion rules are the neutral code the simulated kernel already exercises.
//!
//! - [`MacIoKit`] implements [`IoKit`](crate::source::kernel::IoKit) with io-kit-sys, mach2 and
//!   core-foundation, plus the few declarations they lack (`ffi`).
//! - `object::IoObject` owns each `io_object_t` the backend keeps for itself.
//! - Properties are read with a time limit (`properties`); changes arrive from a notification
//!   thread with its own run loop (`watch`).

mod cf;
mod ffi;
mod iokit;
mod object;
mod properties;
mod watch;

pub use iokit::MacIoKit;
pub use object::IoObject;
pub use properties::PROPERTY_TIMEOUT;

use crate::registry::{EntryId, Registry};
use crate::source::kernel::{HandleProbe, KernReturn};
use crate::source::session::{LabOp, LiveSession, WalkProgress};

/// The live session the app holds on macOS.
pub fn session() -> Box<dyn LiveSession> {
    Box::new(UnwiredSession)
}

/// Stands in until the neutral kernel session (`KernelSession<K: IoKit>`, written over the
/// seam) is merged: then `session()` builds it over [`MacIoKit`]. Every walk fails with
/// `kIOReturnUnsupported`, so the app shows an error instead of an empty registry.
struct UnwiredSession;

impl LiveSession for UnwiredSession {
    fn label(&self) -> &'static str {
        "live"
    }

    fn walk(&mut self, _progress: &mut dyn FnMut(WalkProgress)) -> Result<Registry, KernReturn> {
        Err(KernReturn(0xe000_02c7))
    }

    fn probe(&mut self, _entry: EntryId) -> Option<HandleProbe> {
        None
    }

    fn probe_all(&mut self) -> Vec<(EntryId, HandleProbe)> {
        Vec::new()
    }

    fn lab(&mut self, _entry: EntryId, _op: LabOp) -> Option<HandleProbe> {
        None
    }
}
