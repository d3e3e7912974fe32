//! `IORegistryEntryCreateCFProperties` with a time limit.
//!
//! Serialising properties runs driver code in the kernel, and some drivers hang there. The call
//! goes through the neutral [`TimedCalls`] (worker thread, limit, no pile-up of stuck workers;
//! tested on Linux); this file only makes the raw call and mirrors the answer. An entry whose
//! read overran gets `kIOReturnTimeout` (or `kIOReturnBusy` when too many reads are stuck) and
//! the walk goes on.

use super::cf::to_cf_value;
use super::object::IoObject;
use crate::kernel::KernReturn;
use crate::kernel::cf_value::CfValue;
use crate::kernel::timed::TimedCalls;
use core_foundation::base::{CFType, TCFType};
use core_foundation_sys::base::kCFAllocatorDefault;
use core_foundation_sys::dictionary::CFMutableDictionaryRef;
use io_kit_sys::IORegistryEntryCreateCFProperties;
use mach2::port::mach_port_t;
use std::time::Duration;

/// The default limit for one entry's properties.
pub(crate) const PROPERTY_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) type PropertyPairs = Vec<(CfValue, CfValue)>;

/// Reads properties through a worker thread with a timeout.
pub(crate) struct PropertyReader {
    calls: TimedCalls,
}

impl PropertyReader {
    pub(crate) fn new(timeout: Duration) -> Self {
        PropertyReader {
            calls: TimedCalls::new(timeout),
        }
    }

    /// The entry's properties as CF mirrors, or the call's error, or `kIOReturnTimeout`.
    pub(crate) fn read(&self, entry: mach_port_t) -> Result<PropertyPairs, KernReturn> {
        // The worker gets its own reference, so the name stays valid whatever the caller does
        // while the call runs (or hangs). A name we cannot retain is released: the call fails
        // at once without reaching a driver, so it is made here (and gives what IOKit gives).
        let Ok(object) = IoObject::retained(entry) else {
            return read_now(entry);
        };
        self.calls
            .call(u64::from(entry), move || read_now(object.port()))
            .and_then(|result| result)
    }
}

/// The raw call on this thread; the dictionary is released on every path.
fn read_now(entry: mach_port_t) -> Result<PropertyPairs, KernReturn> {
    let mut dict: CFMutableDictionaryRef = std::ptr::null_mut();
    // SAFETY: out-pointer to a local; on success we own the returned dictionary.
    let kr = unsafe { IORegistryEntryCreateCFProperties(entry, &mut dict, kCFAllocatorDefault, 0) };
    // SAFETY: a non-NULL result is a dictionary we own under the create rule; the wrapper
    // releases it on every path below (also if the call reported an error).
    let owned = (!dict.is_null()).then(|| unsafe { CFType::wrap_under_create_rule(dict.cast()) });
    KernReturn(kr as u32).ok()?;
    let Some(owned) = owned else {
        return Ok(Vec::new());
    };
    // SAFETY: `owned` keeps the dictionary alive for the whole mirroring.
    match unsafe { to_cf_value(owned.as_CFTypeRef()) } {
        CfValue::Dictionary(pairs) => Ok(pairs),
        _ => Err(KernReturn::IO_RETURN_INTERNAL_ERROR),
    }
}
