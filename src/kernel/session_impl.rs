//! [`LiveSession`] over any [`IoKit`]: the walker, the handle table, the probe, the
//! handle lab, hotplug and change polling, written once for the live and the demo kernel.

use super::handles::HandleTable;
use super::ports::PortSpaces;
use super::probe::probe;
use super::{HandleProbe, IoKit, KernReturn, Port, ServiceNotice, Watch, walker};
use crate::kernel::session::{
    Change, DemoControls, DemoError, LabOp, LabOutcome, LiveSession, SessionKind, WalkProgress,
};
use crate::registry::{EntryId, Origin, Registry};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

/// What unplugging or replugging did (registry IDs of the services concerned).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlugEvent {
    pub description: String,
    pub terminated: Vec<u64>,
    pub published: Vec<u64>,
}

/// Plugging devices in and out: only the simulated kernel can.
pub trait PlugControl: Send + Sync {
    /// Unplugs the device with this registry ID, or replugs it if that instance was unplugged.
    fn toggle_device(&self, registry_id: u64) -> Result<PlugEvent, DemoError>;
    /// Toggles the demo's fixed hotplug device (`--demo-hotplug`).
    fn toggle_demo_device(&self) -> Result<PlugEvent, DemoError>;
    /// `--demo-leak`: one step of the demo's leaking app.
    fn demo_leak_step(&self) -> Result<PlugEvent, DemoError> {
        Err(DemoError::LeakNeedsDemo)
    }
}

/// Classes whose instances `toggle_plug` treats as unpluggable devices.
const DEVICE_CLASSES: &[&str] = &["IOUSBHostDevice", "IOUSBDevice"];

/// What the session remembers of the last walk to find parents without the registry.
#[derive(Debug, Default)]
struct Shape {
    /// Per entry: its parent and that plane's name (first plane the entry has a parent in).
    parents: Vec<Option<(EntryId, String)>>,
    /// Per entry: an unpluggable device (class conforms to [`DEVICE_CLASSES`]).
    device: Vec<bool>,
    /// IOService-plane parent, for finding the device above an entry.
    service_parent: Vec<Option<EntryId>>,
}

impl Shape {
    fn of(registry: &Registry) -> Self {
        let n = registry.len();
        let mut shape = Shape {
            parents: vec![None; n],
            device: vec![false; n],
            service_parent: vec![None; n],
        };
        for plane in registry.planes() {
            for (id, _) in registry.entries() {
                if shape.parents[id.index()].is_none()
                    && let Some(p) = plane.parent(id)
                {
                    shape.parents[id.index()] = Some((p, plane.name().to_owned()));
                }
            }
        }
        if let Some(svc) = registry.plane("IOService") {
            for (id, e) in registry.entries() {
                shape.service_parent[id.index()] = svc.parent(id);
                shape.device[id.index()] = e.class.is_some_and(|c| {
                    DEVICE_CLASSES
                        .iter()
                        .any(|d| registry.classes.conforms_to(c, d))
                });
            }
        }
        shape
    }
}

/// A walked kernel with the handles we hold in it.
///
/// Notifications: [`KernelSession::with_watch`] subscribes to publish/terminate notices.
/// Note that on a Mac a terminated notification *holds* each matching service's port
/// (`setMachPortHoldDestroy`), so while watching, unplugged services' handles stay live
/// send rights instead of turning into dead names. The demo session therefore does not
/// watch; its changes come from the toggles it makes itself.
pub struct KernelSession<K: IoKit + ?Sized + 'static> {
    table: HandleTable<K>,
    origin: Origin,
    plug: Option<Arc<dyn PlugControl>>,
    watch: Option<(Box<dyn Watch>, Receiver<ServiceNotice>)>,
    pending: Vec<Change>,
    shape: Shape,
    ports: Option<Arc<dyn PortSpaces>>,
}

