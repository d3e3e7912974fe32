//! The simulated Mac kernel: a deterministic registry and a Mach port name space
//! that follow xnu's rules, behind the same [`IoKit`](crate::kernel::IoKit) seam as the real one.
//!
//! - `ports`: kernel ports and our task's name space (names, urefs, dead names).
//! - `objects`: registry entries and iterators, plane links, reference counts.
//! - `catalogue`: its classes, devices, kext services and processes, shared by the
//!   machine and the `testkit` generator of big registries (`generate`); `rng` their
//!   one fixed-seed random source.
//! - [`machine`]: what the simulated Mac contains (about 1,500 entries, four planes), and
//!   its unpluggable device slots.
//! - `iokit`: the `IoKit` implementation (one method per C call).
//! - `hotplug`: unplugging / replugging USB devices, and publish/terminate notifications
//!   (it uses the machine; the machine knows nothing of it).
//!
//! All state sits behind one `Mutex` (the trait takes `&self` and is `Send + Sync`).

pub(crate) mod catalogue;
#[cfg(feature = "testkit")]
pub mod generate;
pub(crate) mod hotplug;
pub(crate) mod iokit;
pub mod leaky;
pub mod machine;
pub(crate) mod objects;
pub(crate) mod ports;
pub(crate) mod rng;
pub(crate) mod tasks;
#[cfg(test)]
mod tests;

use crate::kernel::{KernReturn, KernelSession, Port, ServiceNotice};
use crate::registry::Origin;
#[cfg(test)]
use crate::registry::{EntryId, Registry};
use machine::Devices;
use objects::{Body, ObjId, Objects};
use ports::{NameSpace, PortId, PortKind, PortTable};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};

/// A registered `watch_services` subscriber.
pub(crate) struct WatchRec {
    pub id: u64,
    pub sink: Sender<ServiceNotice>,
}

/// The whole simulated kernel plus our task's IPC space.
pub(crate) struct State {
    pub objs: Objects,
    pub ports: PortTable,
    pub space: NameSpace,
    pub root: ObjId,
    pub devices: Devices,
    pub watches: Vec<WatchRec>,
    pub next_watch: u64,
    /// Entries an unplug terminated or detached: freed once no port of theirs is alive
    /// (as the kernel frees an object at its last release), at the next unplug or replug.
    pub doomed: Vec<ObjId>,
    /// Other tasks and their port spaces (the port census: `tasks.rs`).
    pub tasks: tasks::Tasks,
    /// `--demo-leak`: user clients the leaking app opened (and iterators it forgot).
    pub leaked: u64,
}

/// The simulated Mac. Cheap to share: clone the `Arc` you keep it in.
pub struct SimKernel {
    state: Arc<Mutex<State>>,
}

impl Default for SimKernel {
    fn default() -> Self {
        Self::new()
    }
}

/// Where `OSObject::taggedRetain` stops counting (0xffff would mean "being freed").
const RETAIN_SATURATED: u32 = 0xfffe;

/// How many names our task holds before it touches IOKit (bootstrap, reply ports, …).
const RUNTIME_NAMES: usize = 6;

