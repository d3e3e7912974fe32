//! The port census: which IOKit objects a task holds send rights for, by kernel object type
//! and class, and how that grows. UI-free: `ioscope ports` prints it, the explorer shows it.
//!
//! One sample is [`PortCensus::take`]: `mach_port_space_info` lists the names, then
//! `mach_port_kobject_description` on each send right gives its IOKit type and (macOS
//! 10.15.5+) `Class(0xREGISTRYID)`. The target keeps running between the two calls, so a
//! name may be gone (`KERN_INVALID_NAME`) or dead (`KERN_INVALID_RIGHT`) by the time it is
//! described: the first is left out, the second counted as a dead name. A dead name cannot be
//! described at all (its port is destroyed); it is counted under the class an earlier sample
//! saw on that name, else under `UNKNOWN_DEAD`.

use super::{
    Errno, NameInfo, Pid, PortSpaces, ProcessInfo, SpaceBasicInfo, iokit_type_name, kotype,
};
use crate::kernel::{KernReturn, Port, port_type};
use crate::registry::Registry;
use crate::registry::escape::for_terminal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// `MACH_PORT_UREFS_MAX`: a name at this count is pegged (saturated).
pub(crate) const UREFS_MAX: u32 = 65535;
/// The class shown for an IOKit name when the kernel gives only the type (before 10.15.5).
pub(crate) const UNKNOWN_CLASS: &str = "(class unknown: kernel before 10.15.5)";
/// The type and class of a dead name no earlier sample saw alive.
pub(crate) const UNKNOWN_DEAD: (&str, &str) = ("DEAD-NAME", "(port destroyed before it was seen)");

/// How the census read the port space (`access` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// A read task port (`task_read_for_pid`).
    Read,
    /// Our own task (`mach_task_self()`).
    #[serde(rename = "self")]
    SelfTask,
    /// An `lsmp -j` file.
    Lsmp,
    /// Only an inspect port: the table size, no names.
    Inspect,
    /// Nothing.
    None,
}

impl Access {}

/// Whose port space to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    SelfTask,
    Pid(Pid),
}

/// One IOKit name (or dead name) in the target's space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldName {
    pub name: Port,
    /// `IOKIT-OBJECT`, `IOKIT-CONNECT`, `IOKIT-IDENT`, `UEXT_OBJECT`, or `UNKNOWN_DEAD`'s type.
    pub type_name: String,
    /// The kernel class, when the kernel said (`None` before 10.15.5).
    pub class: Option<String>,
    pub registry_id: Option<u64>,
    pub urefs: u32,
    pub dead: bool,
}

impl HeldName {
    pub(crate) fn class_label(&self) -> &str {
        match &self.class {
            Some(c) => c,
            None if self.dead && self.type_name == UNKNOWN_DEAD.0 => UNKNOWN_DEAD.1,
            None => UNKNOWN_CLASS,
        }
    }

    pub(crate) fn rights(&self) -> &'static [&'static str] {
        if self.dead { &["dead name"] } else { &["send"] }
    }

    pub(crate) fn saturated(&self) -> bool {
        self.urefs >= UREFS_MAX
    }
}

/// One sample of a task's IOKit names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortCensus {
    pub pid: Pid,
    pub process: String,
    pub access: Access,
    /// Why the read port was refused, and what would allow it (one line).
    pub refusal: Option<String>,
    /// `task_read_for_pid` said `ESRCH`: no process has that PID (nothing to count).
    pub no_process: bool,
    pub names: Vec<HeldName>,
    /// The size of the port table (`mach_port_space_basic_info`), when it was readable.
    pub space: Option<SpaceBasicInfo>,
    /// Names that went away between `mach_port_space_info` and their description.
    pub vanished: u32,
    /// Every name in the space (IOKit or not), when it was readable.
    pub total_names: Option<u32>,
}

/// Per (type, class): the table `ioscope ports PID` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassRow {
    #[serde(rename = "type")]
    pub type_name: String,
    pub class: String,
    pub names: u64,
    pub urefs: u64,
    pub saturated: u64,
    pub dead: u64,
}

