//! Kernel objects of the simulated Mac: registry entries (services or plain entries) and
//! iterators, with their plane links and reference counts.

use crate::registry::{Properties, ServiceInfo};
use std::collections::HashMap;

/// An object in the simulated kernel (index into [`Objects`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ObjId(pub u32);

/// The planes of the simulated registry, in `IORegistryPlanes` order.
pub(crate) const PLANES: [&str; 4] = ["IOService", "IODeviceTree", "IOPower", "IOUSB"];
pub(crate) const SERVICE: usize = 0;
pub(crate) const DEVICE_TREE: usize = 1;
pub(crate) const POWER: usize = 2;
pub(crate) const USB: usize = 3;

pub(crate) fn plane_index(name: &str) -> Option<usize> {
    PLANES.iter().position(|p| *p == name)
}

/// An entry's place in one plane.
#[derive(Debug, Clone, Default)]
pub(crate) struct Link {
    pub member: bool,
    pub parent: Option<ObjId>,
    pub children: Vec<ObjId>,
    /// A name / location that differs from the entry's own in this plane.
    pub name: Option<String>,
    pub location: Option<Option<String>>,
}

/// IOService fields (`__state[0]`, busy count, busy time).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ServiceFields {
    pub state: u64,
    pub busy: u32,
    pub busy_time_ns: u64,
    /// `machPortHoldDestroy`: a terminated notification matched, keep the object port.
    pub hold: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct EntryObj {
    pub registry_id: u64,
    pub name: String,
    pub location: Option<String>,
    pub class: &'static str,
    pub properties: Properties,
    pub planes: [Link; PLANES.len()],
    /// `Some` for IOService subclasses.
    pub service: Option<ServiceFields>,
}

#[derive(Debug, Clone)]
pub(crate) struct IterObj {
    pub class: &'static str,
    pub items: Vec<ObjId>,
    pub pos: usize,
    /// For a child iterator: the plane whose membership an item must still have.
    pub plane: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Entry(Box<EntryObj>),
    Iterator(IterObj),
}

#[derive(Debug, Clone)]
pub(crate) struct KObject {
    pub body: Body,
    /// References held by other kernel code (drivers, the registry's own bookkeeping
    /// beyond plane links), fixed per object.
    pub extra_refs: u32,
    /// Freed (iterators whose port went away).
    pub freed: bool,
}

/// Every kernel object, and the class hierarchy (`IOObjectCopySuperclassForClass`).
#[derive(Debug, Default)]
pub(crate) struct Objects {
    objs: Vec<KObject>,
    by_registry_id: HashMap<u64, ObjId>,
    superclass: HashMap<&'static str, &'static str>,
    next_registry_id: u64,
    /// Freed iterators' slots, reused by the next object (a walk makes one iterator per
    /// entry and plane: without reuse a demo re-walking every 4 s grew without bound).
    free: Vec<ObjId>,
}

/// The first registry entry ID handed out (the root's).
pub(crate) const FIRST_REGISTRY_ID: u64 = 0x1_0000_0100;

impl Objects {
    pub(crate) fn new(classes: &[(&'static str, &'static str)]) -> Self {
        Objects {
            objs: Vec::new(),
            by_registry_id: HashMap::new(),
            superclass: classes.iter().copied().collect(),
            next_registry_id: FIRST_REGISTRY_ID,
            free: Vec::new(),
        }
    }

    /// Registers a class (kext services named after their class).
    pub(crate) fn add_class(&mut self, class: &'static str, superclass: &'static str) {
        self.superclass.insert(class, superclass);
    }

