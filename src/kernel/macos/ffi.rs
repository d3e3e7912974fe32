//! The C declarations ioscope needs that io-kit-sys 0.5 and mach2 0.7 lack, written from the
//! SDK prototypes (IOKit/IOKitLib.h and mach/mach_port.h, SDK 14.2) and, for the private
//! `IOServiceGetBusyStateAndTime`, `_IOObjectGetClass` and `_IOObjectConformsTo`, IOKitUser's
//! IOKitLib.c and IOKitLibPrivate.h. Everything else comes from the crates.
//!
//! `kIOMainPortDefault` and `IOMainPort` are declared as in IOKitLib.h but only the macOS unit
//! test below references them: both exist from macOS 12 only, and a reference in the binary
//! would stop it loading on macOS 11. The fallback that works everywhere is what IOKitLib.c
//! itself does: `kIOMainPortDefault` and `kIOMasterPortDefault` are both `MACH_PORT_NULL`, and
//! every IOKit call given 0 uses the main port. So callers pass [`MAIN_PORT_DEFAULT`] (0).

use crate::kernel::KernReturn;
use io_kit_sys::types::{io_object_t, io_service_t};
use mach2::boolean::boolean_t;
use mach2::kern_return::kern_return_t;
use mach2::mach_types::ipc_space_t;
use mach2::message::mach_msg_type_number_t;
use mach2::port::{
    mach_port_name_t, mach_port_right_t, mach_port_t, mach_port_type_t, mach_port_urefs_t,
};
use std::ffi::c_char;

/// `kIOMainPortDefault` (= `kIOMasterPortDefault` = `MACH_PORT_NULL`, IOKitLib.c).
pub(crate) const MAIN_PORT_DEFAULT: mach_port_t = 0;

/// `io_name_t` is `char[128]` (IOKit/IOTypes.h): class, name, location and plane buffers.
pub(crate) type IoName = [c_char; 128];
/// `io_string_t` is `char[512]` (IOKit/IOTypes.h).
pub(crate) type IoString = [c_char; 512];

/// `kIOClassNameOverrideNone` (xnu iokit/IOKit/IOKitKeysPrivate.h: `enum {
/// kIOClassNameOverrideNone = 0x00000001 };`): the `options` bit that makes `_IOObjectGetClass`
/// and `_IOObjectConformsTo` answer with the kernel's own class, as `ioreg` asks. Without it
/// IOKitLib.c answers an entry's `IOClassNameOverride` property instead (a USB device says
/// `IOUSBDevice` where the kernel holds an `IOUSBHostDevice`, and the superclass chain asked for
/// under that name is not the device's).
pub(crate) const CLASS_NAME_OVERRIDE_NONE: u64 = 0x0000_0001;

/// `kIOReturnNoMemory` (IOKit/IOReturn.h): a create call returned NULL.
pub(crate) const IO_RETURN_NO_MEMORY: KernReturn = KernReturn(0xe000_02bd);
/// `kIOReturnNoResources` (IOKit/IOReturn.h): `IONotificationPortGetRunLoopSource` returned NULL
/// (IOKitLib.c: its `CFMachPort` could not be made, or CF handed back a recycled one).
pub(crate) const IO_RETURN_NO_RESOURCES: KernReturn = KernReturn(0xe000_02be);

// libsystem_kernel, re-exported by libSystem (linked into every binary): no #[link] needed.
unsafe extern "C" {
    /// `kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name,
    ///  mach_port_right_t right, mach_port_urefs_t *refs);`
    pub(crate) fn mach_port_get_refs(
        task: ipc_space_t,
        name: mach_port_name_t,
        right: mach_port_right_t,
        refs: *mut mach_port_urefs_t,
    ) -> kern_return_t;

    /// `kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name,
    ///  mach_port_type_t *ptype);`
    pub(crate) fn mach_port_type(
        task: ipc_space_t,
        name: mach_port_name_t,
        ptype: *mut mach_port_type_t,
    ) -> kern_return_t;

    /// `kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
    ///  mach_msg_type_number_t *namesCnt, mach_port_type_array_t *types,
    ///  mach_msg_type_number_t *typesCnt);` — both arrays are out-of-line memory the caller
    /// must `vm_deallocate`.
    pub(crate) fn mach_port_names(
        task: ipc_space_t,
        names: *mut *mut mach_port_name_t,
        names_cnt: *mut mach_msg_type_number_t,
        types: *mut *mut mach_port_type_t,
        types_cnt: *mut mach_msg_type_number_t,
    ) -> kern_return_t;
}

