//! Writing a registry back out: `ioreg -a` plist, JSON, `ioreg -l` text, with `ioreg`-style selection.

pub mod json;
pub mod plist;
pub mod select;
pub mod text;

pub use select::Selection;

use crate::registry::Registry;
use std::io::{self, Write};

/// Output formats of `ioscope dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DumpFormat {
    /// `ioreg -a` compatible XML property list (lossless).
    Plist,
    /// JSON for jq (schema in README).
    Json,
    /// `ioreg -l` style text.
    Text,
}

/// Writes the selected part of `registry` in `format`.
pub fn write(
    registry: &Registry,
    selection: &Selection,
    format: DumpFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        DumpFormat::Plist => plist::write(registry, selection, out),
        DumpFormat::Json => json::write(registry, selection, out),
        DumpFormat::Text => text::write(registry, selection, out),
    }
}
