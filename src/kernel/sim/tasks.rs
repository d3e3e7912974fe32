//! Other tasks of the simulated Mac, each with its own port space, and the calls that read
//! those spaces from outside ([`PortSpaces`]).
//!
//! - A port is one per (object, kind) and shared by every task that names it (the
//!   [`PortTable`](super::ports::PortTable) is the kernel's); each task's
//!   [`NameSpace`] follows the same xnu rules as ours: copy-out coalesces onto the name the
//!   task already has (urefs + 1, pegged at 65535), a freed name comes back with a new
//!   generation, a send right whose port was destroyed (its service terminated) turns into a
//!   dead name. A port is destroyed for no-senders only when no task names it any more.
//! - The processes are the ones whose user clients the machine holds (`IOUserClientCreator`),
//!   with the connect port of each client and the object port of the service it opened;
//!   `kernel_task` and `launchd`; a third-party app; and the demo's leaking app
//!   ([`super::leaky`], built with `get-task-allow`), whose task starts with its first step.
//! - Policy (macOS 11+, bsd/vm/vm_unix.c): a read port for pid 0 is `EPERM`; an unknown pid
//!   `ESRCH`; a SIP-protected target (every Apple platform binary here) `EPERM` for everyone;
//!   else root gets it, and the same user gets it from a target signed with `get-task-allow`.
//!   An inspect port is given to root and to the same user. `mach_port_space_info` and
//!   `mach_port_kobject_description` need a read port: an inspect port gives
//!   `KERN_INVALID_ARGUMENT`. Descriptions `Class(0xREGISTRYID)` only on a kernel from
//!   10.15.5 on ([`PortPolicy::old_kernel`]).

use super::objects::{Body, ObjId, SERVICE};
use super::ports::{NameSpace, PortId, PortKind};
use super::{SimKernel, State};
use crate::kernel::ports::census::UREFS_MAX;
use crate::kernel::ports::{
    Errno, KobjectDescription, NameInfo, Pid, PortSpaces, ProcessInfo, SpaceBasicInfo, kotype,
};
use crate::kernel::{KernReturn, Port, port_type, right};
use crate::registry::Value;
use std::collections::HashMap;

/// Our own PID in the simulated Mac (the `IOUserClientCreator` of clients we open).
pub(crate) const OWN_PID: Pid = 4242;
/// Our user ID (the console user).
pub(crate) const OWN_UID: u32 = 501;

/// The switches that decide who may read whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PortPolicy {
    /// ioscope runs as root.
    pub root: bool,
    /// A kernel before 10.15.5: IOKit ports have a type but no description.
    pub old_kernel: bool,
}

/// One simulated process.
#[derive(Debug)]
pub(crate) struct SimTask {
    pub pid: Pid,
    pub name: String,
    pub uid: u32,
    pub get_task_allow: bool,
    /// A SIP-protected (platform) binary.
    pub sip: bool,
    pub space: NameSpace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Flavor {
    Control,
    Read,
    Inspect,
}

/// Every other task, and the task ports we were given.
#[derive(Debug, Default)]
pub(crate) struct Tasks {
    booted: bool,
    list: Vec<SimTask>,
    policy: PortPolicy,
    /// Task ports named in our space: port → (pid, flavor).
    task_ports: HashMap<PortId, (Pid, Flavor)>,
    by_task: HashMap<(Pid, Flavor), PortId>,
}

impl Tasks {
    /// Whether another task names `port` (send right or dead name).
    pub(crate) fn refer_to(&self, port: PortId) -> bool {
        self.list.iter().any(|t| t.space.refers_to(port))
    }

    fn get(&self, pid: Pid) -> Option<&SimTask> {
        self.list.iter().find(|t| t.pid == pid)
    }

