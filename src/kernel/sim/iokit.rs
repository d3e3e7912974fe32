//! The simulated kernel behind the [`IoKit`] seam: each method does what the IOKitLib
//! function does on a Mac (MIG routine, or `mach_port_*` call), results included.

use super::objects::{Body, ObjId, PLANES, SERVICE, plane_index};
use super::{SimKernel, State};
use crate::kernel::{BusyState, IoKit, KernReturn, Port, ServiceNotice, Watch, right};
use crate::registry::{Properties, ServiceInfo};
use std::sync::mpsc::Sender;

impl State {
    fn entry_name_in(&self, obj: ObjId, plane: Option<usize>) -> String {
        let e = self.objs.entry(obj).expect("an entry");
        plane
            .and_then(|p| e.planes[p].name.clone())
            .unwrap_or_else(|| e.name.clone())
    }

    fn entry_location_in(&self, obj: ObjId, plane: Option<usize>) -> Option<String> {
        let e = self.objs.entry(obj).expect("an entry");
        match plane.and_then(|p| e.planes[p].location.clone()) {
            Some(loc) => loc,
            None => e.location.clone(),
        }
    }

    /// `IORegistryEntry::getPath`: fails for an entry not attached in the plane.
    fn path(&self, obj: ObjId, plane: usize) -> Option<String> {
        let mut parts = Vec::new();
        let mut cur = obj;
        let mut steps = 0;
        loop {
            let link = &self.objs.entry(cur)?.planes[plane];
            if !link.member {
                return None;
            }
            match link.parent {
                Some(p) => {
                    let mut label = self.entry_name_in(cur, Some(plane));
                    if let Some(loc) = self.entry_location_in(cur, Some(plane)) {
                        label.push('@');
                        label.push_str(&loc);
                    }
                    parts.push(label);
                    cur = p;
                }
                None if cur == self.root => break,
                None => return None,
            }
            steps += 1;
            if steps > 256 {
                return None;
            }
        }
        parts.reverse();
        Some(format!("{}:/{}", PLANES[plane], parts.join("/")))
    }

    /// A new iterator object over `items`, sent to our task.
    fn send_iterator(
        &mut self,
        class: &'static str,
        items: Vec<ObjId>,
        plane: Option<usize>,
    ) -> Port {
        let it = self.objs.add_iterator(class, items, plane);
        self.send_object(it)
    }

    fn next_item(&mut self, iterator: Port) -> Option<ObjId> {
        let obj = self.object_of(iterator).ok()?;
        loop {
            let item = match &mut self.objs.get_mut(obj).body {
                Body::Iterator(it) => {
                    let item = *it.items.get(it.pos)?;
                    it.pos += 1;
                    (item, it.plane)
                }
                Body::Entry(_) => return None,
            };
            let still_there = match item.1 {
                Some(plane) => self
                    .objs
                    .entry(item.0)
                    .is_some_and(|e| e.planes[plane].member),
                None => self.is_active_service(item.0),
            };
            if still_there {
                return Some(item.0);
            }
        }
    }

    fn is_active_service(&self, obj: ObjId) -> bool {
        self.objs
            .entry(obj)
            .and_then(|e| e.service)
            .is_some_and(|s| s.state & ServiceInfo::INACTIVE == 0)
    }

    /// Active services in IOService-plane order from the root.
    fn services(&self) -> Vec<ObjId> {
        self.objs
            .subtree(SERVICE, self.root)
            .into_iter()
            .filter(|&o| self.is_active_service(o))
            .collect()
    }
}

fn bytes(s: String) -> Vec<u8> {
    s.into_bytes()
}

impl IoKit for SimKernel {
    fn registry_get_root_entry(&self) -> Port {
        let mut st = self.lock();
        let root = st.root;
        st.send_object(root)
    }

    fn registry_entry_get_child_iterator(
        &self,
        entry: Port,
        plane: &str,
    ) -> Result<Port, KernReturn> {
        let mut st = self.lock();
        let obj = st.entry_of(entry)?;
        let p = plane_index(plane).ok_or(KernReturn::IO_RETURN_BAD_ARGUMENT)?;
        let children = st.objs.entry(obj).expect("an entry").planes[p]
            .children
            .clone();
        Ok(st.send_iterator("IORegistryIterator", children, Some(p)))
    }

    fn iterator_next(&self, iterator: Port) -> Port {
        let mut st = self.lock();
        match st.next_item(iterator) {
            Some(obj) => st.send_object(obj),
            None => 0,
        }
    }

    fn registry_entry_get_name_in_plane(
        &self,
        entry: Port,
        plane: Option<&str>,
    ) -> Result<Vec<u8>, KernReturn> {
        let mut st = self.lock();
        let obj = st.entry_of(entry)?;
        Ok(bytes(st.entry_name_in(obj, plane.and_then(plane_index))))
    }

