//! IORegistryExplorer `.ioreg` documents.
//!
//! A document is an NSKeyedArchiver binary plist whose root is a `RexDataStore`: the host
//! name, the plane names and an array of `RexRegistryEntry` objects, each with its name,
//! class chain, retain and busy counts, state flags, per-plane names, locations, parents and
//! children, and its properties as an embedded XML property list.
//!
//! Layers: `bplist` decodes binary plist objects one at a time, `keyed` resolves the
//! archive's `CF$UID` references and Foundation collections, and `rex` maps the Rex
//! objects onto the registry model. The embedded properties are read as the `ioreg -a`
//! reader reads its values (`archive::properties`).

mod keyed;
mod rex;

#[cfg(test)]
mod tests;

use super::{Limits, ReadError};
use crate::registry::Registry;

/// Reads an IORegistryExplorer document. Errors give the byte offset of the object at fault.
/// Everything decoded (the archive's objects and every embedded property list) is charged to
/// one `decoded-bytes` budget.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Registry, ReadError> {
    let budget = crate::registry::Budget::decoded(limits, bytes.len());
    let archive = keyed::Archive::open(bytes, limits, &budget)?;
    rex::build(&archive, limits)
}
