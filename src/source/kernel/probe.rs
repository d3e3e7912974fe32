//! What we know about one handle (a send right we hold on a registry entry).

use super::{KernReturn, Port};

/// Whether a handle still names the kernel object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleState {
    /// A live send right.
    Valid,
    /// The object's port was destroyed (service terminated): our name is a dead name.
    DeadName,
    /// We released the name to zero urefs: it no longer exists in our space.
    Released,
}

impl HandleState {
    /// Stale handles make IOKit calls fail with `MACH_SEND_INVALID_DEST`.
    pub fn is_stale(self) -> bool {
        !matches!(self, HandleState::Valid)
    }

    pub fn label(self) -> &'static str {
        match self {
            HandleState::Valid => "valid",
            HandleState::DeadName => "dead name",
            HandleState::Released => "stale (released)",
        }
    }
}

/// One probe of a handle: both counts side by side, the port's state, the last error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleProbe {
    pub port: Port,
    /// `mach_port_get_refs(…, MACH_PORT_RIGHT_SEND)`.
    pub send_refs: Result<u32, KernReturn>,
    /// `mach_port_get_refs(…, MACH_PORT_RIGHT_DEAD_NAME)`.
    pub dead_refs: Result<u32, KernReturn>,
    /// `mach_port_type`.
    pub port_type: Result<u32, KernReturn>,
    /// `IOObjectGetKernelRetainCount` (0 when the call fails).
    pub kernel_retain: u32,
    pub state: HandleState,
    /// The last failing call on this handle and its code.
    pub last_error: Option<(String, KernReturn)>,
}
