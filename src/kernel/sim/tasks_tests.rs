//! The port census over the simulated Mac: each path of the census issue (allowed, refused
//! with its fallback, a too-weak port, an old kernel, saturation, dead names, coalescing,
//! name reuse, races), through the same [`PortCensus`] code the CLI runs.
//! Expected values come from xnu's rules (`mach-iokit-rules.md` §2–§4, bsd/vm/vm_unix.c).

use super::*;
use crate::kernel::KernelSession;
use crate::kernel::PlugControl as _;
use crate::kernel::ports::census::{Access, PortCensus, Target, UNKNOWN_CLASS, UNKNOWN_DEAD};
use crate::kernel::session::LiveSession;
use crate::kernel::sim::leaky::{LEAK_CLASS, LEAK_LOOKUPS_PER_STEP, LEAK_SERVICE, LEAKER_PID};
use crate::kernel::sim::machine::HOTPLUG_DEVICE;
use crate::registry::Origin;
use std::sync::Arc;

fn boot() -> Arc<SimKernel> {
    Arc::new(SimKernel::new())
}

fn take(sim: &SimKernel, pid: Pid) -> PortCensus {
    PortCensus::take(sim, Target::Pid(pid), "?", None)
}

fn row(c: &PortCensus, ty: &str, class: &str) -> Option<crate::kernel::ports::census::ClassRow> {
    c.classes()
        .into_iter()
        .find(|r| r.type_name == ty && r.class == class)
}

#[test]
fn same_user_reads_a_get_task_allow_app() {
    let sim = boot();
    sim.spawn_leaker(3);
    let c = take(&sim, LEAKER_PID);
    assert_eq!(c.access, Access::Read);
    assert_eq!(c.refusal, None);
    // Three user clients opened and never closed: three connect names, one uref each.
    let connect = row(&c, "IOKIT-CONNECT", LEAK_CLASS).expect("the leaked clients");
    assert_eq!((connect.names, connect.urefs, connect.dead), (3, 3, 0));
    // One service looked up 3 × 8192 times: one name (copy-out coalesces), its urefs summed.
    let object = row(&c, "IOKIT-OBJECT", LEAK_SERVICE).expect("the service");
    assert_eq!(
        (object.names, object.urefs, object.saturated),
        (1, 3 * 8192, 0)
    );
    assert!(c.space.is_some(), "a read port also reads the table size");
}

#[test]
fn urefs_saturate_at_65535() {
    let sim = boot();
    sim.spawn_leaker(9); // 9 × 8192 = 73,728 lookups
    let c = take(&sim, LEAKER_PID);
    let object = row(&c, "IOKIT-OBJECT", LEAK_SERVICE).unwrap();
    assert_eq!(
        (object.names, object.urefs, object.saturated),
        (1, 65535, 1)
    );
    sim.leak_step().unwrap();
    let again = take(&sim, LEAKER_PID);
    let object = row(&again, "IOKIT-OBJECT", LEAK_SERVICE).unwrap();
    assert_eq!(object.urefs, 65535, "a pegged count stays pegged");
    assert_eq!(row(&again, "IOKIT-CONNECT", LEAK_CLASS).unwrap().names, 10);
}

#[test]
fn refused_read_port_falls_back_to_the_inspect_port() {
    let sim = boot();
    // zoom.us: same user, no get-task-allow, not SIP-protected.
    let c = take(&sim, 2210);
    assert_eq!(c.access, Access::Inspect);
    let why = c.refusal.as_deref().unwrap();
    assert!(why.contains("EPERM"), "{why}");
    assert!(why.contains("root") && why.contains("get-task-allow") && why.contains("SIP"));
    assert!(c.names.is_empty());
    assert!(c.space.unwrap().table_inuse >= 4);
    // As root, the read port is given.
    sim.set_port_policy(PortPolicy {
        root: true,
        old_kernel: false,
    });
    assert_eq!(take(&sim, 2210).access, Access::Read);
}

