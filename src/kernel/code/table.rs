//! The error-code table (`assets/error-codes.tsv`), embedded at build time so the crate builds
//! from a clone alone. One row per named value: codes, but also the layout's masks, system and
//! subsystem bases, and unassigned slots, each tagged with its [`RowKind`].

use std::sync::OnceLock;

/// The table exactly as shipped: `hex_value  name  meaning  source_file`, tab-separated.
const TSV: &str = include_str!("../../../assets/error-codes.tsv");

/// What a row's value is: a return code, or a piece of the code layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A value a call returns (`KERN_*`, `MACH_SEND_*`, `MIG_*`, `kIOReturn*`).
    Code,
    /// A bit mask of the layout (`system_emask`, `MACH_MSG_MASK`, …).
    Mask,
    /// The base of a system (`err_mach_ipc`, `sys_iokit`, …).
    System,
    /// The base of a subsystem (`sub_iokit_usb`, `unix_err(0) base`, …).
    Subsystem,
    /// A `MACH_MSG_*` special bit ORed into receive errors.
    SpecialBit,
    /// A slot the header leaves commented out.
    Unassigned,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub value: u32,
    pub name: &'static str,
    pub meaning: &'static str,
    /// Where the value is defined (`xnu-…:osfmk/mach/message.h`).
    pub source: &'static str,
    pub kind: RowKind,
}

/// Every row of the embedded table, in file order.
pub fn rows() -> &'static [CodeRow] {
    static ROWS: OnceLock<Vec<CodeRow>> = OnceLock::new();
    ROWS.get_or_init(|| TSV.lines().skip(1).filter_map(parse_row).collect())
}

/// The rows whose value is exactly `value`, in file order.
pub(crate) fn rows_with_value(value: u32) -> impl Iterator<Item = &'static CodeRow> {
    rows().iter().filter(move |r| r.value == value)
}

/// The row called `name` (exact spelling).
pub(crate) fn row_named(name: &str) -> Option<&'static CodeRow> {
    rows().iter().find(|r| r.name == name)
}

/// A malformed line is skipped (a unit test proves none is).
fn parse_row(line: &'static str) -> Option<CodeRow> {
    let mut fields = line.split('\t');
    let hex = fields.next()?;
    let name = fields.next()?;
    let meaning = fields.next()?;
    let source = fields.next().unwrap_or("");
    let value = u32::from_str_radix(hex.strip_prefix("0x")?, 16).ok()?;
    Some(CodeRow {
        value,
        name,
        meaning,
        source,
        kind: kind_of(name, value),
    })
}

/// Classifies a row by its name, the only thing the table says about it.
fn kind_of(name: &str, value: u32) -> RowKind {
    const MSG_SPECIAL_BITS: u32 = 0x3e00;
    if name.ends_with("_emask") || name == "MACH_MSG_MASK" {
        RowKind::Mask
    } else if name.starts_with("(unassigned") {
        RowKind::Unassigned
    } else if name.starts_with("err_") || name.starts_with("sys_") || name.starts_with("(libkern") {
        RowKind::System
    } else if name.starts_with("sub_") || name.starts_with("unix_err") {
        RowKind::Subsystem
    } else if name.starts_with("MACH_MSG_") && value != 0 && value & !MSG_SPECIAL_BITS == 0 {
        RowKind::SpecialBit
    } else {
        RowKind::Code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_table_parses() {
        let lines = TSV.lines().skip(1).filter(|l| !l.is_empty()).count();
        assert_eq!(rows().len(), lines);
        assert_eq!(rows().len(), 225, "the reference table has 225 rows");
    }

    #[test]
    fn kinds_follow_the_names() {
        let kind = |n: &str| row_named(n).map(|r| r.kind);
        assert_eq!(kind("KERN_SUCCESS"), Some(RowKind::Code));
        assert_eq!(kind("MACH_SEND_INVALID_DEST"), Some(RowKind::Code));
        assert_eq!(kind("MIG_TYPE_ERROR"), Some(RowKind::Code));
        assert_eq!(kind("system_emask"), Some(RowKind::Mask));
        assert_eq!(kind("MACH_MSG_MASK"), Some(RowKind::Mask));
        assert_eq!(kind("err_mach_ipc"), Some(RowKind::System));
        assert_eq!(kind("sys_iokit"), Some(RowKind::System));
        assert_eq!(kind("sub_iokit_usb"), Some(RowKind::Subsystem));
        assert_eq!(kind("MACH_MSG_IPC_SPACE"), Some(RowKind::SpecialBit));
        assert_eq!(kind("MACH_MSG_SUCCESS"), Some(RowKind::Code));
    }

    #[test]
    fn zero_has_three_code_names() {
        let names: Vec<_> = rows_with_value(0)
            .filter(|r| r.kind == RowKind::Code)
            .map(|r| r.name)
            .collect();
        assert_eq!(
            names,
            ["KERN_SUCCESS", "MACH_MSG_SUCCESS", "kIOReturnSuccess"]
        );
    }
}
