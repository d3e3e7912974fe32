//! The real calls behind [`PortSpaces`] (macOS only): raw calls, no logic (the census is
//! `kernel::ports::census`, exercised on Linux by the simulated Mac).
//!
//! Declared here from the SDK prototypes (mach/mach_traps.h, mach/mach_port.h,
//! mach_debug/ipc_info.h, libproc.h); `task_for_pid` is deliberately not declared: ioscope
//! never asks for a control port. `task_read_for_pid` and `task_inspect_for_pid` are BSD
//! system calls (bsd/vm/vm_unix.c): a refusal comes back as -1 with `errno` set.

use crate::kernel::ports::{
    Errno, KobjectDescription, NameInfo, Pid, PortSpaces, ProcessInfo, SpaceBasicInfo,
};
use crate::kernel::{KernReturn, KernReturn as Kr, Port};
use mach2::kern_return::kern_return_t;
use mach2::mach_port::mach_port_deallocate;
use mach2::message::mach_msg_type_number_t;
use mach2::port::{mach_port_name_t, mach_port_t};
use mach2::traps::mach_task_self;
use mach2::vm::mach_vm_deallocate;
use mach2::vm_types::{integer_t, mach_vm_address_t, natural_t};
use std::ffi::{c_char, c_int, c_void};

/// `ipc_info_space_t` (mach_debug/ipc_info.h).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IpcInfoSpace {
    pub iis_genno_mask: natural_t,
    pub iis_table_size: natural_t,
    pub iis_table_next: natural_t,
    pub iis_tree_size: natural_t,
    pub iis_tree_small: natural_t,
    pub iis_tree_hash: natural_t,
}

/// `ipc_info_space_basic_t`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IpcInfoSpaceBasic {
    pub iisb_genno_mask: natural_t,
    pub iisb_table_size: natural_t,
    pub iisb_table_next: natural_t,
    pub iisb_table_inuse: natural_t,
    pub iisb_reserved: [natural_t; 2],
}

/// `ipc_info_name_t` (28 bytes).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IpcInfoName {
    pub iin_name: mach_port_name_t,
    pub iin_collision: integer_t,
    pub iin_type: natural_t,
    pub iin_urefs: natural_t,
    pub iin_object: natural_t,
    pub iin_next: natural_t,
    pub iin_hash: natural_t,
}

/// `ipc_info_tree_name_t`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IpcInfoTreeName {
    pub iitn_name: IpcInfoName,
    pub iitn_lchild: mach_port_name_t,
    pub iitn_rchild: mach_port_name_t,
}

/// `KOBJECT_DESCRIPTION_LENGTH`: `kobject_description_t` is `char[512]`.
pub(crate) const KOBJECT_DESCRIPTION_LENGTH: usize = 512;

