//! `kern_return_t` / `mach_msg_return_t` / MIG / `IOReturn` codes and their decoding.
//!
//! All four share one 32-bit layout (`system(6) | subsystem(12) | code(14)`, osfmk/mach/error.h),
//! so one type and one table cover them; see [`Explanation`].

mod explain;
mod table;

pub(crate) use explain::Explanation;
pub use table::{RowKind, rows as code_table};

use std::fmt;
use std::str::FromStr;

/// A Mach or IOKit return code, as its 32-bit pattern (`kIOReturnError` is 0xe00002bc).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KernReturn(pub u32);

impl KernReturn {
    pub const SUCCESS: KernReturn = KernReturn(0);
    pub(crate) const INVALID_VALUE: KernReturn = KernReturn(0x12);
    pub const INVALID_NAME: KernReturn = KernReturn(0xf);
    pub(crate) const INVALID_RIGHT: KernReturn = KernReturn(0x11);
    pub(crate) const INVALID_ARGUMENT: KernReturn = KernReturn(0x4);
    pub const MACH_SEND_INVALID_DEST: KernReturn = KernReturn(0x1000_0003);
    pub(crate) const IO_RETURN_NOT_FOUND: KernReturn = KernReturn(0xe000_02f0);
    pub const IO_RETURN_BAD_ARGUMENT: KernReturn = KernReturn(0xe000_02c2);
    #[cfg(test)]
    pub(crate) const IO_RETURN_NO_DEVICE: KernReturn = KernReturn(0xe000_02c0);
    #[cfg(any(target_os = "macos", test))]
    pub(crate) const IO_RETURN_INTERNAL_ERROR: KernReturn = KernReturn(0xe000_02c9);
    #[cfg(any(target_os = "macos", test))]
    pub(crate) const IO_RETURN_BUSY: KernReturn = KernReturn(0xe000_02d5);
    #[cfg(any(target_os = "macos", test))]
    pub(crate) const IO_RETURN_TIMEOUT: KernReturn = KernReturn(0xe000_02d6);

    pub(crate) fn is_success(self) -> bool {
        self.0 == 0
    }

    #[cfg(target_os = "macos")]
    /// `Ok(())` for success, else `Err(self)`.
    pub(crate) fn ok(self) -> Result<(), KernReturn> {
        if self.is_success() { Ok(()) } else { Err(self) }
    }

    /// Reads a code as a user types it: hex (`0x10000003`, or `e00002bc` without `0x` when
    /// it has a hex letter), decimal (`268435459`), negative 32-bit (`-536870212`, how `c_int`
    /// IOReturns print), or a name from the table (`kIOReturnBadArgument`).
    pub fn parse(input: &str) -> Result<KernReturn, ParseCodeError> {
        let s = input.trim();
        let err = |reason: &'static str| ParseCodeError {
            input: input.to_string(),
            reason,
        };
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let magnitude = if let Some(hex) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            u64::from_str_radix(hex, 16).map_err(|_| err("bad hexadecimal digits"))?
        } else if digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse::<u64>().map_err(|_| err("too large"))?
        } else if !negative && let Some(row) = table::row_named(s) {
            return Ok(KernReturn(row.value));
        } else if !negative && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            // Letters make it hex (`e00002bc`, as `printf("%x")` and crash logs write codes).
            u64::from_str_radix(digits, 16).map_err(|_| err("too large"))?
        } else {
            return Err(err(
                "expected 0x… hex, decimal, negative 32-bit or a known name",
            ));
        };
        if negative {
            if magnitude > 1 << 31 {
                return Err(err("below -2147483648, the smallest 32-bit value"));
            }
            Ok(KernReturn((magnitude as i64).wrapping_neg() as i32 as u32))
        } else {
            u32::try_from(magnitude)
                .map(KernReturn)
                .map_err(|_| err("larger than 32 bits"))
        }
    }

    /// The name(s), meaning and `system | subsystem | code` split of this code.
    pub fn explain(self) -> Explanation {
        Explanation::of(self)
    }
}

/// A code that [`KernReturn::parse`] cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a return code: {reason}")]
pub struct ParseCodeError {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for KernReturn {
    type Err = ParseCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KernReturn::parse(s)
    }
}

impl fmt::Debug for KernReturn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KernReturn({:#x})", self.0)
    }
}

impl fmt::Display for KernReturn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_numeric_forms_to_the_same_pattern() {
        assert_eq!(KernReturn::parse("0x10000003"), Ok(KernReturn(0x1000_0003)));
        assert_eq!(KernReturn::parse("268435459"), Ok(KernReturn(0x1000_0003)));
        assert_eq!(KernReturn::parse("-536870212"), Ok(KernReturn(0xe000_02bc)));
        assert_eq!(
            KernReturn::parse(" 0XE00002BC "),
            Ok(KernReturn(0xe000_02bc))
        );
        assert_eq!(
            KernReturn::parse("-2147483648"),
            Ok(KernReturn(0x8000_0000))
        );
        assert_eq!(KernReturn::parse("4294967295"), Ok(KernReturn(u32::MAX)));
    }

    #[test]
    fn hex_without_0x_is_read_when_it_has_a_letter() {
        assert_eq!(KernReturn::parse("e00002bc"), Ok(KernReturn(0xe000_02bc)));
        assert_eq!(KernReturn::parse("E00002C2"), Ok(KernReturn(0xe000_02c2)));
        // Digits alone stay decimal.
        assert_eq!(KernReturn::parse("10"), Ok(KernReturn(10)));
    }

    #[test]
    fn parses_a_table_name() {
        assert_eq!(
            KernReturn::parse("MACH_SEND_INVALID_DEST"),
            Ok(KernReturn::MACH_SEND_INVALID_DEST)
        );
    }

    #[test]
    fn rejects_what_is_not_a_32_bit_code() {
        for bad in [
            "",
            "0x",
            "0xg1",
            "4294967296",
            "-2147483649",
            "0x100000000",
            "12ag",
            "1e00002bc",
            "-x",
        ] {
            let e = KernReturn::parse(bad).expect_err(bad);
            assert_eq!(e.input, bad);
        }
    }

    #[test]
    fn consts_decode_to_their_names() {
        let name = |k: KernReturn| k.explain().names().first().cloned();
        assert_eq!(
            name(KernReturn::INVALID_NAME).as_deref(),
            Some("KERN_INVALID_NAME")
        );
        assert_eq!(
            name(KernReturn::INVALID_RIGHT).as_deref(),
            Some("KERN_INVALID_RIGHT")
        );
        assert_eq!(
            name(KernReturn::IO_RETURN_NOT_FOUND).as_deref(),
            Some("kIOReturnNotFound")
        );
        assert_eq!(
            name(KernReturn::IO_RETURN_NO_DEVICE).as_deref(),
            Some("kIOReturnNoDevice")
        );
    }
}