    fn index(&self, pid: Pid) -> Option<usize> {
        self.list.iter().position(|t| t.pid == pid)
    }
}

fn creator(value: Option<&Value>) -> Option<(Pid, String)> {
    let Some(Value::String(text)) = value else {
        return None;
    };
    let (pid, name) = crate::registry::parse_creator(&text.to_string_lossy())?;
    Some((Pid::try_from(pid).ok()?, name))
}

impl State {
    /// Boots the other tasks on first use (so a machine that never runs the census keeps
    /// exactly the names and ports it always had).
    fn boot_tasks(&mut self) {
        if self.tasks.booted {
            return;
        }
        self.tasks.booted = true;
        // Tasks started before the census (the leaking app) hold their own ports already.
        let started: Vec<Pid> = self.tasks.list.iter().map(|t| t.pid).collect();
        let fixed: [(Pid, &str, u32, bool, bool); 3] = [
            (0, "kernel_task", 0, false, true),
            (1, "launchd", 0, false, true),
            (2210, "zoom.us", OWN_UID, false, false),
        ];
        for (pid, name, uid, allow, sip) in fixed {
            self.add_task(pid, name, uid, allow, sip);
        }
        // The clients the machine booted with: their creators hold the connect port and
        // the object port of the service they opened.
        let mut clients = Vec::new();
        for i in 0..self.objs.len() as u32 {
            let obj = ObjId(i);
            if let Some(e) = self.objs.entry(obj)
                && let Some((pid, name)) = creator(
                    e.properties
                        .iter()
                        .find(|(k, _)| k == "IOUserClientCreator")
                        .map(|(_, v)| v),
                )
                && pid != OWN_PID
                && !started.contains(&pid)
            {
                clients.push((pid, name, obj, e.planes[SERVICE].parent));
            }
        }
        for (pid, name, client, service) in clients {
            if self.tasks.get(pid).is_none() {
                // Every process the demo machine names is an Apple platform binary.
                self.add_task(pid, &name, OWN_UID, false, true);
            }
            self.give(pid, client, PortKind::Connect);
            if let Some(s) = service {
                self.give(pid, s, PortKind::Object);
            }
        }
    }

    /// Adds task `pid` unless it exists (without booting the others).
    pub(crate) fn ensure_task(
        &mut self,
        pid: Pid,
        name: &str,
        uid: u32,
        get_task_allow: bool,
        sip: bool,
    ) {
        if self.tasks.get(pid).is_none() {
            self.add_task(pid, name, uid, get_task_allow, sip);
        }
    }

    /// The port space of task `pid` (ours for [`OWN_PID`]) and the kernel's ports: the one
    /// lookup every call on another task's space goes through.
    fn space_of(
        &mut self,
        pid: Pid,
    ) -> Result<(&mut NameSpace, &super::ports::PortTable), KernReturn> {
        let space = if pid == OWN_PID {
            &mut self.space
        } else {
            let i = self.tasks.index(pid).ok_or_else(invalid_task)?;
            &mut self.tasks.list[i].space
        };
        Ok((space, &self.ports))
    }

    fn add_task(&mut self, pid: Pid, name: &str, uid: u32, get_task_allow: bool, sip: bool) {
        let mut space = NameSpace::new();
        // bootstrap, reply and notification ports: no IOKit object.
        for _ in 0..4 {
            let p = self.ports.alloc_other();
            space.insert_receive(p);
        }
        self.tasks.list.push(SimTask {
            pid,
            name: name.to_owned(),
            uid,
            get_task_allow,
            sip,
            space,
        });
    }

    /// Sends an object's port of `kind` to task `pid` (copy-out into its space).
    pub(crate) fn give(&mut self, pid: Pid, obj: ObjId, kind: PortKind) -> Option<Port> {
        let i = self.tasks.index(pid)?;
        let port = self.ports.port_for(obj, kind);
        Some(self.tasks.list[i].space.copyout_send(port))
    }

    /// A task port for `pid` of `flavor`, sent to our task (one port per task and flavor).
    fn task_port(&mut self, pid: Pid, flavor: Flavor) -> Port {
        let port = match self.tasks.by_task.get(&(pid, flavor)) {
            Some(&p) if self.ports.is_active(p) => p,
            _ => {
                let p = self.ports.alloc_other();
                self.tasks.by_task.insert((pid, flavor), p);
                self.tasks.task_ports.insert(p, (pid, flavor));
                p
            }
        };
        self.space.copyout_send(port)
    }

    /// The task a task-port name of ours stands for, given the flavor the call needs.
    fn task_of(&mut self, task: Port, need_read: bool) -> Result<Pid, KernReturn> {
        let port = self.space.copyin_send(task, &self.ports)?;
        let &(pid, flavor) = self
            .tasks
            .task_ports
            .get(&port)
            .ok_or(KernReturn::INVALID_ARGUMENT)?;
        if need_read && flavor == Flavor::Inspect {
            // MIG's convert_port_to_space_read gives IS_NULL for a weaker port.
            return Err(KernReturn::INVALID_ARGUMENT);
        }
        Ok(pid)
    }

