//! Maps IORegistryExplorer's `RexDataStore` / `RexRegistryEntry` objects onto the model.
//!
//! Observed in real documents (10.5 – 10.9): `inheritance` lists the class chain leaf first
//! and ends in `OSObject`; `namesInPlanes` names an entry in every plane, including planes it
//! does not sit in; `parentsInPlanes` / `childrenInPlanes` mirror each other; `entryTag` is the
//! app's own counter (1, 2, 3 … in archive order), not the registry entry ID, which these
//! documents do not record. A few entries sit in no plane (detached while the app watched).

use super::super::{Limits, Position, ReadError, archive};
use super::keyed::{Archive, Instance};
use crate::formats::archive::bplist::Obj;
use crate::registry::{Entry, EntryId, Origin, Registry, ServiceInfo, ServiceState, Text};
use std::collections::HashMap;

/// Per-plane facts of one entry, by index into [`PlaneNames`].
#[derive(Default)]
struct Links {
    names: Vec<(usize, Text)>,
    locations: Vec<(usize, Option<Text>)>,
    parents: Vec<(usize, Vec<EntryId>)>,
    children: Vec<(usize, Vec<EntryId>)>,
}

impl Links {
    fn in_plane(&self, p: usize) -> bool {
        let has = |l: &[(usize, Vec<EntryId>)]| l.iter().any(|(q, v)| *q == p && !v.is_empty());
        has(&self.parents) || has(&self.children)
    }

    fn has_parent(&self, p: usize) -> bool {
        self.parents.iter().any(|(q, v)| *q == p && !v.is_empty())
    }

    fn parents(&self, p: usize) -> &[EntryId] {
        self.parents
            .iter()
            .find(|(q, _)| *q == p)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    fn children(&self, p: usize) -> &[EntryId] {
        self.children
            .iter()
            .find(|(q, _)| *q == p)
            .map_or(&[], |(_, v)| v.as_slice())
    }
}

/// Plane names met so far: the document's list first, then any only seen in links.
#[derive(Default)]
struct PlaneNames {
    /// The `planes` limit.
    max: usize,
    names: Vec<String>,
    index: HashMap<String, usize>,
    by_uid: HashMap<u64, usize>,
}

impl PlaneNames {
    fn intern(&mut self, name: String, at: u64) -> Result<usize, ReadError> {
        if let Some(&i) = self.index.get(&name) {
            return Ok(i);
        }
        if self.names.len() >= self.max {
            let e = crate::registry::LimitExceeded::new("planes", self.max);
            return Err(ReadError::byte(at, format!("one plane too many: {e}")));
        }
        self.names.push(name.clone());
        self.index.insert(name, self.names.len() - 1);
        Ok(self.names.len() - 1)
    }

