//! Decoding one code: the `system | subsystem | code` split (osfmk/mach/error.h), every name the
//! table gives the value, and a sensible answer for values it does not know.

use super::KernReturn;
use super::table::{self, CodeRow, RowKind};
use std::fmt::{self, Write as _};

/// `MACH_MSG_MASK`: the special bits xnu ORs into `MACH_RCV_HEADER_ERROR` / `MACH_RCV_BODY_ERROR`.
const MSG_SPECIAL_MASK: u32 = 0x3e00;
const SYS_KERN: u32 = 0x00;
const SYS_MACH_IPC: u32 = 0x04;
const SYS_IOKIT: u32 = 0x38;
/// `unix_err(errno)` is `err_kern | err_sub(3) | errno`.
const SUB_UNIX: u32 = 3;

/// Everything ioscope knows about one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub code: KernReturn,
    /// Bits 31..26.
    pub system: u32,
    /// Bits 25..14.
    pub subsystem: u32,
    /// Bits 13..0.
    pub code_field: u32,
    /// Table rows whose value is exactly this code, return codes first.
    rows: Vec<&'static CodeRow>,
    /// For a Mach IPC error with special bits: the base code's rows and the bits' rows.
    flagged: Option<(Vec<&'static CodeRow>, Vec<&'static CodeRow>)>,
}

impl Explanation {
    pub(crate) fn of(code: KernReturn) -> Self {
        let v = code.0;
        let mut rows: Vec<_> = table::rows_with_value(v).collect();
        rows.sort_by_key(|r| r.kind != RowKind::Code);
        let has_code = rows.first().is_some_and(|r| r.kind == RowKind::Code);
        Explanation {
            code,
            system: (v >> 26) & 0x3f,
            subsystem: (v >> 14) & 0xfff,
            code_field: v & 0x3fff,
            flagged: if has_code { None } else { flagged(v) },
            rows,
        }
    }