    fn read_refusal(&self, pid: Pid, inspect: bool) -> Option<Errno> {
        if pid == 0 {
            return Some(Errno::EPERM);
        }
        if pid == OWN_PID {
            return None;
        }
        let Some(t) = self.tasks.get(pid) else {
            return Some(Errno::ESRCH);
        };
        let policy = self.tasks.policy;
        let allowed = if inspect {
            policy.root || t.uid == OWN_UID
        } else {
            !t.sip && (policy.root || (t.uid == OWN_UID && t.get_task_allow))
        };
        (!allowed).then_some(Errno::EPERM)
    }

    fn describe_port(&self, port: PortId) -> KobjectDescription {
        let rec = self.ports.get(port);
        let kotype = match rec.kind {
            PortKind::Object => kotype::IOKIT_OBJECT,
            PortKind::Connect => kotype::IOKIT_CONNECT,
            PortKind::Other => match self.tasks.task_ports.get(&port) {
                Some((_, Flavor::Control)) => kotype::TASK_CONTROL,
                Some((_, Flavor::Read)) => kotype::TASK_READ,
                Some((_, Flavor::Inspect)) => kotype::TASK_INSPECT,
                None => kotype::NONE,
            },
        };
        let description = match (rec.object, self.tasks.policy.old_kernel) {
            (Some(obj), false) => match &self.objs.get(obj).body {
                // IOKit's iokit_port_object_description: "%s(0x%qx)".
                Body::Entry(e) => format!("{}({:#x})", e.class, e.registry_id),
                Body::Iterator(i) => i.class.to_owned(),
            },
            _ => String::new(),
        };
        KobjectDescription {
            kotype,
            address: 0,
            description,
        }
    }
}

impl SimKernel {
    fn booted(&self) -> std::sync::MutexGuard<'_, State> {
        let mut st = self.lock();
        st.boot_tasks();
        st
    }

    /// Sets who ioscope is (root or not) and which kernel the Mac runs.
    pub(crate) fn set_port_policy(&self, policy: PortPolicy) {
        self.booted().tasks.policy = policy;
    }

    /// Adds a process (tests): its user ID, whether it was signed with `get-task-allow`,
    /// whether SIP protects it.
    pub(crate) fn spawn_task(
        &self,
        pid: Pid,
        name: &str,
        uid: u32,
        get_task_allow: bool,
        sip: bool,
    ) {
        self.booted()
            .ensure_task(pid, name, uid, get_task_allow, sip);
    }

    #[cfg(test)]
    /// Task `pid` looks up the entry with `registry_id` (`IOServiceGetMatchingService`): its
    /// object port copied out to that task. `None` when either is unknown.
    pub(crate) fn task_obtain(&self, pid: Pid, registry_id: u64) -> Option<Port> {
        let mut st = self.booted();
        let obj = st.objs.by_registry_id(registry_id)?;
        st.give(pid, obj, PortKind::Object)
    }

    #[cfg(test)]
    /// Task `pid` calls `mach_port_deallocate(mach_task_self(), name)`.
    pub(crate) fn task_release(&self, pid: Pid, name: Port) -> KernReturn {
        let mut st = self.booted();
        let st = &mut *st;
        let Some(i) = st.tasks.index(pid) else {
            return KernReturn::INVALID_ARGUMENT;
        };
        match st.tasks.list[i].space.deallocate(name, &st.ports) {
            Ok(Some(port)) => {
                if !st.space.refers_to(port) {
                    st.no_senders(port);
                }
                KernReturn::SUCCESS
            }
            Ok(None) => KernReturn::SUCCESS,
            Err(code) => code,
        }
    }

    #[cfg(test)]
    /// `mach_port_get_refs` in task `pid`'s space (tests).
    pub(crate) fn task_refs(&self, pid: Pid, name: Port, which: u32) -> Result<u32, KernReturn> {
        let mut st = self.booted();
        if pid != OWN_PID && st.tasks.index(pid).is_none() {
            return Err(KernReturn::INVALID_ARGUMENT);
        }
        let (space, ports) = st.space_of(pid)?;
        space.get_refs(name, which, ports)
    }
}

