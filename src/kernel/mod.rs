//! The seam at the IOKit C API, and the neutral code above it.
//!
//! [`IoKit`] mirrors, call for call, the IOKit and Mach functions ioscope uses,
//! in their own terms: handles are Mach port names (`u32`), failures are the
//! `kern_return_t` / `IOReturn` the real call would give (also on a released or
//! dead name). Two implementations exist: [`crate::kernel::sim`] (a simulated
//! Mac kernel following xnu's rules) and `crate::kernel::macos` (the real FFI).
//! Everything else — walker, handle table, probe — is written once against
//! this trait, so the live path is exercised by the simulator in tests.

// Neutral code only the macOS backend calls; its tests run everywhere.
#[cfg(any(target_os = "macos", test))]
mod cf_value;
mod code;
pub(crate) mod handles;
#[cfg(target_os = "macos")]
pub mod macos;
pub mod ports;
mod probe;
pub mod session;
mod session_impl;
pub mod sim;
#[cfg(any(target_os = "macos", test))]
mod timed;
pub(crate) mod walker;

pub use code::{KernReturn, RowKind, code_table};
pub use probe::{HandleProbe, HandleState, probe};
pub use session::{default_registry, default_session};
pub(crate) use session_impl::PlugEvent;
pub use session_impl::{KernelSession, PlugControl};

use crate::registry::Properties;
use std::sync::mpsc::Sender;

/// A Mach port name in our task (`io_object_t`, `io_iterator_t`, …). 0 is `MACH_PORT_NULL`.
pub type Port = u32;

pub(crate) const MACH_PORT_NULL: Port = 0;
pub(crate) const MACH_PORT_DEAD: Port = !0;

/// `MACH_PORT_RIGHT_*` (mach/port.h).
pub mod right {
    pub const SEND: u32 = 0;
    pub(crate) const RECEIVE: u32 = 1;
    pub(crate) const SEND_ONCE: u32 = 2;
    #[cfg(test)]
    pub(crate) const PORT_SET: u32 = 3;
    pub(crate) const DEAD_NAME: u32 = 4;
    pub(crate) const NUMBER: u32 = 6;
}

/// `MACH_PORT_TYPE_*` bits (mach/port.h): `1 << (right + 16)`.
pub(crate) mod port_type {
    pub(crate) const SEND: u32 = 0x0001_0000;
    pub(crate) const RECEIVE: u32 = 0x0002_0000;
    pub(crate) const DEAD_NAME: u32 = 0x0010_0000;
}

/// `IOServiceGetBusyStateAndTime` results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BusyState {
    /// `kIOService*State` bits.
    pub state: u64,
    pub busy: u32,
    /// Nanoseconds.
    pub accumulated_busy_time: u64,
}

/// A publish or terminate notification delivered by [`IoKit::watch_services`]. The port is a
/// new reference we own (the notification iterator handed it to us).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceNotice {
    FirstPublished(Port),
    Terminated(Port),
}

/// Keeps a notification subscription alive; dropping it removes the notifications.
pub trait Watch: Send {}

/// The IOKit and Mach calls ioscope makes, one method per C function.
pub trait IoKit: Send + Sync {
    /// `IORegistryGetRootEntry(kIOMainPortDefault)`; 0 on failure.
    fn registry_get_root_entry(&self) -> Port;
    /// `IORegistryEntryGetChildIterator(entry, plane, &iter)`.
    fn registry_entry_get_child_iterator(
        &self,
        entry: Port,
        plane: &str,
    ) -> Result<Port, KernReturn>;
    /// `IOIteratorNext(iter)`: the next object (a reference we own), 0 when exhausted or on error.
    fn iterator_next(&self, iterator: Port) -> Port;
    /// `IORegistryEntryGetNameInPlane` (`plane = None` passes NULL: the entry's own name).
    fn registry_entry_get_name_in_plane(
        &self,
        entry: Port,
        plane: Option<&str>,
    ) -> Result<Vec<u8>, KernReturn>;
    /// `IORegistryEntryGetLocationInPlane`; `kIOReturnNotFound` when the entry has no location.
    fn registry_entry_get_location_in_plane(
        &self,
        entry: Port,
        plane: Option<&str>,
    ) -> Result<Vec<u8>, KernReturn>;
    /// The entry's path in `plane`, at any length: `IORegistryEntryCopyPath(entry, plane)`;
    /// on failure the code `IORegistryEntryGetPath` gives.
    fn registry_entry_get_path(&self, entry: Port, plane: &str) -> Result<Vec<u8>, KernReturn>;
    /// The kernel's own class, as `ioreg` reads it: `_IOObjectGetClass(object,
    /// kIOClassNameOverrideNone, className)` (`IOObjectGetClass` answers an entry's
    /// `IOClassNameOverride` property instead).
    fn object_get_class(&self, object: Port) -> Result<String, KernReturn>;
    /// `IOObjectCopySuperclassForClass(name)`; `None` for a root class or unknown name.
    fn object_copy_superclass_for_class(&self, class: &str) -> Option<String>;
    /// `_IOObjectConformsTo(object, className, kIOClassNameOverrideNone)`: by the kernel's
    /// classes only, as `ioreg` asks.
    fn object_conforms_to(&self, object: Port, class: &str) -> bool;
    /// `IORegistryEntryGetRegistryEntryID(entry, &id)`.
    fn registry_entry_get_registry_entry_id(&self, entry: Port) -> Result<u64, KernReturn>;
    /// `IOObjectGetKernelRetainCount(object)`; 0 on any error.
    fn object_get_kernel_retain_count(&self, object: Port) -> u32;
    /// `IOObjectGetUserRetainCount(object)`; 0 on any error.
    fn object_get_user_retain_count(&self, object: Port) -> u32;
    /// `IOServiceGetBusyStateAndTime(service, &state, &busy, &time)`.
    fn service_get_busy_state_and_time(&self, service: Port) -> Result<BusyState, KernReturn>;
    /// `IORegistryEntryCreateCFProperties(entry, &dict, kCFAllocatorDefault, 0)`, converted.
    fn registry_entry_create_properties(&self, entry: Port) -> Result<Properties, KernReturn>;
    /// `IOObjectRetain(object)`.
    fn object_retain(&self, object: Port) -> KernReturn;
    /// `IOObjectRelease(object)`.
    fn object_release(&self, object: Port) -> KernReturn;
    /// `IOServiceGetMatchingService(kIOMainPortDefault, IORegistryEntryIDMatching(id))`; 0 if none.
    fn service_get_matching_service_by_id(&self, registry_id: u64) -> Port;
    /// `IOServiceGetMatchingServices(main, IOServiceMatching(class), &iter)`.
    fn service_get_matching_services(&self, class: &str) -> Result<Port, KernReturn>;
    /// `mach_port_get_refs(mach_task_self(), name, right, &refs)`.
    fn mach_port_get_refs(&self, name: Port, right: u32) -> Result<u32, KernReturn>;
    /// `mach_port_type(mach_task_self(), name, &type)`.
    fn mach_port_type(&self, name: Port) -> Result<u32, KernReturn>;
    /// `mach_port_names(mach_task_self(), …)`: every name in our space with its type bits.
    fn mach_port_names(&self) -> Result<Vec<(Port, u32)>, KernReturn>;
    /// First-publish and terminated notifications for every IOService, delivered to `sink`
    /// from a background thread until the returned guard is dropped.
    fn watch_services(&self, sink: Sender<ServiceNotice>) -> Result<Box<dyn Watch>, KernReturn>;
}
