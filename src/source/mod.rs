//! Where registries come from: saved dumps ([`snapshot`]), or a kernel walked
//! through the IOKit seam ([`kernel`]) — the simulated Mac ([`sim`]) anywhere,
//! the real one (`macos`) on macOS.

pub mod kernel;
pub mod session;
pub mod sim;
pub mod snapshot;

#[cfg(target_os = "macos")]
pub mod macos;

use crate::registry::Registry;

/// The session ioscope opens when no file is given: the live kernel on macOS.
#[cfg(target_os = "macos")]
pub fn default_session() -> Box<dyn session::LiveSession> {
    crate::source::macos::session()
}

/// The session ioscope opens when no file is given: the simulated Mac (the demo) off macOS.
#[cfg(not(target_os = "macos"))]
pub fn default_session() -> Box<dyn session::LiveSession> {
    Box::new(sim::demo_session())
}

/// The registry ioscope shows when no file is given (`stats`, `dump`): one walk of
/// [`default_session`]; the handles are released when the session is dropped.
pub fn default_registry() -> anyhow::Result<Registry> {
    // On macOS: the live session without notifications (nothing would read them).
    #[cfg(target_os = "macos")]
    let mut session = crate::source::macos::walk_session();
    #[cfg(not(target_os = "macos"))]
    let mut session = default_session();
    session
        .walk(&mut |_| {})
        .map_err(|code| anyhow::anyhow!("walking the {} registry failed: {code}", session.label()))
}
