//! Writing a registry back out: `ioreg -a` plist, JSON, `ioreg -l` text, with `ioreg`-style selection.

pub(crate) use super::select::Selection;

use crate::registry::Registry;
use std::io::{self, Write};

/// Output formats of `ioscope dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    /// `ioreg -a` compatible XML property list (lossless).
    Plist,
    /// JSON for jq (schema in README).
    Json,
    /// `ioreg -l` style text.
    Text,
}

/// How a dump is written, beyond what it selects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// Text: control characters in names, keys and values shown escaped (`\x1b`, see
    /// [`crate::registry::escape`]). Off: the bytes exactly as held (`--raw`).
    pub escape: bool,
    /// Text: `ioreg -w WIDTH` clipping (`None` or 0: no clipping).
    pub width: Option<usize>,
    /// Text: `ioreg -x`, numbers and data in hexadecimal.
    pub hex: bool,
    /// Text: `ioreg -i`, the class chain in each header.
    pub inheritance: bool,
    /// JSON: typed views beside each data value that has them (`--decode`).
    pub decode: bool,
}

/// Why a dump cannot be written as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StyleError {
    #[error(
        "--all-planes cannot be written as a plist: an `ioreg -a` document holds one plane (use --format json or text, or -p PLANE)"
    )]
    PlistAllPlanes,
}

/// Writes the selected part of `registry` in `format`, byte-exact (no escaping, no clipping).
pub fn write(
    registry: &Registry,
    selection: &Selection,
    format: DumpFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_styled(registry, selection, format, &Style::default(), out)
}

/// Writes the selected part of `registry` in `format` and `style`.
pub fn write_styled(
    registry: &Registry,
    selection: &Selection,
    format: DumpFormat,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        DumpFormat::Plist if selection.all_planes => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            StyleError::PlistAllPlanes,
        )),
        DumpFormat::Plist => super::archive::write::write(registry, selection, out),
        DumpFormat::Json => super::json::write::write_with(registry, selection, style.decode, out),
        DumpFormat::Text => super::text::write::write_styled(registry, selection, style, out),
    }
}

/// `--normalize`: the registry as today's `ioreg -l` prints it, whatever wrote the dump it
/// was read from — no HTML escaping, LF line ends, numbers in decimal (also those a
/// `-x` dump gave in hex). Names, values and the tree are kept.
pub fn normalize(registry: &mut Registry) {
    use crate::registry::{IntRadix, Value};
    fn decimal(v: &mut Value) {
        match v {
            Value::Integer(i) => i.radix = IntRadix::Decimal,
            Value::Dict(kv) => kv.iter_mut().for_each(|(_, v)| decimal(v)),
            Value::Array(items) | Value::Set(items) => items.iter_mut().for_each(decimal),
            _ => {}
        }
    }
    if let Some(d) = registry.report.dialect.as_mut() {
        d.hex = false;
        d.html_escaped = false;
        d.crlf = false;
    }
    let ids: Vec<_> = registry.entries().map(|(id, _)| id).collect();
    for id in ids {
        registry
            .entry_mut(id)
            .properties
            .iter_mut()
            .for_each(|(_, v)| decimal(v));
    }
}