// libsystem_kernel, re-exported by libSystem: no #[link] needed.
unsafe extern "C" {
    /// `kern_return_t task_read_for_pid(mach_port_name_t target_tport, int pid,
    ///  mach_port_name_t *t);`
    pub(crate) fn task_read_for_pid(
        target_tport: mach_port_name_t,
        pid: c_int,
        t: *mut mach_port_name_t,
    ) -> kern_return_t;

    /// `kern_return_t task_inspect_for_pid(mach_port_name_t target_tport, int pid,
    ///  mach_port_name_t *t);`
    pub(crate) fn task_inspect_for_pid(
        target_tport: mach_port_name_t,
        pid: c_int,
        t: *mut mach_port_name_t,
    ) -> kern_return_t;

    /// `kern_return_t mach_port_space_info(ipc_space_read_t space, ipc_info_space_t
    ///  *space_info, ipc_info_name_array_t *table_info, mach_msg_type_number_t *table_infoCnt,
    ///  ipc_info_tree_name_array_t *tree_info, mach_msg_type_number_t *tree_infoCnt);`
    pub(crate) fn mach_port_space_info(
        space: mach_port_t,
        space_info: *mut IpcInfoSpace,
        table_info: *mut *mut IpcInfoName,
        table_info_cnt: *mut mach_msg_type_number_t,
        tree_info: *mut *mut IpcInfoTreeName,
        tree_info_cnt: *mut mach_msg_type_number_t,
    ) -> kern_return_t;

    /// `kern_return_t mach_port_space_basic_info(ipc_space_inspect_t task,
    ///  ipc_info_space_basic_t *basic_info);`
    pub(crate) fn mach_port_space_basic_info(
        task: mach_port_t,
        basic_info: *mut IpcInfoSpaceBasic,
    ) -> kern_return_t;

    /// `kern_return_t mach_port_kobject_description(ipc_space_read_t task, mach_port_name_t
    ///  name, natural_t *object_type, mach_vm_address_t *object_addr, kobject_description_t
    ///  object_description);` (the array parameter is a `char *`).
    pub(crate) fn mach_port_kobject_description(
        task: mach_port_t,
        name: mach_port_name_t,
        object_type: *mut natural_t,
        object_addr: *mut mach_vm_address_t,
        object_description: *mut c_char,
    ) -> kern_return_t;

    /// `int proc_listallpids(void *buffer, int buffersize);` (libproc.h): the number of PIDs.
    pub(crate) fn proc_listallpids(buffer: *mut c_void, buffersize: c_int) -> c_int;

    /// `int proc_name(int pid, void *buffer, uint32_t buffersize);` (libproc.h).
    pub(crate) fn proc_name(pid: c_int, buffer: *mut c_void, buffersize: u32) -> c_int;
}

fn kr(code: kern_return_t) -> Kr {
    Kr(code as u32)
}

/// The real port spaces of this Mac.
#[derive(Debug, Clone, Copy, Default)]
pub struct MacPortSpaces;

fn task_port(
    call: unsafe extern "C" fn(mach_port_name_t, c_int, *mut mach_port_name_t) -> kern_return_t,
    pid: Pid,
) -> Result<Port, Errno> {
    let mut t: mach_port_name_t = 0;
    // SAFETY: our own task port; out-pointer to a local.
    let rc = unsafe { call(mach_task_self(), pid, &mut t) };
    if rc == 0 && t != 0 {
        return Ok(t);
    }
    let errno = if rc == -1 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(1)
    } else {
        rc
    };
    Err(Errno(errno))
}

impl PortSpaces for MacPortSpaces {
    fn own_pid(&self) -> Pid {
        std::process::id() as Pid
    }

    fn list_processes(&self) -> Vec<ProcessInfo> {
        // SAFETY: a NULL buffer asks for the count; then a buffer of that many (plus room
        // for processes started meanwhile) is filled; proc_name writes at most `len` bytes.
        unsafe {
            let n = proc_listallpids(std::ptr::null_mut(), 0);
            if n <= 0 {
                return Vec::new();
            }
            let mut pids = vec![0 as c_int; n as usize + 64];
            let bytes = (pids.len() * std::mem::size_of::<c_int>()) as c_int;
            let got = proc_listallpids(pids.as_mut_ptr().cast(), bytes);
            pids.truncate(got.max(0) as usize);
            let mut out: Vec<ProcessInfo> = pids
                .into_iter()
                .map(|pid| {
                    let mut buf = [0u8; 256];
                    let len = proc_name(pid, buf.as_mut_ptr().cast(), buf.len() as u32);
                    let name = if len > 0 {
                        String::from_utf8_lossy(&buf[..len as usize]).into_owned()
                    } else {
                        "?".to_owned()
                    };
                    ProcessInfo { pid, name }
                })
                .collect();
            out.sort_by_key(|p| p.pid);
            out
        }
    }

    fn mach_task_self(&self) -> Port {
        // SAFETY: reads the task's own port name.
        unsafe { mach_task_self() }
    }

    fn task_read_for_pid(&self, pid: Pid) -> Result<Port, Errno> {
        task_port(task_read_for_pid, pid)
    }

