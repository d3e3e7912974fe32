//! `kern_return_t` / `mach_msg_return_t` / MIG / `IOReturn` codes and their decoding.

use std::fmt;

/// A Mach or IOKit return code, as its 32-bit pattern (`kIOReturnError` is 0xe00002bc).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KernReturn(pub u32);

impl KernReturn {
    pub const SUCCESS: KernReturn = KernReturn(0);
    pub const INVALID_VALUE: KernReturn = KernReturn(0x12);
    pub const INVALID_NAME: KernReturn = KernReturn(0xf);
    pub const INVALID_RIGHT: KernReturn = KernReturn(0x11);
    pub const INVALID_ARGUMENT: KernReturn = KernReturn(0x4);
    pub const MACH_SEND_INVALID_DEST: KernReturn = KernReturn(0x1000_0003);
    pub const IO_RETURN_NOT_FOUND: KernReturn = KernReturn(0xe000_02f0);
    pub const IO_RETURN_BAD_ARGUMENT: KernReturn = KernReturn(0xe000_02c2);
    pub const IO_RETURN_NO_DEVICE: KernReturn = KernReturn(0xe000_02c0);

    pub fn is_success(self) -> bool {
        self.0 == 0
    }

    /// `Ok(())` for success, else `Err(self)`.
    pub fn ok(self) -> Result<(), KernReturn> {
        if self.is_success() { Ok(()) } else { Err(self) }
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