    /// Every name the table gives this value: return codes first (0 is `KERN_SUCCESS`,
    /// `MACH_MSG_SUCCESS` and `kIOReturnSuccess`), then layout names (`err_kern`); a flagged
    /// receive error reads `MACH_RCV_HEADER_ERROR|MACH_MSG_IPC_SPACE`. Empty when unknown.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.code_rows().map(|r| r.name.to_string()).collect();
        if let Some((base, bits)) = &self.flagged {
            let bits: Vec<_> = bits.iter().map(|r| r.name).collect();
            for b in base {
                names.push(format!("{}|{}", b.name, bits.join("|")));
            }
        }
        names.extend(self.layout_rows().map(|r| r.name.to_string()));
        names
    }

    /// True when the table names the value (or its base code, for a flagged receive error).
    pub fn is_known(&self) -> bool {
        !self.rows.is_empty() || self.flagged.is_some()
    }

    /// One line saying what the code means.
    pub(crate) fn meaning(&self) -> String {
        if let Some(row) = self.rows.first() {
            return row.meaning.to_string();
        }
        if let Some((base, bits)) = &self.flagged {
            let bits: Vec<_> = bits.iter().map(|r| r.meaning).collect();
            return format!("{}; {}", base[0].meaning, bits.join("; "));
        }
        if let Some(errno) = self.unix_errno() {
            return format!("UNIX errno {errno}, wrapped by unix_err()");
        }
        if let Some(mig) = self.mig_like() {
            return format!("unknown code {mig} (MIG errors are -300…-309)");
        }
        let subsystem = self
            .subsystem_name()
            .map_or_else(|| format!("{:#x}", self.subsystem), str::to_string);
        let system = self
            .system_row()
            .map_or_else(|| format!("{:#x}", self.system), |r| r.name.to_string());
        format!(
            "unknown code {:#x} in subsystem {subsystem} of system {system}",
            self.code_field
        )
    }

    /// The system's table row (`err_mach_ipc`, `sys_iokit`, …), if the table names it.
    pub(crate) fn system_row(&self) -> Option<&'static CodeRow> {
        let base = self.system << 26;
        table::rows()
            .iter()
            .find(|r| r.kind == RowKind::System && r.value == base)
    }

    /// The subsystem's name: IOKit families from the table, Mach IPC's send/receive/peek
    /// groups from message.h, `unix_err` for wrapped errnos.
    pub(crate) fn subsystem_name(&self) -> Option<&'static str> {
        match (self.system, self.subsystem) {
            (SYS_IOKIT, _) => {
                let base = self.code.0 & !0x3fff;
                table::rows()
                    .iter()
                    .find(|r| r.kind == RowKind::Subsystem && r.value == base)
                    .map(|r| r.name)
            }
            (SYS_MACH_IPC, 0) => Some("send (MACH_SEND_*)"),
            (SYS_MACH_IPC, 1) => Some("receive (MACH_RCV_*)"),
            (SYS_MACH_IPC, 2) => Some("peek (MACH_PEEK_*)"),
            (SYS_KERN, SUB_UNIX) => Some("unix_err"),
            _ => None,
        }
    }

    /// The errno inside a `unix_err(errno)` code.
    pub(crate) fn unix_errno(&self) -> Option<u32> {
        (self.system == SYS_KERN && self.subsystem == SUB_UNIX && self.code_field != 0)
            .then_some(self.code_field)
    }

    /// The multi-line explanation `ioscope explain` prints.
    pub fn details(&self) -> String {
        let v = self.code.0;
        let mut s = format!("{v:#010x}  (unsigned {v}, signed {})\n", v as i32);
        let mut any = false;
        for row in self.code_rows() {
            any = true;
            let _ = writeln!(s, "  name:      {}  {}", row.name, row.meaning);
        }
        if let Some((base, bits)) = &self.flagged {
            any = true;
            for row in base.iter().chain(bits) {
                let _ = writeln!(s, "  part:      {}  {}", row.name, row.meaning);
            }
        }
        for row in self.layout_rows() {
            any = true;
            let _ = writeln!(s, "  value of:  {}  {}", row.name, row.meaning);
        }
        if !any {
            let _ = writeln!(s, "  name:      (not in the table) {}", self.meaning());
            if let Some(row) = self.suggestion() {
                let _ = writeln!(
                    s,
                    "  try:       {:#010x} {}  (an IOReturn carries sys_iokit|sub_iokit_common, 0xe0000000, above its code)",
                    row.value, row.name
                );
            }
        }
        let _ = writeln!(
            s,
            "  system:    {:#04x} {}",
            self.system,
            self.system_label()
        );
        let _ = writeln!(
            s,
            "  subsystem: {:#05x} {}",
            self.subsystem,
            self.subsystem_label()
        );
        let _ = writeln!(
            s,
            "  code:      {:#06x} ({})",
            self.code_field, self.code_field
        );
        for row in self.rows.iter().filter(|r| !r.source.is_empty()) {
            let _ = writeln!(s, "  source:    {} ({})", row.source, row.name);
        }
        s
    }

    /// For an unknown bare code field (`0x2c2`), the IOKit common code it is likely short for
    /// (`0xe00002c2 kIOReturnBadArgument`).
    pub(crate) fn suggestion(&self) -> Option<&'static CodeRow> {
        let v = self.code.0;
        if self.is_known() || v == 0 || v > 0x3fff {
            return None;
        }
        table::rows_with_value((SYS_IOKIT << 26) | v).find(|r| r.kind == RowKind::Code)
    }

    fn code_rows(&self) -> impl Iterator<Item = &'static CodeRow> + '_ {
        self.rows
            .iter()
            .copied()
            .filter(|r| r.kind == RowKind::Code)
    }

    fn layout_rows(&self) -> impl Iterator<Item = &'static CodeRow> + '_ {
        self.rows
            .iter()
            .copied()
            .filter(|r| r.kind != RowKind::Code)
    }

    fn system_label(&self) -> String {
        match self.system_row() {
            Some(r) => format!("{} ({})", r.name, r.meaning),
            None => "(unnamed system)".to_string(),
        }
    }

    fn subsystem_label(&self) -> &'static str {
        self.subsystem_name().unwrap_or("(unnamed subsystem)")
    }

    /// A small negative value outside the table, in the neighbourhood of the MIG codes.
    fn mig_like(&self) -> Option<i32> {
        let signed = self.code.0 as i32;
        (-399..=-300).contains(&signed).then_some(signed)
    }
}

/// `MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE` and the like: a Mach IPC code whose special
/// bits, masked off, leave a known code.
fn flagged(v: u32) -> Option<(Vec<&'static CodeRow>, Vec<&'static CodeRow>)> {
    if (v >> 26) & 0x3f != SYS_MACH_IPC || v & MSG_SPECIAL_MASK == 0 {
        return None;
    }
    let base: Vec<_> = table::rows_with_value(v & !MSG_SPECIAL_MASK)
        .filter(|r| r.kind == RowKind::Code)
        .collect();
    let bits: Vec<_> = table::rows()
        .iter()
        .filter(|r| r.kind == RowKind::SpecialBit && v & r.value == r.value)
        .collect();
    let covered = bits.iter().fold(0, |acc, r| acc | r.value);
    (!base.is_empty() && covered == v & MSG_SPECIAL_MASK).then_some((base, bits))
}