#[test]
fn sip_protected_and_kernel_refuse_even_root() {
    let sim = boot();
    sim.set_port_policy(PortPolicy {
        root: true,
        old_kernel: false,
    });
    assert_eq!(
        sim.task_read_for_pid(161),
        Err(Errno::EPERM),
        "WindowServer"
    );
    assert_eq!(sim.task_read_for_pid(0), Err(Errno::EPERM), "kernel_task");
    assert_eq!(sim.task_inspect_for_pid(0), Err(Errno::EPERM));
    let c = take(&sim, 161);
    assert_eq!(
        c.access,
        Access::Inspect,
        "root still gets the inspect port"
    );
    assert_eq!(sim.task_read_for_pid(99_999), Err(Errno::ESRCH));
    let none = take(&sim, 99_999);
    assert_eq!(none.access, Access::None);
    assert!(none.no_process, "ESRCH is no process, not a refusal");
    assert!(none.refusal.unwrap().contains("ESRCH"));
}

#[test]
fn another_users_process_refuses_inspect_too() {
    let sim = boot();
    sim.spawn_task(700, "otheruser", 502, true, false);
    assert_eq!(sim.task_read_for_pid(700), Err(Errno::EPERM));
    assert_eq!(sim.task_inspect_for_pid(700), Err(Errno::EPERM));
    assert_eq!(take(&sim, 700).access, Access::None);
}

#[test]
fn an_inspect_port_is_too_weak_for_the_names() {
    let sim = boot();
    sim.spawn_leaker(1);
    let inspect = sim.task_inspect_for_pid(LEAKER_PID).unwrap();
    assert_eq!(
        sim.mach_port_space_info(inspect),
        Err(KernReturn::INVALID_ARGUMENT)
    );
    assert_eq!(
        sim.mach_port_kobject_description(inspect, 0x103),
        Err(KernReturn::INVALID_ARGUMENT)
    );
    assert!(sim.mach_port_space_basic_info(inspect).is_ok());
    // With a read port, a receive right (the task's own runtime port) is described too: no
    // kernel object.
    let read = sim.task_read_for_pid(LEAKER_PID).unwrap();
    let d = sim.mach_port_kobject_description(read, 0x103).unwrap();
    assert_eq!((d.kotype, d.description.as_str()), (kotype::NONE, ""));
    assert_eq!(
        sim.mach_port_kobject_description(read, 0x7777_7703),
        Err(KernReturn::INVALID_NAME)
    );
    sim.release_task_port(inspect);
    // A released task-port name is stale.
    assert_eq!(
        sim.mach_port_space_basic_info(inspect),
        Err(KernReturn::MACH_SEND_INVALID_DEST)
    );
}

#[test]
fn an_old_kernel_gives_the_type_only() {
    let sim = boot();
    sim.set_port_policy(PortPolicy {
        root: false,
        old_kernel: true,
    });
    sim.spawn_leaker(2);
    let c = take(&sim, LEAKER_PID);
    assert!(c.classless());
    let connect = row(&c, "IOKIT-CONNECT", UNKNOWN_CLASS).unwrap();
    assert_eq!(connect.names, 2);
    assert!(c.names.iter().all(|n| n.registry_id.is_none()));
}

#[test]
fn descriptions_carry_the_registry_id() {
    let sim = boot();
    sim.spawn_leaker(0);
    let id = sim.find_registry_id(HOTPLUG_DEVICE).unwrap();
    let name = sim.task_obtain(LEAKER_PID, id).unwrap();
    let task = sim.task_read_for_pid(LEAKER_PID).unwrap();
    let d = sim.mach_port_kobject_description(task, name).unwrap();
    assert_eq!(d.kotype, kotype::IOKIT_OBJECT);
    assert_eq!(d.address, 0);
    assert_eq!(d.description, format!("IOUSBHostDevice({id:#x})"));
}

#[test]
fn a_terminated_service_leaves_dead_names() {
    let sim = boot();
    sim.spawn_leaker(0);
    let id = sim.find_registry_id(HOTPLUG_DEVICE).unwrap();
    let name = sim.task_obtain(LEAKER_PID, id).unwrap();
    sim.task_obtain(LEAKER_PID, id).unwrap();
    let before = take(&sim, LEAKER_PID);
    assert_eq!(
        row(&before, "IOKIT-OBJECT", "IOUSBHostDevice")
            .unwrap()
            .names,
        1
    );
    sim.toggle_demo_device().unwrap(); // unplug: the device's services terminate
    let after = PortCensus::take(&*sim, Target::Pid(LEAKER_PID), "?", Some(&before));
    let dead = row(&after, "IOKIT-OBJECT", "IOUSBHostDevice").unwrap();
    assert_eq!(
        (dead.names, dead.dead, dead.urefs),
        (1, 1, 2),
        "dead-name urefs kept"
    );
    assert_eq!(sim.task_refs(LEAKER_PID, name, right::DEAD_NAME), Ok(2));
    // Without an earlier sample the kernel cannot say what the dead name was.
    let cold = take(&sim, LEAKER_PID);
    let unknown = row(&cold, UNKNOWN_DEAD.0, UNKNOWN_DEAD.1).unwrap();
    assert_eq!(unknown.dead, 1);
}

