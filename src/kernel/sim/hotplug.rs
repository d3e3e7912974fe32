//! Unplugging and replugging USB devices, user clients, and publish/terminate
//! notifications.
//!
//! Unplugging terminates the device's IOService subtree (its IOPower connections are
//! only detached, as `PMstop` does): every victim goes inactive, terminated notifications fire (a watcher *holds* the
//! port: `setMachPortHoldDestroy`, IOUserClient.cpp:1031), then `destroyUserReferences`
//! destroys the object and connect ports of each service not held, so our names for
//! them turn into dead names on next use; then the victims are detached from every
//! plane. Replugging builds the device again: new objects, new registry IDs.

use super::machine;
use super::objects::{ObjId, POWER, SERVICE};
use super::ports::PortKind;
use super::{SimKernel, State, WatchRec};
#[cfg(test)]
use crate::kernel::KernReturn;
use crate::kernel::session::DemoError;
use crate::kernel::{PlugControl, PlugEvent, Port, ServiceNotice, Watch};
use crate::registry::ServiceInfo;
use std::sync::mpsc::Sender;
use std::sync::{Mutex, Weak};

/// Earlier instances' registry IDs kept per slot.
const MAX_HISTORY: usize = 256;

#[cfg(test)]
/// Why [`SimKernel::detach_entry`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DetachError {
    #[error("no entry with id {0:#x}")]
    NoEntry(u64),
    #[error("services are terminated, not detached")]
    Service,
}

/// Keeps a `watch_services` subscription; dropping it unsubscribes.
struct WatchGuard {
    state: Weak<Mutex<State>>,
    id: u64,
}

impl Watch for WatchGuard {}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        if let Some(state) = self.state.upgrade() {
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.watches.retain(|w| w.id != self.id);
        }
    }
}

impl State {
    fn registry_id(&self, obj: ObjId) -> u64 {
        self.objs.entry(obj).map_or(0, |e| e.registry_id)
    }

    /// Delivers a notice for `obj` to every watcher; each notice carries a new reference.
    pub(super) fn notify(&mut self, obj: ObjId, make: fn(Port) -> ServiceNotice) {
        let sinks: Vec<Sender<ServiceNotice>> =
            self.watches.iter().map(|w| w.sink.clone()).collect();
        for sink in sinks {
            let name = self.send_object(obj);
            if sink.send(make(name)).is_err() {
                self.deallocate(name);
            }
        }
    }

    /// Terminates `victims` (services go inactive, notifications fire, ports of services
    /// not held are destroyed) and detaches them from every plane.
    pub(crate) fn terminate(&mut self, victims: &[ObjId]) {
        let watched = !self.watches.is_empty();
        for &v in victims {
            if let Some(s) = self.objs.entry_mut(v).and_then(|e| e.service.as_mut()) {
                s.state |= ServiceInfo::INACTIVE;
                s.hold |= watched;
            }
        }
        for &v in victims {
            if self.objs.is_service(v) {
                self.notify(v, ServiceNotice::Terminated);
            }
        }
        for &v in victims {
            if self.objs.is_service(v) {
                self.destroy_user_references(v);
            }
        }
        for &v in victims {
            self.objs.detach_all(v);
        }
    }

    /// `IOUserClient::destroyUserReferences(victim)` (IOUserClient.cpp; rules §4).
    ///
    /// The object port goes unless a terminated notification held it
    /// (`releasePortForObject(obj, IKOT_IOKIT_OBJECT)` checks `machPortHoldDestroy` for
    /// IOService objects only). The connect port of a user client goes in any case: that
    /// second half of `destroyUserReferences` looks the IKOT_IOKIT_CONNECT port up and
    /// disables it without consulting the hold flag (user-client `mappings`, which would
    /// keep it alive re-pointed at the mappings, are not modelled). An earlier version
    /// of this function skipped both ports of a held service, which left a held user
    /// client's connect port alive.
    fn destroy_user_references(&mut self, service: ObjId) {
        let held = self
            .objs
            .entry(service)
            .and_then(|e| e.service)
            .is_some_and(|s| s.hold);
        let kinds: &[PortKind] = if held {
            &[PortKind::Connect]
        } else {
            &[PortKind::Object, PortKind::Connect]
        };
        for &kind in kinds {
            if let Some(p) = self.ports.existing(service, kind) {
                self.ports.destroy(p);
            }
        }
    }

