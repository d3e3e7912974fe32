//! [`MacIoKit`]: the seam's trait over the real IOKit and Mach calls, one raw call per method.

use super::ffi::{
    self, CLASS_NAME_OVERRIDE_NONE, IO_RETURN_NO_MEMORY, IoName, IoString, MAIN_PORT_DEFAULT,
};
use super::properties::{PROPERTY_TIMEOUT, PropertyReader};
use super::watch;
use crate::kernel::cf_value::to_properties;
use crate::kernel::{BusyState, IoKit, KernReturn, Port, ServiceNotice, Watch};
use crate::registry::Properties;
use core_foundation::base::TCFType;
use core_foundation::string::CFString;
use io_kit_sys::types::io_iterator_t;
use io_kit_sys::{
    IOIteratorNext, IOObjectCopySuperclassForClass, IOObjectGetKernelRetainCount,
    IOObjectGetUserRetainCount, IOObjectRelease, IOObjectRetain, IORegistryEntryCopyPath,
    IORegistryEntryGetChildIterator, IORegistryEntryGetLocationInPlane,
    IORegistryEntryGetNameInPlane, IORegistryEntryGetPath, IORegistryEntryGetRegistryEntryID,
    IORegistryEntryIDMatching, IORegistryGetRootEntry, IOServiceGetMatchingService,
    IOServiceGetMatchingServices, IOServiceMatching,
};
use mach2::traps::mach_task_self;
use mach2::vm::mach_vm_deallocate;
use std::ffi::{CString, c_char};
use std::sync::mpsc::Sender;
use std::time::Duration;

const IO_RETURN_BAD_ARGUMENT: KernReturn = KernReturn::IO_RETURN_BAD_ARGUMENT;

/// The live kernel behind the seam. Needs no privileges.
pub struct MacIoKit {
    properties: PropertyReader,
}

impl Default for MacIoKit {
    fn default() -> Self {
        Self::new()
    }
}

impl MacIoKit {
    pub fn new() -> Self {
        Self::with_property_timeout(PROPERTY_TIMEOUT)
    }

    /// Properties that take longer than `timeout` to serialise are reported as
    /// `kIOReturnTimeout` on their entry.
    pub fn with_property_timeout(timeout: Duration) -> Self {
        MacIoKit {
            properties: PropertyReader::new(timeout),
        }
    }
}

fn kr(code: i32) -> KernReturn {
    KernReturn(code as u32)
}

/// A C string for a plane or class name (`kIOReturnBadArgument` if it holds a NUL).
fn c_name(s: &str) -> Result<CString, KernReturn> {
    CString::new(s).map_err(|_| IO_RETURN_BAD_ARGUMENT)
}

/// The bytes of a NUL-terminated buffer the call filled.
fn until_nul(buf: &[c_char]) -> Vec<u8> {
    buf.iter()
        .map(|&c| c as u8)
        .take_while(|&b| b != 0)
        .collect()
}

/// Calls `f(plane_ptr, buffer)` for the `IORegistryEntryGet*InPlane` family, whose output is
/// a `char[N]` buffer (`io_name_t`, `io_string_t`) the call fills, NUL-terminated.
fn get_in_plane<const N: usize>(
    plane: Option<&str>,
    f: impl FnOnce(*const c_char, *mut c_char) -> i32,
) -> Result<Vec<u8>, KernReturn> {
    let plane = plane.map(c_name).transpose()?;
    let plane_ptr = plane.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
    let mut buf = [0 as c_char; N];
    kr(f(plane_ptr, buf.as_mut_ptr())).ok()?;
    Ok(until_nul(&buf))
}

/// `IORegistryEntryCopyPath(entry, plane)`: the path at any length (the MIG call returns a long
/// path out of line), or `None` when the call gave NULL.
fn copy_path(entry: Port, plane: &str) -> Result<Option<Vec<u8>>, KernReturn> {
    let plane = c_name(plane)?;
    // SAFETY: NUL-terminated plane.
    let path = unsafe { IORegistryEntryCopyPath(entry, plane.as_ptr()) };
    if path.is_null() {
        return Ok(None);
    }
    // SAFETY: a CFString we own (Copy rule); the wrapper releases it.
    let path = unsafe { CFString::wrap_under_create_rule(path) };
    Ok(Some(path.to_string().into_bytes()))
}

impl IoKit for MacIoKit {
    fn registry_get_root_entry(&self) -> Port {
        // SAFETY: plain call with the default main port.
        unsafe { IORegistryGetRootEntry(MAIN_PORT_DEFAULT) }
    }