    pub(crate) fn superclass_of(&self, class: &str) -> Option<&'static str> {
        self.superclass.get(class).copied()
    }

    pub(crate) fn conforms(&self, class: &str, ancestor: &str) -> bool {
        let mut cur = Some(class);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            steps += 1;
            if steps > 64 {
                break;
            }
            cur = self.superclass_of(c).map(|s| s as &str);
        }
        false
    }

    /// A new registry entry in no plane, with a fresh registry ID.
    pub(crate) fn add_entry(&mut self, class: &'static str, name: &str, extra_refs: u32) -> ObjId {
        debug_assert!(
            class == "IORegistryEntry" || self.superclass.contains_key(class),
            "unknown class {class}"
        );
        let registry_id = self.next_registry_id;
        self.next_registry_id += 1;
        let service = self.conforms(class, "IOService").then(|| ServiceFields {
            state: ServiceInfo::REGISTERED | ServiceInfo::MATCHED,
            ..ServiceFields::default()
        });
        let id = self.push(
            Body::Entry(Box::new(EntryObj {
                registry_id,
                name: name.to_owned(),
                location: None,
                class,
                properties: Vec::new(),
                planes: Default::default(),
                service,
            })),
            extra_refs,
        );
        self.by_registry_id.insert(registry_id, id);
        id
    }

    pub(crate) fn add_iterator(
        &mut self,
        class: &'static str,
        items: Vec<ObjId>,
        plane: Option<usize>,
    ) -> ObjId {
        self.push(
            Body::Iterator(IterObj {
                class,
                items,
                pos: 0,
                plane,
            }),
            0,
        )
    }

    fn push(&mut self, body: Body, extra_refs: u32) -> ObjId {
        let object = KObject {
            body,
            extra_refs,
            freed: false,
        };
        if let Some(id) = self.free.pop() {
            self.objs[id.0 as usize] = object;
            return id;
        }
        let id = ObjId(self.objs.len() as u32);
        self.objs.push(object);
        id
    }

    /// A terminated, detached entry nothing refers to any more is freed: its registry ID is
    /// forgotten and its slot reused.
    pub(crate) fn free_entry(&mut self, id: ObjId) {
        let obj = &mut self.objs[id.0 as usize];
        if let Body::Entry(e) = &obj.body
            && !obj.freed
        {
            self.by_registry_id.remove(&e.registry_id);
            obj.freed = true;
            obj.body = Body::Iterator(IterObj {
                class: "OSObject",
                items: Vec::new(),
                pos: 0,
                plane: None,
            });
            self.free.push(id);
        }
    }

    /// An iterator whose port went away is freed (`OSObject::free`): its items are
    /// dropped and its slot is reused. Entries are never freed here.
    pub(crate) fn free_iterator(&mut self, id: ObjId) {
        let obj = &mut self.objs[id.0 as usize];
        if let Body::Iterator(it) = &mut obj.body
            && !obj.freed
        {
            obj.freed = true;
            it.items = Vec::new();
            self.free.push(id);
        }
    }

    pub(crate) fn get(&self, id: ObjId) -> &KObject {
        &self.objs[id.0 as usize]
    }

    pub(crate) fn get_mut(&mut self, id: ObjId) -> &mut KObject {
        &mut self.objs[id.0 as usize]
    }

    pub(crate) fn entry(&self, id: ObjId) -> Option<&EntryObj> {
        match &self.get(id).body {
            Body::Entry(e) => Some(e),
            Body::Iterator(_) => None,
        }
    }

    pub(crate) fn entry_mut(&mut self, id: ObjId) -> Option<&mut EntryObj> {
        match &mut self.get_mut(id).body {
            Body::Entry(e) => Some(e),
            Body::Iterator(_) => None,
        }
    }

    /// For building: the entry, which must exist.
    pub(crate) fn e(&mut self, id: ObjId) -> &mut EntryObj {
        self.entry_mut(id).expect("an entry")
    }

    pub(crate) fn by_registry_id(&self, registry_id: u64) -> Option<ObjId> {
        self.by_registry_id.get(&registry_id).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.objs.len()
    }

    /// Makes `id` a top-level member of `plane` (the root).
    pub(crate) fn add_root(&mut self, plane: usize, id: ObjId) {
        self.e(id).planes[plane].member = true;
    }

    /// `attachToParent`: links `child` under `parent` in `plane`.
    pub(crate) fn attach(&mut self, plane: usize, parent: ObjId, child: ObjId) {
        self.e(parent).planes[plane].member = true;
        self.e(parent).planes[plane].children.push(child);
        let link = &mut self.e(child).planes[plane];
        link.member = true;
        if link.parent.is_none() {
            link.parent = Some(parent);
        }
    }

    /// `detachAll`: removes `id` from every plane (its own child links go too).
    pub(crate) fn detach_all(&mut self, id: ObjId) {
        for plane in 0..PLANES.len() {
            let link = std::mem::take(&mut self.e(id).planes[plane]);
            let name = link.name.clone();
            let location = link.location.clone();
            if let Some(p) = link.parent {
                self.e(p).planes[plane].children.retain(|&c| c != id);
            }
            for c in link.children {
                let cl = &mut self.e(c).planes[plane];
                if cl.parent == Some(id) {
                    cl.parent = None;
                    cl.member = false;
                }
            }
            let keep = &mut self.e(id).planes[plane];
            keep.name = name;
            keep.location = location;
        }
    }

    /// References the registry holds for plane links (each link retains both ends).
    pub(crate) fn link_refs(&self, id: ObjId) -> u32 {
        match self.entry(id) {
            Some(e) => e
                .planes
                .iter()
                .map(|l| u32::from(l.parent.is_some()) + l.children.len() as u32)
                .sum(),
            None => 0,
        }
    }

    /// Whether an entry is an IOService (of any state).
    pub(crate) fn is_service(&self, id: ObjId) -> bool {
        self.entry(id).is_some_and(|e| e.service.is_some())
    }

    /// The subtree below `id` in `plane`, `id` first, in pre-order.
    pub(crate) fn subtree(&self, plane: usize, id: ObjId) -> Vec<ObjId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(cur) = stack.pop() {
            if out.contains(&cur) {
                continue;
            }
            out.push(cur);
            if let Some(e) = self.entry(cur) {
                stack.extend(e.planes[plane].children.iter().rev().copied());
            }
        }
        out
    }
}