/// `0x10000003 MACH_SEND_INVALID_DEST — the name no longer denotes a send right`: the line the
/// explorer shows wherever a code appears.
impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<_> = self.code_rows().map(|r| r.name.to_string()).collect();
        let names = if !codes.is_empty() {
            codes
        } else if self.is_known() {
            self.names()
        } else {
            vec!["unknown".to_string()]
        };
        write!(
            f,
            "{:#010x} {} — {}",
            self.code.0,
            names.join(" / "),
            self.meaning()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explain(v: u32) -> Explanation {
        Explanation::of(KernReturn(v))
    }

    #[test]
    fn invalid_dest_has_its_name_split_and_line() {
        let e = explain(0x1000_0003);
        assert_eq!(e.names(), ["MACH_SEND_INVALID_DEST"]);
        assert_eq!((e.system, e.subsystem, e.code_field), (4, 0, 3));
        assert_eq!(e.system_row().map(|r| r.name), Some("err_mach_ipc"));
        let line = e.to_string();
        assert!(line.starts_with("0x10000003 MACH_SEND_INVALID_DEST — destination unusable"));
    }

    #[test]
    fn zero_has_every_success_name() {
        let e = explain(0);
        let names = e.names();
        assert_eq!(
            &names[..3],
            ["KERN_SUCCESS", "MACH_MSG_SUCCESS", "kIOReturnSuccess"]
        );
        assert!(names.contains(&"err_kern".to_string()));
        assert_eq!(
            e.to_string(),
            "0x00000000 KERN_SUCCESS / MACH_MSG_SUCCESS / kIOReturnSuccess — success"
        );
    }

    #[test]
    fn io_return_error_splits_into_iokit_common() {
        let e = explain(0xe000_02bc);
        assert_eq!(e.names(), ["kIOReturnError"]);
        assert_eq!((e.system, e.subsystem, e.code_field), (0x38, 0, 0x2bc));
        assert_eq!(e.subsystem_name(), Some("sub_iokit_common"));
    }

    #[test]
    fn unknown_iokit_code_names_its_family() {
        let e = explain(0xe000_4061);
        assert!(!e.is_known());
        assert!(e.names().is_empty());
        assert_eq!(e.subsystem_name(), Some("sub_iokit_usb"));
        assert!(e.meaning().contains("sub_iokit_usb"), "{}", e.meaning());
        assert!(e.meaning().contains("sys_iokit"), "{}", e.meaning());
        assert!(e.to_string().contains("unknown"));
    }

    #[test]
    fn unknown_kern_code_names_its_system() {
        let e = explain(0x39);
        assert!(!e.is_known());
        assert!(e.meaning().contains("err_kern"), "{}", e.meaning());
    }

    #[test]
    fn flagged_receive_error_names_base_and_bits() {
        let e = explain(0x1000_400b | 0x2000 | 0x0400);
        assert_eq!(
            e.names(),
            ["MACH_RCV_HEADER_ERROR|MACH_MSG_IPC_SPACE|MACH_MSG_VM_KERNEL"]
        );
        assert!(e.is_known());
    }

    #[test]
    fn wrapped_errno_is_recognised() {
        let e = explain(0xc000 | 2);
        assert_eq!(e.unix_errno(), Some(2));
        assert_eq!(e.subsystem_name(), Some("unix_err"));
    }

    #[test]
    fn mig_errors_are_named() {
        assert_eq!(explain(-300i32 as u32).names(), ["MIG_TYPE_ERROR"]);
        assert!(explain(-310i32 as u32).meaning().contains("-310"));
    }

    #[test]
    fn a_bare_iokit_code_field_suggests_the_full_code() {
        let e = explain(0x2c2);
        assert_eq!(e.suggestion().map(|r| r.name), Some("kIOReturnBadArgument"));
        assert!(
            e.details()
                .contains("try:       0xe00002c2 kIOReturnBadArgument")
        );
        assert!(explain(0xe000_02c2).suggestion().is_none());
        assert!(
            explain(0x3).suggestion().is_none(),
            "KERN_NO_SPACE is known"
        );
    }

    #[test]
    fn details_list_every_row_of_a_shared_value() {
        let d = explain(0xfc00_0000).details();
        assert!(
            d.contains("system_emask") && d.contains("err_ipc_compat"),
            "{d}"
        );
    }
}