    fn registry_entry_get_child_iterator(
        &self,
        entry: Port,
        plane: &str,
    ) -> Result<Port, KernReturn> {
        let plane = c_name(plane)?;
        let mut iterator: io_iterator_t = 0;
        // SAFETY: NUL-terminated plane, out-pointer to a local.
        kr(unsafe { IORegistryEntryGetChildIterator(entry, plane.as_ptr(), &mut iterator) })
            .ok()?;
        Ok(iterator)
    }

    fn iterator_next(&self, iterator: Port) -> Port {
        // SAFETY: any name is accepted; 0 on exhaustion or error.
        unsafe { IOIteratorNext(iterator) }
    }

    fn registry_entry_get_name_in_plane(
        &self,
        entry: Port,
        plane: Option<&str>,
    ) -> Result<Vec<u8>, KernReturn> {
        // SAFETY: plane is NULL or NUL-terminated; the buffer is an io_name_t.
        get_in_plane::<{ size_of::<IoName>() }>(plane, |p, buf| unsafe {
            IORegistryEntryGetNameInPlane(entry, p, buf)
        })
    }

    fn registry_entry_get_location_in_plane(
        &self,
        entry: Port,
        plane: Option<&str>,
    ) -> Result<Vec<u8>, KernReturn> {
        // SAFETY: plane is NULL or NUL-terminated; the buffer is an io_name_t.
        get_in_plane::<{ size_of::<IoName>() }>(plane, |p, buf| unsafe {
            IORegistryEntryGetLocationInPlane(entry, p, buf)
        })
    }

    fn registry_entry_get_path(&self, entry: Port, plane: &str) -> Result<Vec<u8>, KernReturn> {
        if let Some(path) = copy_path(entry, plane)? {
            return Ok(path);
        }
        // IORegistryEntryCopyPath says NULL and no more (IOKitLib.c: the MIG call failed, or its
        // bytes are not UTF-8). The same request through IORegistryEntryGetPath gives the
        // kernel's own code: MACH_SEND_INVALID_DEST on a stale name, kIOReturnBadArgument for an
        // entry not in the plane or an unknown plane; a path it can hold (< 512 bytes) that CF
        // would not take comes back as raw bytes.
        // SAFETY: plane is NUL-terminated; the buffer is an io_string_t.
        get_in_plane::<{ size_of::<IoString>() }>(Some(plane), |p, buf| unsafe {
            IORegistryEntryGetPath(entry, p, buf)
        })
    }

    fn object_get_class(&self, object: Port) -> Result<String, KernReturn> {
        let mut buf: IoName = [0; size_of::<IoName>()];
        // SAFETY: the buffer is an io_name_t, filled NUL-terminated. The override is off, as
        // ioreg asks (ioreg.c: `_IOObjectGetClass(service, kIOClassNameOverrideNone, class)`).
        kr(unsafe { ffi::_IOObjectGetClass(object, CLASS_NAME_OVERRIDE_NONE, buf.as_mut_ptr()) })
            .ok()?;
        Ok(String::from_utf8_lossy(&until_nul(&buf)).into_owned())
    }

    fn object_copy_superclass_for_class(&self, class: &str) -> Option<String> {
        let name = CFString::new(class);
        // SAFETY: a valid CFString; the result is ours under the create rule (NULL for a root
        // or unknown class) and is released by the wrapper.
        unsafe {
            let sup = IOObjectCopySuperclassForClass(name.as_concrete_TypeRef());
            (!sup.is_null()).then(|| CFString::wrap_under_create_rule(sup).to_string())
        }
    }

    fn object_conforms_to(&self, object: Port, class: &str) -> bool {
        let Ok(class) = c_name(class) else {
            return false;
        };
        // SAFETY: NUL-terminated class name. The override is off, as ioreg asks (ioreg.c:
        // `_IOObjectConformsTo(service, "IOService", kIOClassNameOverrideNone)`).
        unsafe { ffi::_IOObjectConformsTo(object, class.as_ptr(), CLASS_NAME_OVERRIDE_NONE) != 0 }
    }

    fn registry_entry_get_registry_entry_id(&self, entry: Port) -> Result<u64, KernReturn> {
        let mut id = 0u64;
        // SAFETY: out-pointer to a local.
        kr(unsafe { IORegistryEntryGetRegistryEntryID(entry, &mut id) }).ok()?;
        Ok(id)
    }

    fn object_get_kernel_retain_count(&self, object: Port) -> u32 {
        // SAFETY: any name is accepted; 0 on error.
        unsafe { IOObjectGetKernelRetainCount(object) }
    }