    fn task_inspect_for_pid(&self, pid: Pid) -> Result<Port, Errno> {
        task_port(task_inspect_for_pid, pid)
    }

    fn mach_port_space_info(&self, task: Port) -> Result<Vec<NameInfo>, KernReturn> {
        let mut info = IpcInfoSpace::default();
        let mut table: *mut IpcInfoName = std::ptr::null_mut();
        let mut tree: *mut IpcInfoTreeName = std::ptr::null_mut();
        let (mut table_cnt, mut tree_cnt) = (0u32, 0u32);
        // SAFETY: out-pointers to locals. On success both arrays are out-of-line memory in
        // our address space, copied here and then deallocated.
        unsafe {
            let code = kr(mach_port_space_info(
                task,
                &mut info,
                &mut table,
                &mut table_cnt,
                &mut tree,
                &mut tree_cnt,
            ));
            let names = if code.is_success() && !table.is_null() {
                std::slice::from_raw_parts(table, table_cnt as usize)
                    .iter()
                    .map(|n| NameInfo {
                        name: n.iin_name,
                        type_bits: n.iin_type,
                        urefs: n.iin_urefs,
                        object: n.iin_object,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let me = mach_task_self();
            if !table.is_null() && table_cnt > 0 {
                let bytes = u64::from(table_cnt) * std::mem::size_of::<IpcInfoName>() as u64;
                mach_vm_deallocate(me, table as u64, bytes);
            }
            if !tree.is_null() && tree_cnt > 0 {
                let bytes = u64::from(tree_cnt) * std::mem::size_of::<IpcInfoTreeName>() as u64;
                mach_vm_deallocate(me, tree as u64, bytes);
            }
            code.ok()?;
            Ok(names)
        }
    }

    fn mach_port_space_basic_info(&self, task: Port) -> Result<SpaceBasicInfo, KernReturn> {
        let mut info = IpcInfoSpaceBasic::default();
        // SAFETY: out-pointer to a local.
        kr(unsafe { mach_port_space_basic_info(task, &mut info) }).ok()?;
        Ok(SpaceBasicInfo {
            genno_mask: info.iisb_genno_mask,
            table_size: info.iisb_table_size,
            table_next: info.iisb_table_next,
            table_inuse: info.iisb_table_inuse,
        })
    }

    fn mach_port_kobject_description(
        &self,
        task: Port,
        name: Port,
    ) -> Result<KobjectDescription, KernReturn> {
        let mut kotype: natural_t = 0;
        let mut addr: mach_vm_address_t = 0;
        let mut desc = [0 as c_char; KOBJECT_DESCRIPTION_LENGTH];
        // SAFETY: out-pointers to locals; the kernel writes a NUL-terminated string of at
        // most KOBJECT_DESCRIPTION_LENGTH bytes.
        kr(unsafe {
            mach_port_kobject_description(task, name, &mut kotype, &mut addr, desc.as_mut_ptr())
        })
        .ok()?;
        let bytes: Vec<u8> = desc
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        Ok(KobjectDescription {
            kotype,
            address: addr,
            description: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    fn release_task_port(&self, task: Port) {
        // SAFETY: a send right we were given.
        unsafe {
            mach_port_deallocate(mach_task_self(), task);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_sizes_match_ipc_info_h() {
        assert_eq!(std::mem::size_of::<IpcInfoName>(), 28);
        assert_eq!(std::mem::size_of::<IpcInfoTreeName>(), 36);
        assert_eq!(std::mem::size_of::<IpcInfoSpace>(), 24);
        assert_eq!(std::mem::size_of::<IpcInfoSpaceBasic>(), 24);
    }

    #[test]
    fn our_own_space_lists_names() {
        let spaces = MacPortSpaces;
        let names = spaces
            .mach_port_space_info(spaces.mach_task_self())
            .unwrap();
        assert!(!names.is_empty());
        assert!(
            spaces
                .list_processes()
                .iter()
                .any(|p| p.pid == spaces.own_pid())
        );
    }
}
