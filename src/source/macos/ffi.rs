//! The C functions ioscope needs that io-kit-sys 0.5 and mach2 0.7 do not declare, written from
//! the SDK prototypes (mach/mach_port.h, SDK 14.2) and IOKitUser's IOKitLib.c. Everything else
//! comes from the crates.
//!
//! Not declared on purpose: `kIOMainPortDefault` / `IOMainPort` exist only from macOS 12 and a
//! reference to them would stop the binary loading on macOS 11; both are `MACH_PORT_NULL`, so
//! callers pass [`MAIN_PORT_DEFAULT`] (0), which IOKitLib.c treats as the main port.

use mach2::kern_return::kern_return_t;
use mach2::message::mach_msg_type_number_t;
use mach2::port::{mach_port_name_t, mach_port_right_t, mach_port_t};

/// `kIOMainPortDefault` (= `kIOMasterPortDefault` = `MACH_PORT_NULL`, IOKitLib.c).
pub const MAIN_PORT_DEFAULT: mach_port_t = 0;

/// `ipc_space_t` is a `mach_port_t` (mach/mach_types.h).
type IpcSpace = mach_port_t;
/// `mach_port_urefs_t`, `mach_port_type_t`: `natural_t` (mach/port.h).
type Natural = u32;

// libsystem_kernel, re-exported by libSystem (linked into every binary): no #[link] needed.
unsafe extern "C" {
    /// `kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name,
    ///  mach_port_right_t right, mach_port_urefs_t *refs);`
    pub fn mach_port_get_refs(
        task: IpcSpace,
        name: mach_port_name_t,
        right: mach_port_right_t,
        refs: *mut Natural,
    ) -> kern_return_t;

    /// `kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name,
    ///  mach_port_type_t *ptype);`
    pub fn mach_port_type(
        task: IpcSpace,
        name: mach_port_name_t,
        ptype: *mut Natural,
    ) -> kern_return_t;

    /// `kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
    ///  mach_msg_type_number_t *namesCnt, mach_port_type_array_t *types,
    ///  mach_msg_type_number_t *typesCnt);` — both arrays are out-of-line memory the caller
    /// must `vm_deallocate`.
    pub fn mach_port_names(
        task: IpcSpace,
        names: *mut *mut mach_port_name_t,
        names_cnt: *mut mach_msg_type_number_t,
        types: *mut *mut Natural,
        types_cnt: *mut mach_msg_type_number_t,
    ) -> kern_return_t;
}

#[link(name = "IOKit", kind = "framework")]
unsafe extern "C" {
    /// Private SPI, exported by IOKit but in no SDK header. IOKitUser IOKitLib.c:
    /// `kern_return_t IOServiceGetBusyStateAndTime(io_service_t service, uint64_t *state,
    ///  uint32_t *busy_state, uint64_t *accumulated_busy_time);` (MIG io_service_get_state;
    /// zeroes every output on error).
    pub fn IOServiceGetBusyStateAndTime(
        service: mach_port_t,
        state: *mut u64,
        busy_state: *mut u32,
        accumulated_busy_time: *mut u64,
    ) -> kern_return_t;
}
