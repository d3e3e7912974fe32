//! [`IoObject`]: the one owner of an `io_object_t` reference inside the backend.

use crate::kernel::KernReturn;
use io_kit_sys::{IOObjectRelease, IOObjectRetain};
use mach2::port::mach_port_t;

/// One user reference on an IOKit object (iterator, service, notification). Dropping it calls
/// `IOObjectRelease`, so every path — errors and early returns included — gives it back.
#[derive(Debug)]
pub struct IoObject(mach_port_t);

impl IoObject {
    /// Takes over a reference a call just handed us (`IOIteratorNext`, an out-parameter).
    /// `None` for `MACH_PORT_NULL`, which owns nothing.
    pub fn from_owned(port: mach_port_t) -> Option<Self> {
        (port != 0).then_some(IoObject(port))
    }

    /// Adds a reference (`IOObjectRetain`) and owns it, leaving the caller's own reference alone.
    pub(crate) fn retained(port: mach_port_t) -> Result<Self, KernReturn> {
        // SAFETY: IOObjectRetain takes any name; a bad one only returns an error code.
        let kr = unsafe { IOObjectRetain(port) };
        KernReturn(kr as u32).ok().map(|()| IoObject(port))
    }

    pub fn port(&self) -> mach_port_t {
        self.0
    }
}

impl Drop for IoObject {
    fn drop(&mut self) {
        // SAFETY: we own exactly one reference on this name. Nothing useful can be done with a
        // failure here (the name is already gone), so the code is ignored.
        unsafe {
            IOObjectRelease(self.0);
        }
    }
}