#[test]
fn ports_are_shared_and_our_release_keeps_theirs() {
    let sim = boot();
    sim.spawn_leaker(0);
    let mut session = KernelSession::new(sim.clone(), Origin::Demo);
    session.walk(&mut |_| {}).unwrap();
    let id = sim.find_registry_id(HOTPLUG_DEVICE).unwrap();
    let ours = session.handles().by_registry_id(id).unwrap().port;
    let theirs = sim.task_obtain(LEAKER_PID, id).unwrap();
    let object_of =
        |infos: &[NameInfo], name: Port| infos.iter().find(|i| i.name == name).unwrap().object;
    let me = sim.mach_task_self();
    let ours_info = sim.mach_port_space_info(me).unwrap();
    let task = sim.task_read_for_pid(LEAKER_PID).unwrap();
    let theirs_info = sim.mach_port_space_info(task).unwrap();
    assert_eq!(
        object_of(&ours_info, ours),
        object_of(&theirs_info, theirs),
        "one port per (object, kind), named in both tasks"
    );
    drop(session); // releases every handle we held: the leaker's right must stay a send right
    let c = take(&sim, LEAKER_PID);
    let held = c.names.iter().find(|n| n.name == theirs).unwrap();
    assert!(!held.dead);
    assert_eq!(held.registry_id, Some(id));
}

#[test]
fn copy_out_coalesces_and_a_freed_name_comes_back_with_a_new_generation() {
    let sim = boot();
    sim.spawn_leaker(0);
    let id = sim.find_registry_id(HOTPLUG_DEVICE).unwrap();
    let a = sim.task_obtain(LEAKER_PID, id).unwrap();
    assert_eq!(sim.task_obtain(LEAKER_PID, id), Some(a), "same name");
    assert_eq!(sim.task_refs(LEAKER_PID, a, right::SEND), Ok(2));
    assert_eq!(sim.task_release(LEAKER_PID, a), KernReturn::SUCCESS);
    assert_eq!(sim.task_release(LEAKER_PID, a), KernReturn::SUCCESS);
    assert_eq!(sim.task_release(LEAKER_PID, a), KernReturn::INVALID_NAME);
    let other = sim.find_registry_id(LEAK_SERVICE).unwrap();
    let b = sim.task_obtain(LEAKER_PID, other).unwrap();
    assert_eq!(b >> 8, a >> 8, "the freed slot is reused (LIFO)");
    assert_eq!(b & 0xff, (a & 0xff) + 4, "with the next generation");
    let c = take(&sim, LEAKER_PID);
    assert!(c.names.iter().all(|n| n.name != a));
}

/// Runs `act` once, just before the first `mach_port_kobject_description`: the target
/// changes between the census's two calls.
type Act = Box<dyn FnOnce(&SimKernel) + Send>;

struct Racy {
    sim: Arc<SimKernel>,
    act: std::sync::Mutex<Option<Act>>,
}

impl PortSpaces for Racy {
    fn own_pid(&self) -> Pid {
        self.sim.own_pid()
    }
    fn list_processes(&self) -> Vec<ProcessInfo> {
        self.sim.list_processes()
    }
    fn mach_task_self(&self) -> Port {
        self.sim.mach_task_self()
    }
    fn task_read_for_pid(&self, pid: Pid) -> Result<Port, Errno> {
        self.sim.task_read_for_pid(pid)
    }
    fn task_inspect_for_pid(&self, pid: Pid) -> Result<Port, Errno> {
        self.sim.task_inspect_for_pid(pid)
    }
    fn mach_port_space_info(&self, task: Port) -> Result<Vec<NameInfo>, KernReturn> {
        self.sim.mach_port_space_info(task)
    }
    fn mach_port_space_basic_info(&self, task: Port) -> Result<SpaceBasicInfo, KernReturn> {
        self.sim.mach_port_space_basic_info(task)
    }
    fn mach_port_kobject_description(
        &self,
        task: Port,
        name: Port,
    ) -> Result<KobjectDescription, KernReturn> {
        if let Some(act) = self.act.lock().unwrap().take() {
            act(&self.sim);
        }
        self.sim.mach_port_kobject_description(task, name)
    }
    fn release_task_port(&self, task: Port) {
        self.sim.release_task_port(task)
    }
}

