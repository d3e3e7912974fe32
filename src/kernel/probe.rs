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
    /// We released the name, and its slot has since been reused so often that the
    /// generation rolled over (rules §2: 16 to 64 reuses): the same name now denotes
    /// another object. Our handle is as stale as a released one.
    Reused,
}

impl HandleState {
    /// Stale handles make IOKit calls fail with `MACH_SEND_INVALID_DEST`.
    pub fn is_stale(self) -> bool {
        !matches!(self, HandleState::Valid)
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            HandleState::Valid => "valid",
            HandleState::DeadName => "dead name",
            HandleState::Released => "stale (released)",
            HandleState::Reused => "stale (name reused by another object)",
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
    /// `IOObjectGetKernelRetainCount`; `None` when the call failed. It returns 0 on any
    /// error, and a live object always counts our port and the call in progress, so 0
    /// can only mean failure (a stale handle): shown as "—", never as a count.
    pub kernel_retain: Option<u32>,
    pub state: HandleState,
    /// The last failing call on this handle and its code.
    pub last_error: Option<(String, KernReturn)>,
}

impl HandleState {
    /// The state `mach_port_type` implies: no name → released; a dead name → dead; a send
    /// right → valid (any other right under our old name is not our object: released).
    pub(crate) fn from_type(port_type: Result<u32, KernReturn>) -> Self {
        match port_type {
            Ok(t) if t & super::port_type::DEAD_NAME != 0 => HandleState::DeadName,
            Ok(t) if t & super::port_type::SEND != 0 => HandleState::Valid,
            _ => HandleState::Released,
        }
    }
}

/// Probes one handle: both counts, type, kernel count, and one MIG call
/// (`IORegistryEntryGetRegistryEntryID`) so a stale handle shows the code IOKit gives
/// it (`0x10000003`). A failing call is remembered as the handle's last error.
pub fn probe<K: super::IoKit + ?Sized>(
    kit: &K,
    handle: &mut super::handles::Handle,
) -> HandleProbe {
    use super::right;
    let port = handle.port;
    let send_refs = kit.mach_port_get_refs(port, right::SEND);
    let dead_refs = kit.mach_port_get_refs(port, right::DEAD_NAME);
    let port_type = kit.mach_port_type(port);
    let kernel_retain = Some(kit.object_get_kernel_retain_count(port)).filter(|&n| n != 0);
    let mut state = HandleState::from_type(port_type);
    // We own no reference on a name we released to zero, so a right under it now is
    // another one: the name's slot was reused until its generation rolled over.
    if handle.held == 0 && state == HandleState::Valid {
        state = HandleState::Reused;
    }
    if let Err(code) = kit.registry_entry_get_registry_entry_id(port) {
        handle.last_error = Some(("IORegistryEntryGetRegistryEntryID".into(), code));
    }
    let other = state == HandleState::Reused;
    HandleProbe {
        port,
        send_refs,
        dead_refs,
        port_type,
        kernel_retain: kernel_retain.filter(|_| !other),
        state,
        last_error: handle.last_error.clone(),
    }
}