    #[cfg(test)]
    /// MIG `io_service_close`: the connect port's user client is closed (here: terminated).
    /// A stale name fails at `mach_msg` (`MACH_SEND_INVALID_DEST`); a port that is no
    /// connect port gives a NULL client, `kIOReturnBadArgument`.
    fn io_service_close(&mut self, connect: Port) -> KernReturn {
        let port = match self.space.copyin_send(connect, &self.ports) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let rec = self.ports.get(port);
        let (PortKind::Connect, Some(uc)) = (rec.kind, rec.object) else {
            return KernReturn::IO_RETURN_BAD_ARGUMENT;
        };
        self.terminate(&[uc]);
        KernReturn::SUCCESS
    }

    /// The IOPowerConnections that link the members of `victims` into the power tree.
    fn power_connections(&self, victims: &[ObjId]) -> Vec<ObjId> {
        victims
            .iter()
            .filter_map(|&v| self.objs.entry(v)?.planes[POWER].parent)
            .filter(|&p| {
                self.objs
                    .entry(p)
                    .is_some_and(|e| e.class == "IOPowerConnection")
            })
            .collect()
    }

    /// Unplugging: `terminatePhase1` terminates the device and its clients, i.e. its
    /// IOService-plane subtree (rules §4 "Service termination"). The IOPowerConnections
    /// that linked them into IOPower are not among those victims: `PMstop` →
    /// `removePowerChild` only detaches each nub (IOServicePM.cpp), it never terminates
    /// one, so no terminated notification fires for them and no `destroyUserReferences`
    /// runs: like any detached entry, a name for one stays a live send right. (This used
    /// to terminate the connections with the services, killing those names too.)
    fn unplug(&mut self, slot: usize) -> PlugEvent {
        let device = self.devices.slots[slot].current.take().expect("plugged in");
        let id = self.registry_id(device);
        let history = &mut self.devices.slots[slot].history;
        // Bounded: only recent instances need recognising ("already replugged").
        if history.len() >= MAX_HISTORY {
            history.remove(0);
        }
        history.push(id);
        let victims = self.objs.subtree(SERVICE, device);
        let connections = self.power_connections(&victims);
        let terminated: Vec<u64> = victims
            .iter()
            .filter(|&&v| self.objs.is_service(v))
            .map(|&v| self.registry_id(v))
            .collect();
        self.terminate(&victims);
        for &c in &connections {
            self.objs.detach_all(c);
        }
        self.doomed.extend(victims.iter().chain(&connections));
        PlugEvent {
            description: format!(
                "unplugged {} (id {id:#x}): {} services terminated",
                self.devices.slots[slot].spec.product.name,
                terminated.len()
            ),
            terminated,
            published: Vec::new(),
        }
    }

    fn replug(&mut self, slot: usize) -> PlugEvent {
        let s = self.devices.slots[slot].clone();
        let device = machine::plug(&mut self.objs, &s);
        machine::join_power_tree(&mut self.objs, device);
        self.devices.slots[slot].current = Some(device);
        let fresh: Vec<ObjId> = self
            .objs
            .subtree(SERVICE, device)
            .into_iter()
            .filter(|&o| self.objs.is_service(o))
            .collect();
        for &o in &fresh {
            self.notify(o, ServiceNotice::FirstPublished);
        }
        PlugEvent {
            description: format!(
                "replugged {} as id {:#x}",
                s.spec.product.name,
                self.registry_id(device)
            ),
            terminated: Vec::new(),
            published: fresh.iter().map(|&o| self.registry_id(o)).collect(),
        }
    }

    /// Frees the doomed entries whose ports are all gone (a dead name keeps no object
    /// alive; a live send right, e.g. one a terminated notification held, does).
    fn reclaim(&mut self) {
        let doomed = std::mem::take(&mut self.doomed);
        for o in doomed {
            let alive = [PortKind::Object, PortKind::Connect]
                .iter()
                .any(|&k| self.ports.existing(o, k).is_some());
            let attached = self
                .objs
                .entry(o)
                .is_some_and(|e| e.planes.iter().any(|l| l.member));
            if alive || attached {
                self.doomed.push(o);
            } else {
                self.objs.free_entry(o);
            }
        }
    }