impl<K: IoKit + ?Sized + 'static> KernelSession<K> {
    /// A session over `kit`; `origin` is `Live` or `Demo` (the walked registry says which).
    pub fn new(kit: Arc<K>, origin: Origin) -> Self {
        KernelSession {
            table: HandleTable::new(kit),
            origin,
            plug: None,
            watch: None,
            pending: Vec::new(),
            shape: Shape::default(),
            ports: None,
        }
    }

    /// Enables the demo's controls ([`LiveSession::demo`]: unplugging, hotplug, the leaking app).
    pub fn with_plug(mut self, plug: Arc<dyn PlugControl>) -> Self {
        self.plug = Some(plug);
        self
    }

    /// Enables [`LiveSession::port_spaces`]: the same kernel's other tasks.
    pub fn with_port_spaces(mut self, ports: Arc<dyn PortSpaces>) -> Self {
        self.ports = Some(ports);
        self
    }

    /// Subscribes to publish/terminate notifications (see the type's note on holding).
    pub fn with_watch(mut self) -> Result<Self, KernReturn> {
        let (tx, rx) = channel();
        let guard = self.table.kit().watch_services(tx)?;
        self.watch = Some((guard, rx));
        Ok(self)
    }

    #[cfg(test)]
    pub(crate) fn handles(&self) -> &HandleTable<K> {
        &self.table
    }

    fn probe_entry(&mut self, entry: EntryId) -> Option<HandleProbe> {
        let kit = Arc::clone(self.table.kit_arc());
        let handle = self.table.get_mut(entry)?;
        Some(probe(&*kit, handle))
    }

    /// Another reference on `entry`: lookup by registry ID, or (for entries that are not
    /// services) re-iterating its parent's children. 0 if neither finds it.
    fn obtain(&self, entry: EntryId, registry_id: u64) -> (Port, &'static str) {
        let kit = self.table.kit();
        let port = kit.service_get_matching_service_by_id(registry_id);
        if port != 0 {
            return (port, "IOServiceGetMatchingService");
        }
        let Some((parent, plane)) = self.shape.parents.get(entry.index()).cloned().flatten() else {
            let root = kit.registry_get_root_entry();
            let is_it = kit.registry_entry_get_registry_entry_id(root) == Ok(registry_id);
            if !is_it && root != 0 {
                kit.object_release(root);
            }
            return (if is_it { root } else { 0 }, "IORegistryGetRootEntry");
        };
        let Some(parent_port) = self
            .table
            .get(parent)
            .filter(|h| h.held > 0)
            .map(|h| h.port)
        else {
            return (0, "IOIteratorNext");
        };
        let Ok(iter) = kit.registry_entry_get_child_iterator(parent_port, &plane) else {
            return (0, "IORegistryEntryGetChildIterator");
        };
        let mut found = 0;
        loop {
            let child = kit.iterator_next(iter);
            if child == 0 {
                break;
            }
            if found == 0 && kit.registry_entry_get_registry_entry_id(child) == Ok(registry_id) {
                found = child;
            } else {
                kit.object_release(child);
            }
        }
        kit.object_release(iter);
        (found, "IOIteratorNext")
    }

    /// Runs `op`; returns the call made and its own return code.
    fn lab_op(&mut self, entry: EntryId, op: LabOp) -> Option<(&'static str, KernReturn)> {
        let registry_id = self.table.registry_id(entry)?;
        match op {
            LabOp::Retain | LabOp::Release => {
                let port = self.table.get(entry)?.port;
                let (call, code) = match op {
                    LabOp::Retain => ("IOObjectRetain", self.table.kit().object_retain(port)),
                    _ => ("IOObjectRelease", self.table.kit().object_release(port)),
                };
                let h = self.table.get_mut(entry)?;
                if code.is_success() {
                    h.held = match op {
                        LabOp::Retain => h.held + 1,
                        _ => h.held.saturating_sub(1),
                    };
                } else {
                    h.last_error = Some((call.into(), code));
                }
                Some((call, code))
            }
            LabOp::Obtain => {
                let (port, call) = self.obtain(entry, registry_id);
                if port == 0 {
                    self.table.get_mut(entry)?.last_error =
                        Some((call.into(), KernReturn::IO_RETURN_NOT_FOUND));
                    Some((call, KernReturn::IO_RETURN_NOT_FOUND))
                } else {
                    let h = self.table.get_mut(entry)?;
                    if h.port == port && h.held > 0 {
                        h.held += 1;
                    } else {
                        // Our old name is stale (or another right): the fresh one replaces it.
                        self.table.adopt(registry_id, port);
                    }
                    Some((call, KernReturn::SUCCESS))
                }
            }
        }
    }

    fn drain_notices(&mut self) {
        let Some((_, rx)) = &self.watch else { return };
        let notices: Vec<ServiceNotice> = rx.try_iter().collect();
        let kit = self.table.kit();
        for notice in notices {
            let (port, published) = match notice {
                ServiceNotice::FirstPublished(p) => (p, true),
                ServiceNotice::Terminated(p) => (p, false),
            };
            let registry_id = kit.registry_entry_get_registry_entry_id(port).ok();
            kit.object_release(port);
            self.pending.push(if published {
                Change::Published { registry_id }
            } else {
                Change::Terminated { registry_id }
            });
        }
    }

    fn record(&mut self, event: &PlugEvent) {
        if self.watch.is_some() {
            return; // the notifications report it
        }
        self.pending
            .extend(event.terminated.iter().map(|&id| Change::Terminated {
                registry_id: Some(id),
            }));
        self.pending
            .extend(event.published.iter().map(|&id| Change::Published {
                registry_id: Some(id),
            }));
    }
}