    /// The plane named by the string numbered `uid` (cached: documents share these strings).
    fn by_uid(&mut self, archive: &Archive<'_>, uid: u64) -> Result<usize, ReadError> {
        if let Some(&i) = self.by_uid.get(&uid) {
            return Ok(i);
        }
        let name = archive
            .string_at(uid)?
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default();
        let at = archive.resolve(uid).map_or(0, |(_, at)| at);
        let i = self.intern(name, at)?;
        self.by_uid.insert(uid, i);
        Ok(i)
    }
}

/// Builds the registry from the archive's `root` object.
pub(super) fn build(archive: &Archive<'_>, limits: &Limits) -> Result<Registry, ReadError> {
    let store = archive.instance_of(archive.top("root")?, "RexDataStore")?;
    let mut reg = Registry::new();
    reg.report.origin = Origin::Iorex;
    reg.report.host = archive
        .string(&store, "hostName")?
        .map(|t| t.to_string_lossy().into_owned());
    let mut planes = PlaneNames {
        max: limits.max_planes,
        ..PlaneNames::default()
    };
    if store.get("registryPlanes").is_some() {
        for uid in archive.array(&store, "registryPlanes")? {
            planes.by_uid(archive, uid)?;
        }
    }
    let listed = planes.names.len();
    let uids = archive.array(&store, "registryEntries")?;
    if uids.len() > limits.max_entries {
        let e = crate::registry::LimitExceeded::new("entries", limits.max_entries);
        return Err(store.error(format!("{} entries: {e}", uids.len())));
    }
    let mut ids = HashMap::with_capacity(uids.len());
    for (i, &uid) in uids.iter().enumerate() {
        if ids.insert(uid, EntryId(i as u32)).is_some() {
            return Err(store.error(format!("registryEntries lists object {uid} twice")));
        }
    }
    let mut links = Vec::with_capacity(uids.len());
    for &uid in &uids {
        let inst = archive.instance_of(uid, "RexRegistryEntry")?;
        let entry = decode_entry(archive, &inst, &mut reg, limits)?;
        links.push(decode_links(archive, &inst, &entry, &ids, &mut planes)?);
        reg.add_entry(entry);
    }
    link_planes(&mut reg, &planes.names, listed, &links, limits)?;
    Ok(reg)
}

/// The entry's own fields: name, location, class chain, counts, state and properties.
fn decode_entry(
    archive: &Archive<'_>,
    inst: &Instance<'_>,
    reg: &mut Registry,
    limits: &Limits,
) -> Result<Entry, ReadError> {
    let mut entry = Entry::named(archive.string(inst, "name")?.unwrap_or_default());
    entry.location = archive.string(inst, "location")?;
    if inst.get("inheritance").is_some() {
        let uids = archive.array(inst, "inheritance")?;
        if uids.len() > limits.max_depth {
            let e = crate::registry::LimitExceeded::new("depth", limits.max_depth);
            return Err(inst.error(format!("a class chain {} long: {e}", uids.len())));
        }
        let mut chain = Vec::with_capacity(uids.len());
        for uid in uids {
            if let Some(t) = archive.string_at(uid)? {
                chain.push(t.to_string_lossy().into_owned());
            }
        }
        // Stored leaf first; the class table wants base first.
        entry.class = reg
            .classes
            .try_intern_chain(chain.iter().rev().map(String::as_str), limits.max_classes)
            .map_err(|e| inst.error(e))?;
    }
    entry.retain = int(inst, "kernelRetainCount")?.and_then(|n| u32::try_from(n).ok());
    entry.is_root = flag(inst, "isRegistryRoot")?.unwrap_or(false);
    entry.state = match flag(inst, "conformsToIOService")? {
        None => ServiceState::Unknown,
        Some(false) => ServiceState::NotService,
        Some(true) => ServiceState::Service(service_info(inst)?),
    };
    if let Some(xml) = archive.data(inst, "properties")? {
        entry.properties = archive::properties(xml, limits, archive.budget())
            .map_err(|e| {
                let mut err = inst.error(format!("properties: {}", e.message));
                if let Position::Byte(n) = e.at {
                    err.at = Position::Byte(archive.offset_of(xml) + n);
                }
                err
            })?
            .into();
        reg.report.raw_values += entry
            .properties
            .iter()
            .map(|(_, v)| v.raw_count())
            .sum::<usize>();
    }
    Ok(entry)
}

fn service_info(inst: &Instance<'_>) -> Result<ServiceInfo, ReadError> {
    let mut state = 0;
    if flag(inst, "isRegistered")? == Some(true) {
        state |= ServiceInfo::REGISTERED;
    }
    if flag(inst, "isMatched")? == Some(true) {
        state |= ServiceInfo::MATCHED;
    }
    if flag(inst, "isActive")? == Some(false) {
        state |= ServiceInfo::INACTIVE;
    }
    Ok(ServiceInfo {
        state,
        busy: int(inst, "busyCount")?.and_then(|n| u32::try_from(n).ok()),
        busy_time_ns: None,
    })
}

fn int(inst: &Instance<'_>, key: &str) -> Result<Option<i128>, ReadError> {
    match inst.get(key) {
        None => Ok(None),
        Some(Obj::Int(n)) => Ok(Some(n)),
        Some(other) => Err(inst.error(format!(
            "expected an integer in '{key}', found {}",
            other.kind()
        ))),
    }
}

fn flag(inst: &Instance<'_>, key: &str) -> Result<Option<bool>, ReadError> {
    match inst.get(key) {
        None => Ok(None),
        Some(Obj::Bool(b)) => Ok(Some(b)),
        Some(Obj::Int(n)) => Ok(Some(n != 0)),
        Some(other) => Err(inst.error(format!(
            "expected a boolean in '{key}', found {}",
            other.kind()
        ))),
    }
}

/// Per-plane names, locations, parents and children. Names and locations are kept only
/// where they differ from the entry's own.
fn decode_links(
    archive: &Archive<'_>,
    inst: &Instance<'_>,
    entry: &Entry,
    ids: &HashMap<u64, EntryId>,
    planes: &mut PlaneNames,
) -> Result<Links, ReadError> {
    let mut links = Links::default();
    for (k, v) in per_plane(archive, inst, "namesInPlanes")? {
        let p = planes.by_uid(archive, k)?;
        let name = archive.string_at(v)?.unwrap_or_default();
        if name != entry.name {
            links.names.push((p, name));
        }
    }
    for (k, v) in per_plane(archive, inst, "locationsInPlanes")? {
        let p = planes.by_uid(archive, k)?;
        let loc = archive.string_at(v)?;
        if loc != entry.location {
            links.locations.push((p, loc));
        }
    }
    for (field, out) in [
        ("parentsInPlanes", &mut links.parents),
        ("childrenInPlanes", &mut links.children),
    ] {
        for (k, v) in per_plane(archive, inst, field)? {
            let p = planes.by_uid(archive, k)?;
            let members = archive.array_at(v)?;
            let mut list = Vec::with_capacity(members.len());
            for m in members {
                let id = ids.get(&m).copied().ok_or_else(|| {
                    inst.error(format!(
                        "{field}: object {m} in plane {} is not one of registryEntries",
                        planes.names[p]
                    ))
                })?;
                list.push(id);
            }
            out.push((p, list));
        }
    }
    Ok(links)
}

fn per_plane(
    archive: &Archive<'_>,
    inst: &Instance<'_>,
    field: &str,
) -> Result<Vec<(u64, u64)>, ReadError> {
    match inst.get(field) {
        None | Some(Obj::Uid(0)) => Ok(Vec::new()),
        Some(_) => archive.dict(inst, field),
    }
}

/// Builds every plane's tree from the stored links, children in stored order.
fn link_planes(
    reg: &mut Registry,
    names: &[String],
    listed: usize,
    links: &[Links],
    limits: &Limits,
) -> Result<(), ReadError> {
    let n = links.len();
    let mut placed = vec![false; n];
    for (p, name) in names.iter().enumerate() {
        let member: Vec<bool> = (0..n)
            .map(|i| links[i].in_plane(p) || reg.entry(EntryId(i as u32)).is_root)
            .collect();
        if p >= listed && !member.iter().any(|&m| m) {
            continue; // A plane only named in namesInPlanes, with nobody in it.
        }
        let plane = reg.plane_mut(name);
        let mut visited = vec![false; n];
        let tops = (0..n).filter(|&i| member[i] && !links[i].has_parent(p));
        let stray: Vec<usize> = tops.chain((0..n).filter(|&i| member[i])).collect();
        let mut detached = 0usize;
        for &top in &stray {
            if visited[top] {
                continue;
            }
            if links[top].has_parent(p) {
                detached += 1;
            }
            visited[top] = true;
            plane.add_root(EntryId(top as u32));
            let mut stack = vec![(top, 0usize)];
            while let Some((e, depth)) = stack.pop() {
                for &c in links[e].children(p) {
                    let _ = plane.add_child(EntryId(e as u32), c);
                    if !visited[c.index()] {
                        visited[c.index()] = true;
                        if depth + 1 > limits.max_depth {
                            return Err(ReadError::byte(
                                0,
                                format!(
                                    "plane {name}: expected a tree at most {} deep",
                                    limits.max_depth
                                ),
                            ));
                        }
                        stack.push((c.index(), depth + 1));
                    }
                }
            }
        }
        if let Some(e) = plane.find_cycle() {
            return Err(ReadError::byte(
                0,
                format!(
                    "plane {name}: entry {} is listed below itself",
                    reg.entry(e).name
                ),
            ));
        }
        let plane = reg.plane_mut(name);
        for (i, l) in links.iter().enumerate() {
            if !member[i] {
                continue;
            }
            placed[i] = true;
            // Parents in the order the document (the kernel) lists them.
            plane.order_parents(EntryId(i as u32), l.parents(p));
            let id = EntryId(i as u32);
            for (_, t) in l.names.iter().filter(|(q, _)| *q == p) {
                plane.set_name_override(id, t.clone());
            }
            for (_, loc) in l.locations.iter().filter(|(q, _)| *q == p) {
                plane.set_location_override(id, loc.clone());
            }
        }
        if detached > 0 {
            reg.report.warnings.push(format!(
                "plane {name}: {detached} entries unreachable from its roots (a parent cycle) are shown as roots"
            ));
        }
    }
    place_loose(reg, names, &placed);
    Ok(())
}

/// Entries in no plane (detached while IORegistryExplorer watched) become roots of the first
/// plane, so they stay visible.
fn place_loose(reg: &mut Registry, names: &[String], placed: &[bool]) {
    let loose: Vec<EntryId> = (0..placed.len())
        .filter(|&i| !placed[i])
        .map(|i| EntryId(i as u32))
        .collect();
    if loose.is_empty() {
        return;
    }
    let first = reg
        .planes()
        .first()
        .map(|p| p.name().to_owned())
        .or_else(|| names.first().cloned())
        .unwrap_or_else(|| "IOService".to_owned());
    let plane = reg.plane_mut(&first);
    for &id in &loose {
        plane.add_root(id);
    }
    reg.report.warnings.push(format!(
        "{} entries sit in no plane; shown as roots of {first}",
        loose.len()
    ));
}
