//! How the explorer words a return code. The full decoder lives with the kernel seam
//! (`KernReturn`); this is the one place the UI asks it, so switching decoders touches
//! one function.

use crate::source::kernel::KernReturn;

/// A few names the explorer itself produces, until the full table is merged.
const KNOWN: &[(u32, &str, &str)] = &[
    (0x0, "KERN_SUCCESS", "success"),
    (0x4, "KERN_INVALID_ARGUMENT", "an argument was not valid"),
    (0xf, "KERN_INVALID_NAME", "the name does not denote a right"),
    (
        0x11,
        "KERN_INVALID_RIGHT",
        "the name denotes a right, but not an appropriate one",
    ),
    (
        0x10000003,
        "MACH_SEND_INVALID_DEST",
        "the name no longer denotes a send right",
    ),
    (0xe00002c0, "kIOReturnNoDevice", "no such device"),
    (0xe00002c2, "kIOReturnBadArgument", "invalid argument"),
    (0xe00002f0, "kIOReturnNotFound", "data was not found"),
];

/// `0x10000003 MACH_SEND_INVALID_DEST — the name no longer denotes a send right`.
pub fn describe(code: KernReturn) -> String {
    match KNOWN.iter().find(|(v, _, _)| *v == code.0) {
        Some((_, name, meaning)) => format!("{code} {name} — {meaning}"),
        None => {
            let (sys, sub, c) = split(code.0);
            format!("{code} (system {sys:#x}, subsystem {sub:#x}, code {c:#x})")
        }
    }
}

/// The `err_system` / `err_sub` / `err_code` split of mach/error.h.
pub fn split(code: u32) -> (u32, u32, u32) {
    (code >> 26, (code >> 14) & 0xfff, code & 0x3fff)
}

/// Reads a code as the user types it: `0x10000003`, `268435459` or `-536870212`.
pub fn parse(text: &str) -> Option<KernReturn> {
    let t = text.trim();
    let value = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if let Some(neg) = t.strip_prefix('-') {
        let n: i64 = neg.parse().ok()?;
        if n > i64::from(i32::MAX) + 1 {
            return None;
        }
        (-n) as i32 as u32
    } else {
        t.parse::<u32>().ok()?
    };
    Some(KernReturn(value))
}

/// Every line the `e` popup shows for a code.
pub fn explain_lines(code: KernReturn) -> Vec<String> {
    let (sys, sub, c) = split(code.0);
    vec![
        describe(code),
        format!("system {sys:#x}  subsystem {sub:#x}  code {c:#x} ({c})"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(parse("0x10000003"), Some(KernReturn(0x10000003)));
        assert_eq!(parse("268435459"), Some(KernReturn(0x10000003)));
        assert_eq!(parse("-536870212"), Some(KernReturn(0xe00002bc)));
        assert_eq!(parse("nope"), None);
        assert!(describe(KernReturn(0x10000003)).contains("MACH_SEND_INVALID_DEST"));
        assert_eq!(split(0xe00002c2), (0x38, 0, 0x2c2));
    }
}
