//! `IORegistryEntryCreateCFProperties` with a time limit.
//!
//! Serialising properties runs driver code in the kernel, and some drivers hang there (the
//! reason IORegistryExplorer sometimes freezes). The call is made on a worker thread; if it does
//! not answer in time the entry gets `kIOReturnTimeout` and the walk goes on. A stuck worker is
//! abandoned (a thread blocked in a Mach call cannot be cancelled) and the next read starts a
//! fresh one; the stuck one exits by itself if the call ever returns.

use super::cf::to_cf_value;
use super::object::IoObject;
use crate::source::kernel::KernReturn;
use crate::source::kernel::cf_value::CfValue;
use core_foundation::base::{CFType, TCFType};
use core_foundation_sys::base::kCFAllocatorDefault;
use core_foundation_sys::dictionary::CFMutableDictionaryRef;
use io_kit_sys::IORegistryEntryCreateCFProperties;
use mach2::port::mach_port_t;
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

/// The default limit for one entry's properties.
pub const PROPERTY_TIMEOUT: Duration = Duration::from_secs(5);

/// `kIOReturnTimeout`, reported on an entry whose properties did not come back in time.
const IO_RETURN_TIMEOUT: KernReturn = KernReturn(0xe000_02d6);
/// `kIOReturnInternalError`, for a worker that vanished or a non-dictionary answer.
const IO_RETURN_INTERNAL_ERROR: KernReturn = KernReturn(0xe000_02c9);

pub type PropertyPairs = Vec<(CfValue, CfValue)>;

struct Request {
    /// The worker's own reference, so the entry stays addressable whatever the caller does.
    object: IoObject,
    reply: Sender<Result<PropertyPairs, KernReturn>>,
}

/// Reads properties through a worker thread with a timeout.
pub struct PropertyReader {
    worker: Mutex<Option<Sender<Request>>>,
    timeout: Duration,
}

impl PropertyReader {
    pub fn new(timeout: Duration) -> Self {
        PropertyReader {
            worker: Mutex::new(None),
            timeout,
        }
    }

    /// The entry's properties as CF mirrors, or the call's error, or `kIOReturnTimeout`.
    pub fn read(&self, entry: mach_port_t) -> Result<PropertyPairs, KernReturn> {
        // A name we cannot retain is released or dead: the call fails at once without reaching
        // a driver, so it needs no worker (and returns exactly what the caller would see).
        let Ok(object) = IoObject::retained(entry) else {
            return read_now(entry);
        };
        // Requests are serialised so each one gets the whole time limit.
        let mut worker = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        let Some(requests) = worker.clone().or_else(spawn_worker) else {
            drop(object);
            return read_now(entry);
        };
        let (reply, answer) = mpsc::channel();
        if requests.send(Request { object, reply }).is_err() {
            *worker = None;
            return read_now(entry);
        }
        *worker = Some(requests);
        match answer.recv_timeout(self.timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                *worker = None;
                Err(IO_RETURN_TIMEOUT)
            }
            Err(RecvTimeoutError::Disconnected) => {
                *worker = None;
                Err(IO_RETURN_INTERNAL_ERROR)
            }
        }
    }
}

fn spawn_worker() -> Option<Sender<Request>> {
    let (requests, incoming) = mpsc::channel::<Request>();
    std::thread::Builder::new()
        .name("ioscope-properties".into())
        .spawn(move || {
            for request in incoming {
                let result = read_now(request.object.port());
                drop(request.object);
                // The caller may have given up (timeout): nothing to do then.
                let _ = request.reply.send(result);
            }
        })
        .ok()?;
    Some(requests)
}

/// The raw call on this thread.
fn read_now(entry: mach_port_t) -> Result<PropertyPairs, KernReturn> {
    let mut dict: CFMutableDictionaryRef = std::ptr::null_mut();
    // SAFETY: out-pointer to a local; on success we own the returned dictionary.
    let kr = unsafe { IORegistryEntryCreateCFProperties(entry, &mut dict, kCFAllocatorDefault, 0) };
    // SAFETY: a non-NULL result is a dictionary we own under the create rule; the wrapper
    // releases it on every path below.
    let owned = (!dict.is_null()).then(|| unsafe { CFType::wrap_under_create_rule(dict.cast()) });
    KernReturn(kr as u32).ok()?;
    let Some(owned) = owned else {
        return Ok(Vec::new());
    };
    // SAFETY: `owned` keeps the dictionary alive for the whole mirroring.
    match unsafe { to_cf_value(owned.as_CFTypeRef()) } {
        CfValue::Dictionary(pairs) => Ok(pairs),
        _ => Err(IO_RETURN_INTERNAL_ERROR),
    }
}