    fn registry_entry_get_location_in_plane(
        &self,
        entry: Port,
        plane: Option<&str>,
    ) -> Result<Vec<u8>, KernReturn> {
        let mut st = self.lock();
        let obj = st.entry_of(entry)?;
        st.entry_location_in(obj, plane.and_then(plane_index))
            .map(bytes)
            .ok_or(KernReturn::IO_RETURN_NOT_FOUND)
    }

    fn registry_entry_get_path(&self, entry: Port, plane: &str) -> Result<Vec<u8>, KernReturn> {
        let mut st = self.lock();
        let obj = st.entry_of(entry)?;
        let p = plane_index(plane).ok_or(KernReturn::IO_RETURN_BAD_ARGUMENT)?;
        st.path(obj, p)
            .map(bytes)
            .ok_or(KernReturn::IO_RETURN_BAD_ARGUMENT)
    }

    fn object_get_class(&self, object: Port) -> Result<String, KernReturn> {
        let mut st = self.lock();
        let obj = st.object_of(object)?;
        Ok(match &st.objs.get(obj).body {
            Body::Entry(e) => e.class.to_owned(),
            Body::Iterator(it) => it.class.to_owned(),
        })
    }

    fn object_copy_superclass_for_class(&self, class: &str) -> Option<String> {
        self.lock().objs.superclass_of(class).map(str::to_owned)
    }

    fn object_conforms_to(&self, object: Port, class: &str) -> bool {
        let mut st = self.lock();
        let Ok(obj) = st.object_of(object) else {
            return false;
        };
        let own = match &st.objs.get(obj).body {
            Body::Entry(e) => e.class,
            Body::Iterator(it) => it.class,
        };
        st.objs.conforms(own, class)
    }

    fn registry_entry_get_registry_entry_id(&self, entry: Port) -> Result<u64, KernReturn> {
        let mut st = self.lock();
        let obj = st.entry_of(entry)?;
        Ok(st.objs.entry(obj).expect("an entry").registry_id)
    }

    fn object_get_kernel_retain_count(&self, object: Port) -> u32 {
        let mut st = self.lock();
        match st.object_of(object) {
            Ok(obj) => st.kernel_retain(obj),
            Err(_) => 0,
        }
    }

    fn object_get_user_retain_count(&self, object: Port) -> u32 {
        self.mach_port_get_refs(object, right::SEND).unwrap_or(0)
    }

    fn service_get_busy_state_and_time(&self, service: Port) -> Result<BusyState, KernReturn> {
        let mut st = self.lock();
        let obj = st.entry_of(service)?;
        let s = st
            .objs
            .entry(obj)
            .and_then(|e| e.service)
            .ok_or(KernReturn::IO_RETURN_BAD_ARGUMENT)?;
        Ok(BusyState {
            state: s.state,
            busy: s.busy,
            accumulated_busy_time: s.busy_time_ns,
        })
    }

    fn registry_entry_create_properties(&self, entry: Port) -> Result<Properties, KernReturn> {
        let mut st = self.lock();
        let obj = st.entry_of(entry)?;
        Ok(st.objs.entry(obj).expect("an entry").properties.clone())
    }

    fn object_retain(&self, object: Port) -> KernReturn {
        let mut st = self.lock();
        let code = st.mod_refs(object, right::SEND, 1);
        if code == KernReturn::INVALID_RIGHT {
            // IOKitUser ≥ 1726.11.1 retries a dead name.
            return st.mod_refs(object, right::DEAD_NAME, 1);
        }
        code
    }

    fn object_release(&self, object: Port) -> KernReturn {
        self.lock().deallocate(object)
    }

    fn service_get_matching_service_by_id(&self, registry_id: u64) -> Port {
        let mut st = self.lock();
        match st.objs.by_registry_id(registry_id) {
            Some(obj)
                if st.is_active_service(obj)
                    && st.objs.entry(obj).is_some_and(|e| e.planes[SERVICE].member) =>
            {
                st.send_object(obj)
            }
            _ => 0,
        }
    }

    fn service_get_matching_services(&self, class: &str) -> Result<Port, KernReturn> {
        let mut st = self.lock();
        let items: Vec<ObjId> = st
            .services()
            .into_iter()
            .filter(|&o| {
                st.objs
                    .entry(o)
                    .is_some_and(|e| st.objs.conforms(e.class, class))
            })
            .collect();
        Ok(st.send_iterator("OSCollectionIterator", items, None))
    }

    fn mach_port_get_refs(&self, name: Port, which: u32) -> Result<u32, KernReturn> {
        let st = &mut *self.lock();
        st.space.get_refs(name, which, &st.ports)
    }

    fn mach_port_type(&self, name: Port) -> Result<u32, KernReturn> {
        let st = &mut *self.lock();
        st.space.type_of(name, &st.ports)
    }

    fn mach_port_names(&self) -> Result<Vec<(Port, u32)>, KernReturn> {
        let st = &mut *self.lock();
        Ok(st.space.names(&st.ports))
    }

    fn watch_services(&self, sink: Sender<ServiceNotice>) -> Result<Box<dyn Watch>, KernReturn> {
        Ok(Box::new(self.add_watch(sink)))
    }
}
