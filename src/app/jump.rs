//! `:` targets: what a user types or pastes — a registry entry ID (hex `0x…` or decimal), a
//! path as the kernel writes it (`IOService:/AppleACPIPlatformExpert/PCI0@0`, or `/…` in the
//! current plane), an alias, or a unique name. The rules (and their tests) live with the
//! paths, in [`Registry::resolve`].

use crate::registry::{EntryId, Registry};

/// Where to jump: the plane index and the entry.
pub(crate) fn resolve(
    registry: &Registry,
    current: usize,
    target: &str,
) -> Result<(usize, EntryId), super::Error> {
    Ok(registry.resolve(current, target)?)
}