    fn object_get_user_retain_count(&self, object: Port) -> u32 {
        // SAFETY: any name is accepted; 0 on error.
        unsafe { IOObjectGetUserRetainCount(object) }
    }

    fn service_get_busy_state_and_time(&self, service: Port) -> Result<BusyState, KernReturn> {
        let mut out = BusyState::default();
        // SAFETY: out-pointers to the fields of a local, of the widths the SPI writes.
        kr(unsafe {
            ffi::IOServiceGetBusyStateAndTime(
                service,
                &mut out.state,
                &mut out.busy,
                &mut out.accumulated_busy_time,
            )
        })
        .ok()?;
        Ok(out)
    }

    fn registry_entry_create_properties(&self, entry: Port) -> Result<Properties, KernReturn> {
        self.properties.read(entry).map(to_properties)
    }

    fn object_retain(&self, object: Port) -> KernReturn {
        // SAFETY: any name is accepted.
        kr(unsafe { IOObjectRetain(object) })
    }

    fn object_release(&self, object: Port) -> KernReturn {
        // SAFETY: any name is accepted.
        kr(unsafe { IOObjectRelease(object) })
    }

    fn service_get_matching_service_by_id(&self, registry_id: u64) -> Port {
        // SAFETY: the dictionary (checked for NULL) is consumed by IOServiceGetMatchingService.
        unsafe {
            let matching = IORegistryEntryIDMatching(registry_id);
            if matching.is_null() {
                return 0;
            }
            IOServiceGetMatchingService(MAIN_PORT_DEFAULT, matching.cast_const())
        }
    }

    fn service_get_matching_services(&self, class: &str) -> Result<Port, KernReturn> {
        let class = c_name(class)?;
        let mut iterator: io_iterator_t = 0;
        // SAFETY: the dictionary (checked for NULL) is consumed by IOServiceGetMatchingServices,
        // also when it fails; out-pointer to a local.
        unsafe {
            let matching = IOServiceMatching(class.as_ptr());
            if matching.is_null() {
                return Err(IO_RETURN_NO_MEMORY);
            }
            kr(IOServiceGetMatchingServices(
                MAIN_PORT_DEFAULT,
                matching.cast_const(),
                &mut iterator,
            ))
            .ok()?;
        }
        Ok(iterator)
    }

    fn mach_port_get_refs(&self, name: Port, right: u32) -> Result<u32, KernReturn> {
        let mut refs = 0u32;
        // SAFETY: our own task; out-pointer to a local.
        kr(unsafe { ffi::mach_port_get_refs(mach_task_self(), name, right, &mut refs) }).ok()?;
        Ok(refs)
    }

    fn mach_port_type(&self, name: Port) -> Result<u32, KernReturn> {
        let mut ty = 0u32;
        // SAFETY: our own task; out-pointer to a local.
        kr(unsafe { ffi::mach_port_type(mach_task_self(), name, &mut ty) }).ok()?;
        Ok(ty)
    }

    fn mach_port_names(&self) -> Result<Vec<(Port, u32)>, KernReturn> {
        let mut names: *mut u32 = std::ptr::null_mut();
        let mut types: *mut u32 = std::ptr::null_mut();
        let (mut names_cnt, mut types_cnt) = (0u32, 0u32);
        // SAFETY: our own task; out-pointers to locals. On success both arrays are out-of-line
        // memory in our address space, copied here and then deallocated.
        unsafe {
            let task = mach_task_self();
            let code = kr(ffi::mach_port_names(
                task,
                &mut names,
                &mut names_cnt,
                &mut types,
                &mut types_cnt,
            ));
            let pairs = if code.is_success() && !names.is_null() && !types.is_null() {
                let n = names_cnt.min(types_cnt) as usize;
                let names = std::slice::from_raw_parts(names, n);
                let types = std::slice::from_raw_parts(types, n);
                names.iter().copied().zip(types.iter().copied()).collect()
            } else {
                Vec::new()
            };
            for (ptr, cnt) in [(names, names_cnt), (types, types_cnt)] {
                if !ptr.is_null() && cnt > 0 {
                    let bytes = u64::from(cnt) * std::mem::size_of::<u32>() as u64;
                    mach_vm_deallocate(task, ptr as u64, bytes);
                }
            }
            code.ok()?;
            Ok(pairs)
        }
    }

    fn watch_services(&self, sink: Sender<ServiceNotice>) -> Result<Box<dyn Watch>, KernReturn> {
        Ok(Box::new(watch::start(sink)?))
    }
}