impl SimKernel {
    /// Boots the simulated Mac (always the same machine, the same names and IDs).
    pub fn new() -> Self {
        let mut ports = PortTable::default();
        let mut space = NameSpace::new();
        for _ in 0..RUNTIME_NAMES {
            let p = ports.alloc_other();
            space.insert_receive(p);
        }
        let (objs, root, devices) = machine::build();
        SimKernel {
            state: Arc::new(Mutex::new(State {
                objs,
                ports,
                space,
                root,
                devices,
                watches: Vec::new(),
                next_watch: 1,
                doomed: Vec::new(),
                tasks: tasks::Tasks::default(),
                leaked: 0,
            })),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent-enough state for a demo.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    /// `mach_port_mod_refs(mach_task_self(), name, right, delta)` (not on the seam; for tests
    /// and for the rules it shares with `IOObjectRetain`).
    pub(crate) fn mach_port_mod_refs(&self, name: Port, right: u32, delta: i32) -> KernReturn {
        self.lock().mod_refs(name, right, delta)
    }

    #[cfg(test)]
    /// Entry count of the machine as booted (every object that is a registry entry).
    pub(crate) fn entry_count(&self) -> usize {
        let st = self.lock();
        (0..st.objs.len() as u32)
            .filter(|&i| st.objs.entry(ObjId(i)).is_some())
            .count()
    }

    #[cfg(test)]
    /// The kernel's own references on an entry, without our port and call (tests compare
    /// `IOObjectGetKernelRetainCount` with this + 2).
    pub(crate) fn base_refs(&self, registry_id: u64) -> Option<u32> {
        let st = self.lock();
        let obj = st.objs.by_registry_id(registry_id)?;
        Some(st.base_refs(obj))
    }

    #[cfg(test)]
    /// Sizes of the kernel's object and port tables (tests: repeated walks must not grow them).
    pub(crate) fn table_sizes(&self) -> (usize, usize) {
        let st = self.lock();
        (st.objs.len(), st.ports.len())
    }

    #[cfg(test)]
    /// The registry ID of the first attached entry with this name, in creation order (the
    /// lowest ID: object slots are reused, IDs never are) (tests and the demo timer).
    pub(crate) fn find_registry_id(&self, name: &str) -> Option<u64> {
        let st = self.lock();
        (0..st.objs.len() as u32)
            .filter_map(|i| st.objs.entry(ObjId(i)))
            .filter(|e| e.name == name && e.planes.iter().any(|l| l.member))
            .map(|e| e.registry_id)
            .min()
    }
}

impl State {
    /// Sends an object to our task: the object port (created if needed) copied out.
    pub(crate) fn send_object(&mut self, obj: ObjId) -> Port {
        let port = self.ports.port_for(obj, PortKind::Object);
        self.space.copyout_send(port)
    }

    #[cfg(test)]
    /// Sends a user client's connect port to our task.
    pub(crate) fn send_connect(&mut self, obj: ObjId) -> Port {
        let port = self.ports.port_for(obj, PortKind::Connect);
        self.space.copyout_send(port)
    }

    /// MIG intran `iokit_lookup_object_port`: the object a name sends to.
    /// Stale names fail with `MACH_SEND_INVALID_DEST`; a connect port with `kIOReturnBadArgument`.
    pub(crate) fn object_of(&mut self, name: Port) -> Result<ObjId, KernReturn> {
        let port = self.space.copyin_send(name, &self.ports)?;
        let rec = self.ports.get(port);
        match (rec.kind, rec.object) {
            (PortKind::Object, Some(obj)) => Ok(obj),
            _ => Err(KernReturn::IO_RETURN_BAD_ARGUMENT),
        }
    }

    /// The registry entry a name sends to (`kIOReturnBadArgument` for an iterator).
    pub(crate) fn entry_of(&mut self, name: Port) -> Result<ObjId, KernReturn> {
        let obj = self.object_of(name)?;
        match self.objs.get(obj).body {
            Body::Entry(_) => Ok(obj),
            Body::Iterator(_) => Err(KernReturn::IO_RETURN_BAD_ARGUMENT),
        }
    }

    /// The no-senders notification: IOKit destroys the port (and frees an iterator).
    /// No right names the port any more, so its record is reused too (a dead name's port
    /// was destroyed at termination already).
    fn no_senders(&mut self, port: PortId) {
        if self.tasks.refer_to(port) {
            return; // Another task still names the port.
        }
        if self.ports.destroy(port)
            && let Some(obj) = self.ports.get(port).object
            && matches!(self.objs.get(obj).body, Body::Iterator(_))
        {
            self.objs.free_iterator(obj);
        }
        self.ports.recycle(port);
    }

    /// `mach_port_deallocate` (`IOObjectRelease`).
    pub(crate) fn deallocate(&mut self, name: Port) -> KernReturn {
        match self.space.deallocate(name, &self.ports) {
            Ok(gone) => {
                if let Some(port) = gone {
                    self.no_senders(port);
                }
                KernReturn::SUCCESS
            }
            Err(code) => code,
        }
    }

    /// `mach_port_mod_refs`.
    pub(crate) fn mod_refs(&mut self, name: Port, right: u32, delta: i32) -> KernReturn {
        match self.space.mod_refs(name, right, delta, &self.ports) {
            Ok(gone) => {
                if let Some(port) = gone {
                    self.no_senders(port);
                }
                KernReturn::SUCCESS
            }
            Err(code) => code,
        }
    }

    /// References other than our ports and the call in progress.
    pub(crate) fn base_refs(&self, obj: ObjId) -> u32 {
        self.objs.get(obj).extra_refs + self.objs.link_refs(obj)
    }

    /// `getRetainCount()` as `io_object_get_retain_count` reads it: base + 1 per live port
    /// (object, connect) + 1 for the call in progress, low 16 bits of a counter that
    /// `taggedRetain` stops at 0xfffe (rules §1), so never above 0xfffe. (This used to
    /// mask with 0xffff, which wrapped a count past 0xffff round to small numbers.)
    pub(crate) fn kernel_retain(&self, obj: ObjId) -> u32 {
        let ports = [PortKind::Object, PortKind::Connect]
            .iter()
            .filter(|&&k| self.ports.existing(obj, k).is_some())
            .count() as u32;
        (self.base_refs(obj) + ports + 1).min(RETAIN_SATURATED)
    }
}

#[cfg(test)]
/// The registry entry under which the demo's hotplug device sits (`--demo-hotplug`):
/// the USB device `DemoControls::demo_hotplug` toggles, when it is in `registry`.
pub(crate) fn hotplug_target(registry: &Registry) -> Option<EntryId> {
    registry.entries().find_map(|(id, e)| {
        (e.name == machine::HOTPLUG_DEVICE && registry.class_name(id) == Some("IOUSBHostDevice"))
            .then_some(id)
    })
}

/// A session over a freshly booted simulated Mac (the demo), with unplugging enabled and
/// the other processes started before the first walk (so that reading their port spaces,
/// `P`, changes no retain count the registry shows).
pub fn demo_session() -> KernelSession<SimKernel> {
    let sim = Arc::new(SimKernel::new());
    sim.set_port_policy(tasks::PortPolicy::default());
    session_over(sim)
}

/// The demo with its leaking app (`--demo-leak`): the app and the census's other processes
/// are started before the first walk, so that every port they hold is there from the start.
pub(crate) fn demo_leak_session() -> KernelSession<SimKernel> {
    let sim = Arc::new(SimKernel::new());
    sim.spawn_leaker(0);
    session_over(sim)
}

fn session_over(sim: Arc<SimKernel>) -> KernelSession<SimKernel> {
    KernelSession::new(sim.clone(), Origin::Demo)
        .with_plug(sim.clone())
        .with_port_spaces(sim)
}
