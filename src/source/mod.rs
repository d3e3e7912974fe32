//! Where registries come from: saved dumps ([`snapshot`]), or a kernel walked
//! through the IOKit seam ([`kernel`]) — the simulated Mac ([`sim`]) anywhere,
//! the real one ([`macos`]) on macOS.

pub mod kernel;
pub mod session;
pub mod sim;
pub mod snapshot;

#[cfg(target_os = "macos")]
pub mod macos;

use crate::registry::Registry;

/// The registry ioscope shows when no file is given: the live one on macOS, the demo elsewhere.
pub fn default_registry() -> anyhow::Result<Registry> {
    anyhow::bail!("no FILE given and the demo kernel is not built yet")
}