/// What grew in one class since the first sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Growth {
    #[serde(rename = "type")]
    pub type_name: String,
    pub class: String,
    pub names: i64,
    pub urefs: i64,
    pub saturated: i64,
    pub dead: i64,
}

/// The one line said when `task_read_for_pid` refuses.
pub(crate) fn refusal_line(pid: Pid, errno: Errno) -> String {
    if errno == Errno::ESRCH {
        return format!(
            "task_read_for_pid({pid}): {}: no process has that PID",
            errno.describe()
        );
    }
    format!(
        "task_read_for_pid({pid}) refused: {}: a read task port needs root, or a target signed \
         with get-task-allow (a debug build) run by the same user; SIP-protected processes are \
         out of reach (`lsmp -p {pid} -j FILE` then `ioscope ports --lsmp FILE` works where lsmp is allowed)",
        errno.describe()
    )
}

fn parse_description(text: &str) -> Option<(String, u64)> {
    // `Class(0xREGISTRYID)` (IOKit's `iokit_port_object_description`); anything else: no class.
    let open = text.rfind('(')?;
    let hex = text[open + 1..].strip_suffix(')')?;
    let hex = hex.strip_prefix("0x").or_else(|| hex.strip_prefix("0X"))?;
    let id = u64::from_str_radix(hex, 16).ok()?;
    let class = &text[..open];
    (!class.is_empty()).then(|| (class.to_owned(), id))
}

/// An IOKit type as lsmp prints it, or `None` for another kernel object type.
pub(crate) fn iokit_type(name: &str) -> Option<&'static str> {
    [
        kotype::IOKIT_OBJECT,
        kotype::IOKIT_CONNECT,
        kotype::IOKIT_IDENT,
        kotype::UEXT_OBJECT,
    ]
    .into_iter()
    .filter_map(iokit_type_name)
    .find(|t| *t == name)
}

/// `Class(0xREGISTRYID)` → (class, registry ID); `None` for an empty or other description.
pub(crate) fn description_class(text: &str) -> Option<(String, u64)> {
    parse_description(text)
}

impl PortCensus {
    /// One sample of `target`. `memory` is an earlier sample of the same task: dead names it
    /// saw alive keep their class.
    pub fn take(
        spaces: &dyn PortSpaces,
        target: Target,
        process: &str,
        memory: Option<&PortCensus>,
    ) -> PortCensus {
        let mut no_process = false;
        let (pid, task, access, refusal) = match target {
            Target::SelfTask => (
                spaces.own_pid(),
                Some(spaces.mach_task_self()),
                Access::SelfTask,
                None,
            ),
            Target::Pid(pid) => match spaces.task_read_for_pid(pid) {
                Ok(t) => (pid, Some(t), Access::Read, None),
                Err(errno) => {
                    no_process = errno == Errno::ESRCH;
                    (pid, None, Access::None, Some(refusal_line(pid, errno)))
                }
            },
        };
        let mut census = PortCensus {
            pid,
            process: process.to_owned(),
            access,
            refusal,
            no_process,
            names: Vec::new(),
            space: None,
            vanished: 0,
            total_names: None,
        };
        match task {
            Some(task) => {
                census.read_space(spaces, task, memory);
                census.space = spaces.mach_port_space_basic_info(task).ok();
                if target != Target::SelfTask {
                    spaces.release_task_port(task);
                }
            }
            None => {
                if let Ok(inspect) = spaces.task_inspect_for_pid(pid) {
                    if let Ok(info) = spaces.mach_port_space_basic_info(inspect) {
                        census.space = Some(info);
                        census.access = Access::Inspect;
                    }
                    spaces.release_task_port(inspect);
                }
            }
        }
        census
    }

    fn read_space(&mut self, spaces: &dyn PortSpaces, task: Port, memory: Option<&PortCensus>) {
        let infos = match spaces.mach_port_space_info(task) {
            Ok(infos) => infos,
            Err(code) => {
                self.access = Access::None;
                self.refusal = Some(format!("mach_port_space_info failed: {code}"));
                return;
            }
        };
        self.total_names = Some(infos.len() as u32);
        let remembered: HashMap<Port, &HeldName> = memory
            .map(|m| m.names.iter().map(|n| (n.name, n)).collect())
            .unwrap_or_default();
        for info in infos {
            if let Some(held) = describe(spaces, task, info, &remembered) {
                match held {
                    Described::Held(h) => self.names.push(h),
                    Described::Vanished => self.vanished += 1,
                }
            }
        }
    }

