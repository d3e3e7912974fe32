//! The face a live or simulated kernel shows the app: a walked registry plus the
//! handles we hold on its entries.
//!
//! The app never talks to the IOKit seam directly; it holds a `Box<dyn LiveSession>`.
//! Dumps have no session (and so no handles).

use crate::kernel::ports::PortSpaces;
use crate::kernel::{HandleProbe, KernReturn};
use crate::registry::{EntryId, Registry};
use std::sync::Arc;

/// A handle-lab operation on the selected entry's handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabOp {
    /// `IOObjectRetain`: send-right urefs +1, kernel count unchanged.
    Retain,
    /// `IOObjectRelease`: urefs −1; at zero the name is freed and the handle is stale.
    Release,
    /// Obtain the entry again (lookup by registry ID): same name, urefs +1.
    Obtain,
}

/// What a handle-lab operation did: the call the user asked for with its own return code,
/// and the probe taken right after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabOutcome {
    /// The call made (`IOObjectRetain`, `IOObjectRelease`, `IOServiceGetMatchingService`, …).
    pub call: &'static str,
    /// That call's own return code (a release to zero is `KERN_SUCCESS`, whatever the
    /// re-probe that follows says about the name).
    pub code: KernReturn,
    pub probe: HandleProbe,
}

/// A change seen in the kernel since the last poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A service was published (first-publish notification); registry IDs when known.
    Published { registry_id: Option<u64> },
    /// A service was terminated.
    Terminated { registry_id: Option<u64> },
}

/// Progress of a walk, for the UI's progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalkProgress {
    pub plane: usize,
    pub planes: usize,
    pub entries: usize,
}

/// Which kernel a session talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// The running Mac's kernel (IOKit).
    Live,
    /// The simulated Mac.
    Demo,
}

impl SessionKind {
    /// `"live"` or `"demo"`, shown in the status bar and written in recordings.
    pub(crate) fn label(self) -> &'static str {
        match self {
            SessionKind::Live => "live",
            SessionKind::Demo => "demo",
        }
    }
}

/// A kernel we can walk and hold handles in. Implemented over any [`IoKit`](crate::kernel::IoKit).
pub trait LiveSession: Send {
    /// The live kernel or the simulated one.
    fn kind(&self) -> SessionKind;

    /// `"live"` or `"demo"`, shown in the status bar.
    fn label(&self) -> &'static str {
        self.kind().label()
    }

    /// Walks every plane and (re)builds the registry and the handle table. Handles of entries
    /// that still exist are kept (same port names); those of vanished entries are released.
    fn walk(&mut self, progress: &mut dyn FnMut(WalkProgress)) -> Result<Registry, KernReturn>;

    /// Probes the handle held for `entry` (refs, type, kernel count, state, last error).
    fn probe(&mut self, entry: EntryId) -> Option<HandleProbe>;

    /// Probes every held handle (the handle table), in entry order.
    fn probe_all(&mut self) -> Vec<(EntryId, HandleProbe)>;

    /// Runs a handle-lab operation on `entry`'s handle and probes it again. `None` when no
    /// handle is held for `entry`.
    fn lab(&mut self, entry: EntryId, op: LabOp) -> Option<LabOutcome>;

    /// The demo's controls (hot-plug, the leaking app) when this session runs on the
    /// simulated Mac; `None` for any other kernel.
    fn demo(&mut self) -> Option<&mut dyn DemoControls> {
        None
    }

    /// Changes since the last poll (publish/terminate notifications).
    fn poll_changes(&mut self) -> Vec<Change> {
        Vec::new()
    }

    /// The other processes' port spaces of this kernel (the explorer's ports view, `P`),
    /// when it can read them. Shared: the census samples them while a walk runs.
    fn port_spaces(&self) -> Option<Arc<dyn PortSpaces>> {
        None
    }
}

/// Operations only the simulated Mac (the demo) offers: plugging devices in and out and the
/// leaking app. Reached through [`LiveSession::demo`]; a real kernel has none of them.
pub trait DemoControls {
    /// Unplugs the device at or above `entry`, or replugs it if it was unplugged. Returns a
    /// one-line description.
    fn toggle_plug(&mut self, entry: EntryId) -> Result<String, DemoError>;

    /// `--demo-hotplug`: unplugs or replugs the demo's fixed USB device (call it on a timer).
    fn demo_hotplug(&mut self) -> Result<String, DemoError>;

    /// `--demo-leak`: one step of the demo's leaking app (call it on a timer).
    fn demo_leak(&mut self) -> Result<String, DemoError>;
}

/// Why a demo operation did not run (the text is the status line's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoError {
    #[error("unplugging needs the demo kernel")]
    UnplugNeedsDemo,
    #[error("hotplug needs the demo kernel")]
    HotplugNeedsDemo,
    #[error("the leaking app runs only in the demo")]
    LeakNeedsDemo,
    #[error("no USB device at or above the selection")]
    NoDeviceAbove,
    #[error("the device has no registry ID")]
    NoRegistryId,
    #[error("{0:#x} is not a device that can be unplugged")]
    NotUnpluggable(u64),
    #[error("{name} was already replugged as id {id:#x}")]
    AlreadyReplugged { name: &'static str, id: u64 },
    #[error("the demo has no hotplug device")]
    NoHotplugDevice,
    #[error("the demo has no IOHIDSystem")]
    NoLeakyService,
    #[error("the leaking app has no task")]
    NoLeakerTask,
}

/// The session ioscope opens when no file is given: the live kernel on macOS.
#[cfg(target_os = "macos")]
pub fn default_session() -> Box<dyn LiveSession> {
    crate::kernel::macos::session()
}

/// The session ioscope opens when no file is given: the simulated Mac (the demo) off macOS.
#[cfg(not(target_os = "macos"))]
pub fn default_session() -> Box<dyn LiveSession> {
    Box::new(crate::kernel::sim::demo_session())
}

/// The registry ioscope shows when no file is given (`stats`, `dump`): one walk of
/// [`default_session`]; the handles are released when the session is dropped.
pub fn default_registry() -> Result<Registry, WalkError> {
    // On macOS: the live session without notifications (nothing would read them).
    #[cfg(target_os = "macos")]
    let mut session = crate::kernel::macos::walk_session();
    #[cfg(not(target_os = "macos"))]
    let mut session = default_session();
    session.walk(&mut |_| {}).map_err(|code| WalkError {
        label: session.label(),
        code,
    })
}

/// A walk of the live or demo registry failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("walking the {label} registry failed: {code}")]
pub struct WalkError {
    /// `"live"` or `"demo"`.
    pub label: &'static str,
    pub code: crate::kernel::KernReturn,
}