#[test]
fn a_name_released_meanwhile_is_invalid_name_and_left_out() {
    let sim = boot();
    sim.spawn_leaker(0);
    let id = sim.find_registry_id(HOTPLUG_DEVICE).unwrap();
    let name = sim.task_obtain(LEAKER_PID, id).unwrap();
    let task = sim.task_read_for_pid(LEAKER_PID).unwrap();
    let racy = Racy {
        sim: sim.clone(),
        act: std::sync::Mutex::new(Some(Box::new(move |s: &SimKernel| {
            assert_eq!(s.task_release(LEAKER_PID, name), KernReturn::SUCCESS);
        }))),
    };
    // The raw call, after the release: KERN_INVALID_NAME.
    racy.act.lock().unwrap().take().unwrap()(&sim);
    assert_eq!(
        sim.mach_port_kobject_description(task, name),
        Err(KernReturn::INVALID_NAME)
    );
    // Through the census: the name listed first and gone when described is counted as vanished.
    let name2 = sim.task_obtain(LEAKER_PID, id).unwrap();
    *racy.act.lock().unwrap() = Some(Box::new(move |s: &SimKernel| {
        s.task_release(LEAKER_PID, name2);
    }));
    let c = PortCensus::take(&racy, Target::Pid(LEAKER_PID), "?", None);
    assert_eq!(c.vanished, 1);
    assert!(c.names.iter().all(|n| n.name != name2));
}

#[test]
fn a_name_dead_meanwhile_is_invalid_right_and_counted_dead() {
    let sim = boot();
    sim.spawn_leaker(0);
    let id = sim.find_registry_id(HOTPLUG_DEVICE).unwrap();
    let name = sim.task_obtain(LEAKER_PID, id).unwrap();
    let first = take(&sim, LEAKER_PID);
    let racy = Racy {
        sim: sim.clone(),
        act: std::sync::Mutex::new(Some(Box::new(|s: &SimKernel| {
            s.toggle_demo_device().unwrap();
        }))),
    };
    let c = PortCensus::take(&racy, Target::Pid(LEAKER_PID), "?", Some(&first));
    let held = c.names.iter().find(|n| n.name == name).unwrap();
    assert!(
        held.dead,
        "KERN_INVALID_RIGHT: the port died after the listing"
    );
    assert_eq!(held.class.as_deref(), Some("IOUSBHostDevice"));
    let task = sim.task_read_for_pid(LEAKER_PID).unwrap();
    assert_eq!(
        sim.mach_port_kobject_description(task, name),
        Err(KernReturn::INVALID_RIGHT)
    );
}

#[test]
fn ports_self_agrees_with_the_handle_table() {
    let sim = boot();
    let mut session = KernelSession::new(sim.clone(), Origin::Demo);
    let registry = session.walk(&mut |_| {}).unwrap();
    let c = PortCensus::take(&*sim, Target::SelfTask, "ioscope", None);
    assert_eq!(c.access, Access::SelfTask);
    let table = session.handles();
    assert!(table.len() > 1000);
    let mut matched = 0;
    for entry in table.entry_ids() {
        let h = table.get(entry).unwrap();
        let n = c
            .names
            .iter()
            .find(|n| n.name == h.port)
            .unwrap_or_else(|| panic!("handle {:#x} missing from the census", h.port));
        assert_eq!(n.registry_id, Some(h.registry_id));
        assert_eq!(n.urefs, h.held);
        assert_eq!(registry.find_by_id(h.registry_id), Some(entry));
        matched += 1;
    }
    let object_names = c
        .names
        .iter()
        .filter(|n| n.type_name == "IOKIT-OBJECT")
        .count();
    assert_eq!(
        object_names, matched,
        "every IOKit object name is a handle of the table"
    );
}