    /// The per-(type, class) table, by type then class.
    pub fn classes(&self) -> Vec<ClassRow> {
        let mut by: BTreeMap<(String, String), ClassRow> = BTreeMap::new();
        for n in &self.names {
            let key = (n.type_name.clone(), n.class_label().to_owned());
            let row = by.entry(key.clone()).or_insert_with(|| ClassRow {
                type_name: key.0,
                class: key.1,
                names: 0,
                urefs: 0,
                saturated: 0,
                dead: 0,
            });
            row.names += 1;
            row.urefs += u64::from(n.urefs);
            row.saturated += u64::from(n.saturated());
            row.dead += u64::from(n.dead);
        }
        by.into_values().collect()
    }

    /// IOKit names that are live send rights (the number `ioscope ports` lists).
    pub fn iokit_names(&self) -> usize {
        self.names.iter().filter(|n| !n.dead).count()
    }

    /// Whether any IOKit name came without a class (a kernel before 10.15.5).
    pub fn classless(&self) -> bool {
        self.names.iter().any(|n| !n.dead && n.class.is_none())
    }

    /// Per registry ID: (names, urefs) this task holds on the entry (the explorer's marks).
    pub(crate) fn held_entries(&self) -> HashMap<u64, (u32, u64)> {
        let mut out: HashMap<u64, (u32, u64)> = HashMap::new();
        for n in self.names.iter().filter(|n| !n.dead) {
            if let Some(id) = n.registry_id {
                let e = out.entry(id).or_default();
                e.0 += 1;
                e.1 += u64::from(n.urefs);
            }
        }
        out
    }
}

enum Described {
    Held(HeldName),
    Vanished,
}

fn describe(
    spaces: &dyn PortSpaces,
    task: Port,
    info: NameInfo,
    remembered: &HashMap<Port, &HeldName>,
) -> Option<Described> {
    let dead_name = |urefs: u32| {
        let (type_name, class, registry_id) = match remembered.get(&info.name) {
            Some(h) => (h.type_name.clone(), h.class.clone(), h.registry_id),
            None => (UNKNOWN_DEAD.0.to_owned(), None, None),
        };
        Described::Held(HeldName {
            name: info.name,
            type_name,
            class,
            registry_id,
            urefs,
            dead: true,
        })
    };
    if info.type_bits & port_type::DEAD_NAME != 0 {
        return Some(dead_name(info.urefs));
    }
    if info.type_bits & port_type::SEND == 0 {
        return None;
    }
    match spaces.mach_port_kobject_description(task, info.name) {
        Ok(d) => {
            let type_name = iokit_type_name(d.kotype)?;
            let (class, registry_id) = match description_class(&d.description) {
                Some((c, id)) => (Some(c), Some(id)),
                None => (None, None),
            };
            Some(Described::Held(HeldName {
                name: info.name,
                type_name: type_name.to_owned(),
                class,
                registry_id,
                urefs: info.urefs,
                dead: false,
            }))
        }
        // Released between the two calls.
        Err(KernReturn::INVALID_NAME) => Some(Described::Vanished),
        // Its port died between the two calls: now a dead name. Only an IOKit name we knew
        // is worth counting (any port can die).
        Err(KernReturn::INVALID_RIGHT) => remembered
            .contains_key(&info.name)
            .then(|| dead_name(info.urefs)),
        Err(_) => None,
    }
}