impl<K: IoKit + ?Sized + 'static> Drop for KernelSession<K> {
    /// Unsubscribes, then gives back the reference each notice not yet polled carries
    /// (every notice is a new uref on its service's name). Without this, dropping a
    /// watching session after an unplug left one uref per terminated service behind.
    /// The handle table (a field) releases its own handles after this runs.
    fn drop(&mut self) {
        if let Some((guard, rx)) = self.watch.take() {
            drop(guard);
            for notice in rx.try_iter() {
                let (ServiceNotice::FirstPublished(port) | ServiceNotice::Terminated(port)) =
                    notice;
                self.table.kit().object_release(port);
            }
        }
    }
}

impl<K: IoKit + ?Sized + 'static> LiveSession for KernelSession<K> {
    fn kind(&self) -> SessionKind {
        match self.origin {
            Origin::Live => SessionKind::Live,
            _ => SessionKind::Demo,
        }
    }

    fn walk(&mut self, progress: &mut dyn FnMut(WalkProgress)) -> Result<Registry, KernReturn> {
        let registry = walker::walk(&mut self.table, self.origin, progress)?;
        self.shape = Shape::of(&registry);
        Ok(registry)
    }

    fn probe(&mut self, entry: EntryId) -> Option<HandleProbe> {
        self.probe_entry(entry)
    }

    fn probe_all(&mut self) -> Vec<(EntryId, HandleProbe)> {
        self.table
            .entry_ids()
            .into_iter()
            .filter_map(|e| Some((e, self.probe_entry(e)?)))
            .collect()
    }

    fn lab(&mut self, entry: EntryId, op: LabOp) -> Option<LabOutcome> {
        let (call, code) = self.lab_op(entry, op)?;
        Some(LabOutcome {
            call,
            code,
            probe: self.probe_entry(entry)?,
        })
    }

    fn demo(&mut self) -> Option<&mut dyn DemoControls> {
        if self.plug.is_some() {
            Some(self)
        } else {
            None
        }
    }

    fn poll_changes(&mut self) -> Vec<Change> {
        self.drain_notices();
        std::mem::take(&mut self.pending)
    }

    fn port_spaces(&self) -> Option<Arc<dyn PortSpaces>> {
        self.ports.clone()
    }
}

/// The demo's controls: only a session given a [`PlugControl`] (the simulated Mac) hands
/// them out through [`LiveSession::demo`].
impl<K: IoKit + ?Sized + 'static> DemoControls for KernelSession<K> {
    fn toggle_plug(&mut self, entry: EntryId) -> Result<String, DemoError> {
        let plug = self.plug.clone().ok_or(DemoError::UnplugNeedsDemo)?;
        let mut cur = Some(entry);
        let mut steps = 0;
        while let Some(e) = cur {
            if self.shape.device.get(e.index()).copied().unwrap_or(false) {
                let id = self.table.registry_id(e).ok_or(DemoError::NoRegistryId)?;
                let event = plug.toggle_device(id)?;
                self.record(&event);
                return Ok(event.description);
            }
            cur = self.shape.service_parent.get(e.index()).copied().flatten();
            steps += 1;
            if steps > 512 {
                break;
            }
        }
        Err(DemoError::NoDeviceAbove)
    }

    fn demo_hotplug(&mut self) -> Result<String, DemoError> {
        let plug = self.plug.clone().ok_or(DemoError::HotplugNeedsDemo)?;
        let event = plug.toggle_demo_device()?;
        self.record(&event);
        Ok(event.description)
    }

    fn demo_leak(&mut self) -> Result<String, DemoError> {
        let plug = self.plug.clone().ok_or(DemoError::LeakNeedsDemo)?;
        let event = plug.demo_leak_step()?;
        self.record(&event);
        Ok(event.description)
    }
}