#[test]
fn entries_resolve_to_paths_in_our_walk() {
    let sim = boot();
    sim.spawn_leaker(1);
    let id = sim.find_registry_id(HOTPLUG_DEVICE).unwrap();
    sim.task_obtain(LEAKER_PID, id).unwrap();
    let mut session = KernelSession::new(sim.clone(), Origin::Demo);
    let registry = session.walk(&mut |_| {}).unwrap();
    let c = take(&sim, LEAKER_PID);
    let rows = c.entry_rows(Some(&registry));
    let device = rows.iter().find(|r| r.class == "IOUSBHostDevice").unwrap();
    assert_eq!(device.id, Some(format!("{id:#x}")));
    let path = device.path.as_deref().unwrap();
    assert!(path.starts_with("IOService:/"), "{path}");
    assert!(
        path.ends_with(&format!(
            "/{HOTPLUG_DEVICE}@{}",
            path.rsplit('@').next().unwrap()
        )),
        "{path}"
    );
    // Under IOResources (a child of Root beside the platform device) xnu's getPath fails:
    // the leaked clients of IOHIDSystem have an entry but no path, as on a Mac.
    let client = rows.iter().find(|r| r.class == LEAK_CLASS).unwrap();
    assert!(client.id.is_some());
    assert_eq!(client.path, None);
}

#[test]
fn the_ports_view_ranks_the_leaking_class_first_and_picks_its_entries() {
    use crate::kernel::ports::census::PortsView;
    let sim = boot();
    sim.spawn_leaker(2);
    let id = sim.find_registry_id(HOTPLUG_DEVICE).unwrap();
    sim.task_obtain(LEAKER_PID, id).unwrap();
    let mut view = PortsView::open(take(&sim, LEAKER_PID));
    assert!(
        view.rows()
            .iter()
            .all(|r| r.names_growth == 0 && r.urefs_growth == 0)
    );
    sim.leak_step().unwrap();
    sim.leak_step().unwrap();
    let next = PortCensus::take(&*sim, Target::Pid(LEAKER_PID), "?", Some(view.memory()));
    view.update(next);
    let rows = view.rows();
    assert_eq!(rows[0].row.class, LEAK_CLASS);
    assert_eq!((rows[0].names_growth, rows[0].urefs_growth), (2, 2));
    assert_eq!(rows[1].row.class, LEAK_SERVICE);
    assert_eq!(rows[1].urefs_growth, 2 * i64::from(LEAK_LOOKUPS_PER_STEP));
    let clients = view.entries_of("IOKIT-CONNECT", LEAK_CLASS);
    assert_eq!(
        clients.len(),
        4,
        "one user client per step, each its own entry"
    );
    assert_eq!(
        view.entries_of("IOKIT-OBJECT", "IOUSBHostDevice"),
        [id].into_iter().collect()
    );
    // The tree marks: names and urefs per held entry.
    let held = view.now.held_entries();
    assert_eq!(held[&id], (1, 1));
    let root = sim.find_registry_id(LEAK_SERVICE).unwrap();
    assert_eq!(held[&root], (1, 4 * u64::from(LEAK_LOOKUPS_PER_STEP)));
}

/// Reading every process's port space changes nothing the registry shows, in the demo the
/// explorer opens (`P`): its processes hold their ports from before the first walk. A machine
/// whose tasks start only with the census would show their clients' connect ports appear
/// (+1 on each client's retain count) as changes.
#[test]
fn the_census_changes_no_retain_count_in_the_demo() {
    // Every entry's registry ID, name and kernel retain count (what a diff would compare).
    let retains = |r: &crate::registry::Registry| {
        r.entries()
            .map(|(_, e)| (e.id, e.name.to_string(), e.retain))
            .collect::<Vec<_>>()
    };
    let census_everything = |spaces: &dyn PortSpaces| {
        for p in spaces.list_processes() {
            PortCensus::take(spaces, Target::Pid(p.pid), &p.name, None);
        }
    };
    let mut demo = crate::kernel::sim::demo_session();
    let before = demo.walk(&mut |_| {}).unwrap();
    census_everything(&*demo.port_spaces().expect("the demo reads port spaces"));
    let after = demo.walk(&mut |_| {}).unwrap();
    assert_eq!(retains(&before), retains(&after));
    // The same census on a machine whose tasks it boots: the clients' retain counts move.
    let sim = boot();
    let mut late = KernelSession::new(sim.clone(), Origin::Demo);
    let before = late.walk(&mut |_| {}).unwrap();
    census_everything(&*sim);
    let after = late.walk(&mut |_| {}).unwrap();
    assert_ne!(retains(&before), retains(&after));
}