/// What grew per class from `first` to `now` (classes that did not change are left out).
pub fn growth(first: &[ClassRow], now: &[ClassRow]) -> Vec<Growth> {
    let key = |r: &ClassRow| (r.type_name.clone(), r.class.clone());
    let before: HashMap<(String, String), &ClassRow> = first.iter().map(|r| (key(r), r)).collect();
    let after: HashMap<(String, String), &ClassRow> = now.iter().map(|r| (key(r), r)).collect();
    let mut keys: Vec<&(String, String)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let get = |m: &HashMap<(String, String), &ClassRow>, k: &(String, String)| {
        m.get(k).map_or([0i64; 4], |r| {
            [
                r.names as i64,
                r.urefs as i64,
                r.saturated as i64,
                r.dead as i64,
            ]
        })
    };
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (get(&before, k), get(&after, k));
            let d: Vec<i64> = (0..4).map(|i| b[i] - a[i]).collect();
            (d.iter().any(|&x| x != 0)).then(|| Growth {
                type_name: k.0.clone(),
                class: k.1.clone(),
                names: d[0],
                urefs: d[1],
                saturated: d[2],
                dead: d[3],
            })
        })
        .collect()
}

/// Why a process named on the command line or in the explorer's `P` prompt was not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("no process is named {} (`ioscope ports` lists them)", for_terminal(.0))]
    NoSuchName(String),
    #[error("{} processes are named {}: give a PID ({})", .pids.len(), for_terminal(.name), join_pids(.pids))]
    Ambiguous { name: String, pids: Vec<Pid> },
}