/// `KERN_INVALID_TASK`: the task is gone.
fn invalid_task() -> KernReturn {
    KernReturn::parse("KERN_INVALID_TASK").expect("KERN_INVALID_TASK is in the code table")
}

fn urefs_of(space: &mut NameSpace, name: Port, bits: u32, ports: &super::ports::PortTable) -> u32 {
    let which = if bits & port_type::DEAD_NAME != 0 {
        right::DEAD_NAME
    } else if bits & port_type::SEND != 0 {
        right::SEND
    } else {
        right::RECEIVE
    };
    space
        .get_refs(name, which, ports)
        .unwrap_or(0)
        .min(UREFS_MAX)
}

impl PortSpaces for SimKernel {
    fn own_pid(&self) -> Pid {
        OWN_PID
    }

    fn list_processes(&self) -> Vec<ProcessInfo> {
        let st = self.booted();
        let mut out: Vec<ProcessInfo> = st
            .tasks
            .list
            .iter()
            .map(|t| ProcessInfo {
                pid: t.pid,
                name: t.name.clone(),
            })
            .chain(std::iter::once(ProcessInfo {
                pid: OWN_PID,
                name: "ioscope".into(),
            }))
            .collect();
        out.sort_by_key(|p| p.pid);
        out
    }

    fn mach_task_self(&self) -> Port {
        self.booted().task_port(OWN_PID, Flavor::Control)
    }

    fn task_read_for_pid(&self, pid: Pid) -> Result<Port, Errno> {
        let mut st = self.booted();
        match st.read_refusal(pid, false) {
            Some(errno) => Err(errno),
            None => Ok(st.task_port(pid, Flavor::Read)),
        }
    }

    fn task_inspect_for_pid(&self, pid: Pid) -> Result<Port, Errno> {
        let mut st = self.booted();
        match st.read_refusal(pid, true) {
            Some(errno) => Err(errno),
            None => Ok(st.task_port(pid, Flavor::Inspect)),
        }
    }

    fn mach_port_space_info(&self, task: Port) -> Result<Vec<NameInfo>, KernReturn> {
        let mut st = self.booted();
        let st = &mut *st;
        let pid = st.task_of(task, true)?;
        let (space, ports) = st.space_of(pid)?;
        let names = space.names(ports);
        Ok(names
            .into_iter()
            .map(|(name, bits)| NameInfo {
                name,
                type_bits: bits,
                urefs: urefs_of(space, name, bits, ports),
                object: space.port_of(name).map_or(0, |p| 0x1000_0000 | (p.0 << 4)),
            })
            .collect())
    }

    fn mach_port_space_basic_info(&self, task: Port) -> Result<SpaceBasicInfo, KernReturn> {
        let mut st = self.booted();
        let st = &mut *st;
        let pid = st.task_of(task, false)?;
        let (space, ports) = st.space_of(pid)?;
        let size = space.table_len() as u32;
        Ok(SpaceBasicInfo {
            genno_mask: 0xff,
            table_size: size,
            table_next: size.next_power_of_two().max(size + 1),
            table_inuse: space.names(ports).len() as u32,
        })
    }

    fn mach_port_kobject_description(
        &self,
        task: Port,
        name: Port,
    ) -> Result<KobjectDescription, KernReturn> {
        let mut st = self.booted();
        let st = &mut *st;
        let pid = st.task_of(task, true)?;
        let (space, ports) = st.space_of(pid)?;
        let bits = space.type_of(name, ports)?;
        if bits & (port_type::SEND | port_type::RECEIVE) == 0 {
            // `(bits & MACH_PORT_TYPE_SEND_RECEIVE) == 0`: a dead name names no port.
            return Err(KernReturn::INVALID_RIGHT);
        }
        let port = space.port_of(name).ok_or(KernReturn::INVALID_NAME)?;
        Ok(st.describe_port(port))
    }

    fn release_task_port(&self, task: Port) {
        let mut st = self.lock();
        let port = st.space.port_of(task);
        st.deallocate(task);
        if let Some(p) = port
            && !st.space.refers_to(p)
            && let Some(key) = st.tasks.task_ports.remove(&p)
        {
            st.tasks.by_task.remove(&key);
        }
    }
}

#[cfg(test)]
#[path = "tasks_tests.rs"]
mod tests;