    fn toggle_slot(&mut self, slot: usize) -> PlugEvent {
        self.reclaim();
        if self.devices.slots[slot].current.is_some() {
            self.unplug(slot)
        } else {
            self.replug(slot)
        }
    }
}

impl SimKernel {
    pub(crate) fn add_watch(&self, sink: Sender<ServiceNotice>) -> impl Watch + use<> {
        let mut st = self.lock();
        let id = st.next_watch;
        st.next_watch += 1;
        st.watches.push(WatchRec { id, sink });
        WatchGuard {
            state: std::sync::Arc::downgrade(&self.state),
            id,
        }
    }

    #[cfg(test)]
    /// `IOServiceOpen(service, mach_task_self(), 0, &connect)`: a new user client attached
    /// under the service, and its connect port (a second name besides its object port).
    pub(crate) fn service_open(&self, service: Port) -> Result<Port, KernReturn> {
        let mut st = self.lock();
        let svc = st.entry_of(service)?;
        let e = st.objs.entry(svc).expect("an entry");
        let active = e
            .service
            .is_some_and(|s| s.state & ServiceInfo::INACTIVE == 0);
        if !active {
            return Err(KernReturn::IO_RETURN_BAD_ARGUMENT);
        }
        let class = machine::user_client_class(&st.objs, e.class);
        let uc = st.objs.add_entry(class, class, 1);
        machine::describe_user_client(&mut st.objs, uc);
        st.objs.attach(SERVICE, svc, uc);
        Ok(st.send_connect(uc))
    }

    #[cfg(test)]
    /// `IOServiceClose(connect)`: `kr = io_service_close(connect)` (the driver terminates its
    /// client), then `IOObjectRelease(connect)` whatever `kr` was, and `kr` is returned
    /// (IOKitLib.c). The release is unconditional: an earlier version returned early on a
    /// failing `io_service_close` (dead name, object port) and so leaked the caller's uref.
    pub(crate) fn service_close(&self, connect: Port) -> KernReturn {
        let st = &mut *self.lock();
        let code = st.io_service_close(connect);
        st.deallocate(connect);
        code
    }

    #[cfg(test)]
    /// Detaches a plain (non-service) entry from every plane, as a driver removing a
    /// device-tree node would. Our handles to it stay valid (no `destroyUserReferences`).
    pub(crate) fn detach_entry(&self, registry_id: u64) -> Result<(), DetachError> {
        let mut st = self.lock();
        let obj = st
            .objs
            .by_registry_id(registry_id)
            .ok_or(DetachError::NoEntry(registry_id))?;
        if st.objs.is_service(obj) {
            return Err(DetachError::Service);
        }
        st.objs.detach_all(obj);
        Ok(())
    }
}

impl PlugControl for SimKernel {
    fn toggle_device(&self, registry_id: u64) -> Result<PlugEvent, DemoError> {
        let mut st = self.lock();
        let slot = st.devices.slots.iter().position(|s| {
            s.current.is_some_and(|d| st.registry_id(d) == registry_id)
                || s.history.contains(&registry_id)
        });
        let Some(slot) = slot else {
            return Err(DemoError::NotUnpluggable(registry_id));
        };
        let s = &st.devices.slots[slot];
        if let Some(cur) = s.current
            && st.registry_id(cur) != registry_id
        {
            return Err(DemoError::AlreadyReplugged {
                name: s.spec.product.name,
                id: st.registry_id(cur),
            });
        }
        Ok(st.toggle_slot(slot))
    }

    fn toggle_demo_device(&self) -> Result<PlugEvent, DemoError> {
        let mut st = self.lock();
        let slot = st
            .devices
            .slots
            .iter()
            .position(|s| s.spec.product.name == machine::HOTPLUG_DEVICE)
            .ok_or(DemoError::NoHotplugDevice)?;
        Ok(st.toggle_slot(slot))
    }

    fn demo_leak_step(&self) -> Result<PlugEvent, DemoError> {
        self.leak_step()
    }
}
