//! The seam for another task's port space (the port census, `ioscope ports`).
//!
//! [`PortSpaces`] mirrors, call for call, the Mach calls that read a task's IPC space from
//! outside: `task_read_for_pid` / `task_inspect_for_pid` (BSD system calls: a refusal is an
//! errno), `mach_port_space_info` (needs a read port; an inspect port is too weak and gives
//! `KERN_INVALID_ARGUMENT`), `mach_port_space_basic_info` (an inspect port is enough) and
//! `mach_port_kobject_description` (the kernel object type, and since macOS 10.15.5
//! `Class(0xREGISTRYID)` for IOKit ports). No right is ever copied out of the target, and
//! the control port (`task_for_pid`) is never asked for.
//!
//! Implemented by the simulated Mac ([`crate::kernel::sim`], `sim/tasks.rs`) and by the
//! real FFI (`crate::kernel::macos::ports`). The census built on it is [`census`]; the
//! reader of Apple's `lsmp -j` JSON is [`lsmp`].

pub mod census;
pub mod lsmp;

use super::{KernReturn, Port};

/// A process ID (`pid_t`).
pub type Pid = i32;

/// `IKOT_*` kernel object types (xnu osfmk/kern/ipc_kobject.h) ioscope names.
pub(crate) mod kotype {
    pub(crate) const NONE: u32 = 0;
    pub(crate) const TASK_CONTROL: u32 = 2;
    pub(crate) const IOKIT_IDENT: u32 = 27;
    pub(crate) const IOKIT_CONNECT: u32 = 29;
    pub(crate) const IOKIT_OBJECT: u32 = 30;
    pub(crate) const UEXT_OBJECT: u32 = 41;
    pub(crate) const TASK_INSPECT: u32 = 44;
    pub(crate) const TASK_READ: u32 = 45;
}

/// The IOKit kernel object types, as lsmp prints them (`kobject_name` in lsmp's
/// port_details.c); `None` for a type that is not IOKit's.
pub(crate) fn iokit_type_name(kotype: u32) -> Option<&'static str> {
    Some(match kotype {
        kotype::IOKIT_IDENT => "IOKIT-IDENT",
        kotype::IOKIT_CONNECT => "IOKIT-CONNECT",
        kotype::IOKIT_OBJECT => "IOKIT-OBJECT",
        kotype::UEXT_OBJECT => "UEXT_OBJECT",
        _ => return None,
    })
}

/// A process the caller can see (`proc_listallpids` + `proc_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: Pid,
    pub name: String,
}

/// One `ipc_info_name_t` of `mach_port_space_info` (mach_debug/ipc_info.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameInfo {
    /// `iin_name`.
    pub name: Port,
    /// `iin_type`: `MACH_PORT_TYPE_*` bits.
    pub type_bits: u32,
    /// `iin_urefs` (saturates at 65535, `MACH_PORT_UREFS_MAX`).
    pub urefs: u32,
    /// `iin_object` (a per-boot obfuscated address: equal for the same port, nothing more).
    pub object: u32,
}

/// `ipc_info_space_basic_t` (`mach_port_space_basic_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct SpaceBasicInfo {
    pub genno_mask: u32,
    pub table_size: u32,
    pub table_next: u32,
    pub table_inuse: u32,
}

/// `mach_port_kobject_description` results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KobjectDescription {
    /// `IKOT_*` (`kotype`); 0 for a port that is no kernel object.
    pub kotype: u32,
    /// Always 0 on release kernels.
    pub address: u64,
    /// `Class(0xREGISTRYID)` for an IOKit port since macOS 10.15.5; empty before.
    pub description: String,
}

/// Why a task port was refused: the errno of `task_read_for_pid` / `task_inspect_for_pid`
/// (BSD system calls, bsd/vm/vm_unix.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    pub(crate) const EPERM: Errno = Errno(1);
    pub(crate) const ESRCH: Errno = Errno(3);

    /// The macOS name and `strerror` text.
    pub(crate) fn describe(self) -> String {
        let (name, text) = match self.0 {
            1 => ("EPERM", "Operation not permitted"),
            3 => ("ESRCH", "No such process"),
            13 => ("EACCES", "Permission denied"),
            22 => ("EINVAL", "Invalid argument"),
            n => return format!("errno {n}"),
        };
        format!("{name} ({text})")
    }
}

/// The Mach calls that read another task's port space, one method per C function.
pub trait PortSpaces: Send + Sync {
    /// Our own PID (`getpid()`).
    fn own_pid(&self) -> Pid;
    /// Every process we can see, by PID (`proc_listallpids`, `proc_name`).
    fn list_processes(&self) -> Vec<ProcessInfo>;
    /// `mach_task_self()`: our own task port (a read port is not needed for ourselves).
    fn mach_task_self(&self) -> Port;
    /// `task_read_for_pid(mach_task_self(), pid, &t)`: a read port (a new send right of
    /// ours), or the errno that refused it.
    fn task_read_for_pid(&self, pid: Pid) -> Result<Port, Errno>;
    /// `task_inspect_for_pid(mach_task_self(), pid, &t)`.
    fn task_inspect_for_pid(&self, pid: Pid) -> Result<Port, Errno>;
    /// `mach_port_space_info(task, …)`: the table's names (the tree is empty since xnu 2050).
    fn mach_port_space_info(&self, task: Port) -> Result<Vec<NameInfo>, KernReturn>;
    /// `mach_port_space_basic_info(task, &info)`.
    fn mach_port_space_basic_info(&self, task: Port) -> Result<SpaceBasicInfo, KernReturn>;
    /// `mach_port_kobject_description(task, name, &type, &addr, desc)`.
    fn mach_port_kobject_description(
        &self,
        task: Port,
        name: Port,
    ) -> Result<KobjectDescription, KernReturn>;
    /// `mach_port_deallocate(mach_task_self(), task)`: gives back a task port we were given.
    fn release_task_port(&self, task: Port);
}