fn join_pids(pids: &[Pid]) -> String {
    pids.iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A PID, `self`, or a process name only one process has → whose space to read, and the
/// process's name (`?` for a PID no process has: the census then says `ESRCH`).
pub fn resolve(spaces: &dyn PortSpaces, target: &str) -> Result<(Target, String), ResolveError> {
    let target = target.trim();
    let processes = spaces.list_processes();
    let own = spaces.own_pid();
    let name_of = |pid: Pid| {
        processes
            .iter()
            .find(|p| p.pid == pid)
            .map_or_else(|| "?".to_owned(), |p| p.name.clone())
    };
    let at = |pid: Pid| {
        if pid == own {
            Target::SelfTask
        } else {
            Target::Pid(pid)
        }
    };
    if target == "self" {
        return Ok((Target::SelfTask, name_of(own)));
    }
    if let Ok(pid) = target.parse::<Pid>() {
        return Ok((at(pid), name_of(pid)));
    }
    let found: Vec<&ProcessInfo> = processes.iter().filter(|p| p.name == target).collect();
    match found.as_slice() {
        [one] => Ok((at(one.pid), one.name.clone())),
        [] => Err(ResolveError::NoSuchName(target.to_owned())),
        many => Err(ResolveError::Ambiguous {
            name: target.to_owned(),
            pids: many.iter().map(|p| p.pid).collect(),
        }),
    }
}

/// `ioscope ports` JSON for one process (the schema).
#[derive(Debug, Serialize)]
pub struct CensusJson {
    pub pid: Pid,
    pub process: String,
    pub access: Access,
    pub classes: Vec<ClassRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<EntryJson>>,
    /// Why the read port was refused (absent when it was not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// The port table's size (`mach_port_space_basic_info`), when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<SpaceBasicInfo>,
    /// With `--interval`: what grew per class since the first sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<Vec<Growth>>,
    /// With `--interval` and a readable table: its names in use since the first sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_inuse_growth: Option<i64>,
    /// When the read port was refused: the user clients the process opened
    /// (`IOUserClientCreator`), filled in by the caller that has the registry census.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_clients: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct EntryJson {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub class: String,
    pub id: Option<String>,
    pub rights: Vec<&'static str>,
    pub urefs: u32,
    pub path: Option<String>,
}

impl PortCensus {
    /// The JSON object; `registry` resolves entry paths, `entries` lists each name.
    pub fn to_json(&self, registry: Option<&Registry>, entries: bool) -> CensusJson {
        CensusJson {
            pid: self.pid,
            process: self.process.clone(),
            access: self.access,
            classes: self.classes(),
            entries: entries.then(|| self.entry_rows(registry)),
            refused: self.refusal.clone(),
            table: self.space,
            growth: None,
            table_inuse_growth: None,
            user_clients: None,
        }
    }

    pub fn entry_rows(&self, registry: Option<&Registry>) -> Vec<EntryJson> {
        let index: HashMap<u64, crate::registry::EntryId> = registry
            .map(|r| r.entries().filter_map(|(e, x)| Some((x.id?, e))).collect())
            .unwrap_or_default();
        let plane = registry.and_then(|r| Some((r, r.plane("IOService")?)));
        self.names
            .iter()
            .map(|n| EntryJson {
                name: format!("{:#x}", n.name),
                type_name: n.type_name.clone(),
                class: n.class_label().to_owned(),
                id: n.registry_id.map(|id| format!("{id:#x}")),
                rights: n.rights().to_vec(),
                urefs: n.urefs,
                path: n
                    .registry_id
                    .and_then(|id| index.get(&id))
                    .zip(plane)
                    .and_then(|(&e, (r, p))| r.path_in(p, e)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_give_class_and_id() {
        assert_eq!(
            description_class("IOSurfaceRootUserClient(0x100000a2c)"),
            Some(("IOSurfaceRootUserClient".into(), 0x1_0000_0a2c))
        );
        assert_eq!(description_class(""), None);
        assert_eq!(description_class("(0x12)"), None);
        assert_eq!(description_class("IOService(zz)"), None);
    }

    #[test]
    fn growth_lists_changed_classes_only() {
        let row = |class: &str, names, urefs| ClassRow {
            type_name: "IOKIT-CONNECT".into(),
            class: class.into(),
            names,
            urefs,
            saturated: 0,
            dead: 0,
        };
        let g = growth(
            &[row("A", 1, 1), row("B", 2, 2)],
            &[row("A", 1, 1), row("B", 5, 9)],
        );
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].class.as_str(), g[0].names, g[0].urefs), ("B", 3, 7));
    }
}

/// What the explorer's ports view shows: the sample taken when it opened, the latest one,
/// and per class the growth between them; a class picks the registry entries to filter the
/// tree to, and `PortCensus::held_entries` marks the entries the process holds.
#[derive(Debug, Clone)]
pub struct PortsView {
    pub first: PortCensus,
    pub now: PortCensus,
}

/// One row of the ports view: a class now, and its growth since the view opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ViewRow {
    pub row: ClassRow,
    /// Names and urefs gained since the view opened.
    pub names_growth: i64,
    pub urefs_growth: i64,
}

impl PortsView {
    pub(crate) fn open(first: PortCensus) -> Self {
        PortsView {
            now: first.clone(),
            first,
        }
    }

    /// A new sample (taken with [`Self::memory`] so dead names keep their class).
    pub(crate) fn update(&mut self, now: PortCensus) {
        self.now = now;
    }

    /// The sample to pass as `memory` to the next [`PortCensus::take`].
    pub(crate) fn memory(&self) -> &PortCensus {
        &self.now
    }

    /// The rows, most grown first (then by type and class).
    pub(crate) fn rows(&self) -> Vec<ViewRow> {
        let first: HashMap<(String, String), ClassRow> = self
            .first
            .classes()
            .into_iter()
            .map(|r| ((r.type_name.clone(), r.class.clone()), r))
            .collect();
        let mut rows: Vec<ViewRow> = self
            .now
            .classes()
            .into_iter()
            .map(|row| {
                let before = first.get(&(row.type_name.clone(), row.class.clone()));
                ViewRow {
                    names_growth: row.names as i64 - before.map_or(0, |b| b.names as i64),
                    urefs_growth: row.urefs as i64 - before.map_or(0, |b| b.urefs as i64),
                    row,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (b.names_growth, b.urefs_growth)
                .cmp(&(a.names_growth, a.urefs_growth))
                .then_with(|| a.row.type_name.cmp(&b.row.type_name))
                .then_with(|| a.row.class.cmp(&b.row.class))
        });
        rows
    }

    /// The registry IDs the process holds live names on in one (type, class) row: what
    /// Enter on a class filters the tree to.
    pub(crate) fn entries_of(
        &self,
        type_name: &str,
        class: &str,
    ) -> std::collections::BTreeSet<u64> {
        self.now
            .names
            .iter()
            .filter(|n| !n.dead && n.type_name == type_name && n.class_label() == class)
            .filter_map(|n| n.registry_id)
            .collect()
    }
}