#[link(name = "IOKit", kind = "framework")]
unsafe extern "C" {
    /// `extern const mach_port_t kIOMainPortDefault;` (macOS 12+, = `MACH_PORT_NULL`).
    // Referenced by the unit test only (see the module notes).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) static kIOMainPortDefault: mach_port_t;

    /// `kern_return_t IOMainPort(mach_port_t bootstrapPort, mach_port_t *mainPort);` (macOS 12+;
    /// `IOMasterPort`, which io-kit-sys declares, before). The result is a send right we own.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn IOMainPort(
        bootstrap_port: mach_port_t,
        main_port: *mut mach_port_t,
    ) -> kern_return_t;

    /// Private SPI, exported by IOKit but in no SDK header. IOKitUser IOKitLib.c:
    /// `kern_return_t IOServiceGetBusyStateAndTime(io_service_t service, uint64_t *state,
    ///  uint32_t *busy_state, uint64_t *accumulated_busy_time);` (MIG io_service_get_state;
    /// zeroes every output on error).
    pub(crate) fn IOServiceGetBusyStateAndTime(
        service: io_service_t,
        state: *mut u64,
        busy_state: *mut u32,
        accumulated_busy_time: *mut u64,
    ) -> kern_return_t;

    /// Private SPI, exported by IOKit (since 10.11) but in no SDK header. IOKitUser
    /// IOKitLibPrivate.h, defined in IOKitLib.c:
    /// `kern_return_t _IOObjectGetClass(io_object_t object, uint64_t options,
    ///  io_name_t className);` — with [`CLASS_NAME_OVERRIDE_NONE`] it is the MIG
    /// `io_object_get_class` alone (`IOObjectGetClass` is this with `options` 0). `className` is
    /// an [`IoName`] the call fills, NUL-terminated.
    pub(crate) fn _IOObjectGetClass(
        object: io_object_t,
        options: u64,
        class_name: *mut c_char,
    ) -> kern_return_t;

    /// Private SPI, as above: `boolean_t _IOObjectConformsTo(io_object_t object,
    ///  const io_name_t className, uint64_t options);` — with [`CLASS_NAME_OVERRIDE_NONE`] it is
    /// the MIG `io_object_conforms_to` alone; false on any error.
    pub(crate) fn _IOObjectConformsTo(
        object: io_object_t,
        class_name: *const c_char,
        options: u64,
    ) -> boolean_t;
}

#[cfg(test)]
mod tests {
    use super::*;
    use mach2::mach_port::mach_port_deallocate;
    use mach2::traps::mach_task_self;

    #[test]
    fn main_port_default_is_mach_port_null() {
        // SAFETY: reading two `const mach_port_t` data symbols of IOKit.
        let (main, master) = unsafe { (kIOMainPortDefault, io_kit_sys::kIOMasterPortDefault) };
        assert_eq!(main, MAIN_PORT_DEFAULT);
        assert_eq!(master, MAIN_PORT_DEFAULT);
    }

    #[test]
    fn io_main_port_and_io_master_port_name_the_same_port() {
        let (mut main, mut master) = (0, 0);
        // SAFETY: out-pointers to locals; each success hands us one send-right reference.
        unsafe {
            assert_eq!(IOMainPort(0, &mut main), 0);
            #[allow(deprecated)]
            let kr = io_kit_sys::IOMasterPort(0, &mut master);
            assert_eq!(kr, 0);
            assert_ne!(main, 0);
            assert_eq!(main, master, "one port, one name in our space");
            assert_eq!(mach_port_deallocate(mach_task_self(), main), 0);
            assert_eq!(mach_port_deallocate(mach_task_self(), master), 0);
        }
    }

    /// The private calls answer like the public ones on an entry without an override (Root),
    /// and `_IOObjectConformsTo` follows the kernel's class chain.
    #[test]
    fn private_class_calls_read_the_kernels_class() {
        use crate::kernel::macos::IoObject;
        use io_kit_sys::{IOObjectConformsTo, IOObjectGetClass, IORegistryGetRootEntry};
        // SAFETY: plain call; the root is ours and released by IoObject.
        let Some(root) = IoObject::from_owned(unsafe { IORegistryGetRootEntry(0) }) else {
            panic!("IORegistryGetRootEntry gave 0");
        };
        let (mut private, mut public): (IoName, IoName) = ([0; 128], [0; 128]);
        // SAFETY: io_name_t buffers; NUL-terminated class names.
        unsafe {
            let kr = _IOObjectGetClass(root.port(), CLASS_NAME_OVERRIDE_NONE, private.as_mut_ptr());
            assert_eq!(kr, 0);
            assert_eq!(IOObjectGetClass(root.port(), public.as_mut_ptr()), 0);
            let private = std::ffi::CStr::from_ptr(private.as_ptr());
            assert_eq!(private, c"IORegistryEntry");
            assert_eq!(private, std::ffi::CStr::from_ptr(public.as_ptr()));
            let conforms = |class: &std::ffi::CStr| {
                _IOObjectConformsTo(root.port(), class.as_ptr(), CLASS_NAME_OVERRIDE_NONE) != 0
            };
            assert!(conforms(c"IORegistryEntry"));
            assert!(conforms(c"OSObject"));
            assert!(!conforms(c"IOService"));
            assert_eq!(
                conforms(c"IORegistryEntry"),
                IOObjectConformsTo(root.port(), c"IORegistryEntry".as_ptr()) != 0
            );
        }
    }
}
