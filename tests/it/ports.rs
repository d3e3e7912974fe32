//! `ioscope ports`: the port census on the simulated Mac (its leaking app, our own task) and
//! on an `lsmp -j` file written here exactly as lsmp's source writes one.

use crate::common::{json, run, temp_file};

fn class<'a>(report: &'a serde_json::Value, ty: &str, class: &str) -> &'a serde_json::Value {
    report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == ty && r["class"] == class)
        .unwrap_or_else(|| panic!("no {ty} {class} in {report}"))
}

#[test]
fn the_demo_leaker_is_read_by_class() {
    let out = run(&["ports", "--demo-leak", "--format", "json", "--entries"]);
    assert!(out.status.success());
    let r = json(&out);
    assert_eq!(r["process"], "LeakyApp");
    assert_eq!(r["access"], "read");
    let clients = class(&r, "IOKIT-CONNECT", "IOHIDLibUserClient");
    assert_eq!(clients["names"], 3);
    assert_eq!(clients["urefs"], 3);
    let root = class(&r, "IOKIT-OBJECT", "IOHIDSystem");
    assert_eq!(
        (root["names"].as_u64(), root["urefs"].as_u64()),
        (Some(1), Some(3 * 8192))
    );
    // --entries: one per name, each with its registry ID; the counts add up.
    let entries = r["entries"].as_array().unwrap();
    let total: u64 = r["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["names"].as_u64().unwrap())
        .sum();
    assert_eq!(entries.len() as u64, total);
    for e in entries {
        assert!(e["name"].as_str().unwrap().starts_with("0x"));
        assert!(e["id"].as_str().unwrap().starts_with("0x1"));
        assert_eq!(e["rights"], serde_json::json!(["send"]));
    }
}

#[test]
fn interval_prints_one_object_per_sample_and_the_growth() {
    let out = run(&[
        "ports",
        "--demo-leak",
        "--interval",
        "5ms",
        "--count",
        "7",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    let names: Vec<u64> = lines
        .iter()
        .map(|r| {
            class(r, "IOKIT-CONNECT", "IOHIDLibUserClient")["names"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        names,
        [3, 4, 5, 6, 7, 8, 9],
        "one more forgotten client per sample"
    );
    // 8192 lookups a step: the 8th step reaches 65536, past 65535 where urefs saturate.
    let root: Vec<(u64, u64)> = lines
        .iter()
        .map(|r| {
            let c = class(r, "IOKIT-OBJECT", "IOHIDSystem");
            (
                c["urefs"].as_u64().unwrap(),
                c["saturated"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(root[4], (7 * 8192, 0));
    assert_eq!(root[5], (65535, 1));
    assert_eq!(root[6], (65535, 1));
    assert!(lines[0].get("growth").is_none());
    let grew = lines[6]["growth"].as_array().unwrap();
    let g = grew
        .iter()
        .find(|g| g["class"] == "IOHIDLibUserClient")
        .unwrap();
    assert_eq!(g["names"], 6);
}

#[test]
fn interval_text_names_the_growing_class() {
    let out = run(&["ports", "--demo-leak", "--interval", "5ms", "--count", "2"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let grew = text
        .lines()
        .find(|l| l.contains("grew since the first sample"))
        .unwrap();
    assert!(grew.contains("LeakyApp (pid 501): 5 IOKit names"), "{grew}");
    assert!(
        text.contains("IOHIDLibUserClient names +1  urefs +1"),
        "{text}"
    );
}

#[test]
fn a_name_resolves_and_an_unknown_one_is_refused() {
    let out = run(&["ports", "LeakyApp", "--demo-leak", "--format", "json"]);
    assert_eq!(json(&out)["pid"], 501);
    let out = run(&["ports", "NoSuch\x1bApp", "--demo-leak"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no process is named NoSuch\\x1bApp"), "{err}");
}

/// A PID no process has is an error (exit 1, one line), never a table for a process that is
/// not there (the demo's processes: WindowServer refuses, 99999 does not exist).
#[cfg(not(target_os = "macos"))]
#[test]
fn a_pid_no_process_has_is_an_error() {
    let out = run(&["ports", "99999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("99999") && err.contains("ESRCH"), "{err}");
    // A process that exists but refuses still gets its line and the fallback (exit 0).
    assert!(run(&["ports", "WindowServer"]).status.success());
}

#[cfg(not(target_os = "macos"))]
#[test]
fn the_list_shows_what_can_be_read() {
    let out = run(&["ports", "--format", "json"]);
    let list = json(&out);
    let rows = list.as_array().unwrap();
    let me = rows.iter().find(|r| r["name"] == "ioscope").unwrap();
    assert!(
        me["iokit_names"].as_u64().unwrap() > 1000,
        "our walk's handles"
    );
    let ws = rows.iter().find(|r| r["name"] == "WindowServer").unwrap();
    assert!(ws["iokit_names"].is_null(), "SIP-protected: refused");
}

#[cfg(not(target_os = "macos"))]
#[test]
fn a_refused_process_gets_one_line_and_the_fallback() {
    let out = run(&["ports", "WindowServer"]);
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("EPERM")
            && err.contains("root")
            && err.contains("get-task-allow")
            && err.contains("SIP")
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("inspect port only"), "{text}");
    assert!(
        text.contains("user clients opened by this process (IOUserClientCreator)"),
        "{text}"
    );
    let r = json(&run(&["ports", "WindowServer", "--format", "json"]));
    assert_eq!(r["access"], "inspect");
    assert!(r["table"]["table_inuse"].as_u64().unwrap() > 0);
    // The fallback agrees with `ioscope clients` (the same IOUserClientCreator census).
    let clients = json(&run(&["clients", "--format", "json"]));
    let ws = clients
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["process"] == "WindowServer")
        .unwrap();
    assert_eq!(r["user_clients"]["clients"], ws["clients"]);
    assert_eq!(r["user_clients"]["classes"], ws["classes"]);
    assert!(r["entries"].is_null() && r["refused"].as_str().unwrap().contains("EPERM"));
    // --interval on an inspect port follows the size of the port table.
    let out = run(&["ports", "WindowServer", "--interval", "5ms", "--count", "2"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("names in use (+0 since the first sample)"),
        "{text}"
    );
}

#[cfg(not(target_os = "macos"))]
#[test]
fn ports_self_lists_our_handles() {
    let r = json(&run(&["ports", "self", "--format", "json", "--entries"]));
    assert_eq!(r["access"], "self");
    let entries = r["entries"].as_array().unwrap();
    assert!(entries.len() > 1000);
    // Every handle is one name with one uref (a walk obtains each entry once).
    assert!(
        entries
            .iter()
            .all(|e| e["urefs"] == 1 && e["type"] == "IOKIT-OBJECT")
    );
    let ids: std::collections::HashSet<&str> =
        entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), entries.len(), "one name per entry");
    assert!(entries.iter().any(|e| {
        e["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("IOService:/"))
    }));
}

/// `json.h` of lsmp: a stream that places commas itself (`require_comma`).
#[derive(Default)]
struct LsmpJson {
    out: String,
    require_comma: bool,
}

impl LsmpJson {
    fn comma(&mut self) {
        if self.require_comma {
            self.out.push(',');
        }
    }
    fn key(&mut self, key: &str) {
        self.comma();
        self.out.push_str(&format!("\"{key}\":"));
        self.require_comma = false;
    }
    fn value(&mut self, formatted: &str) {
        self.out.push_str(formatted);
        self.require_comma = true;
    }
    fn set(&mut self, key: &str, formatted: &str) {
        self.key(key);
        self.value(formatted);
    }
    fn begin(&mut self, c: char) {
        self.comma();
        self.out.push(c);
        self.require_comma = false;
    }
    fn end(&mut self, c: char) {
        self.out.push(c);
        self.require_comma = true;
    }
    fn append(&mut self, formatted: &str) {
        self.comma();
        self.value(formatted);
    }

    /// `show_task_table_entry` for a send right to a kernel object.
    fn kobject(&mut self, name: u32, object: u32, urefs: u32, ty: &str, desc: &str) {
        self.begin('{');
        self.set("name", &format!("\"0x{name:08x}\""));
        self.set("ipc-object", &format!("\"0x{object:08x}\""));
        self.key("rights");
        self.begin('[');
        self.append("\"send\"");
        self.end(']');
        self.key("notifications");
        self.begin('[');
        self.end(']');
        self.set("send_rights", &urefs.to_string());
        self.set("identifier", "\"0x00000000\"");
        self.set("type", &format!("\"{ty}\""));
        if !desc.is_empty() {
            self.set("description", &format!("\"{desc}\""));
        }
        self.end('}');
    }

    fn process(&mut self, pid: i32, name: &str, old_kernel: bool) {
        self.begin('{');
        self.set("pid", &pid.to_string());
        self.set("name", &format!("\"{name}\""));
        self.key("ports");
        self.begin('[');
        // A receive right (the task's own port).
        self.begin('{');
        self.set("type", "\"port\"");
        self.set("name", "\"0x00000103\"");
        self.set("ipc-object", "\"0x2d1b4a3f\"");
        self.key("rights");
        self.begin('[');
        self.append("\"recv\"");
        self.append("\"send\"");
        self.end(']');
        self.key("port_status_flags");
        self.begin('[');
        self.end(']');
        self.set("boosts", "0");
        self.key("notifications");
        self.begin('[');
        self.end(']');
        for (k, v) in [
            ("recv_rights", "1"),
            ("send_rights", "1"),
            ("send_once_rights", "0"),
            ("oref", "false"),
            ("queue_limit", "5"),
            ("msg_count", "0"),
            ("context", "\"0x0000000000000000\""),
        ] {
            self.set(k, v);
        }
        self.end('}');
        let d = |s: &str| {
            if old_kernel {
                String::new()
            } else {
                s.to_owned()
            }
        };
        self.kobject(
            0x1503,
            0x4a31_0e07,
            1,
            "IOKIT-CONNECT",
            &d("IOSurfaceRootUserClient(0x1000008a1)"),
        );
        self.kobject(
            0x1603,
            0x4a31_0f17,
            65535,
            "IOKIT-OBJECT",
            &d("IOSurfaceRoot(0x100000437)"),
        );
        self.kobject(
            0x1707,
            0x4a31_1027,
            1,
            "IOKIT-CONNECT",
            &d("IOSurfaceRootUserClient(0x1000008a2)"),
        );
        self.kobject(
            0x180b,
            0x4a31_1137,
            2,
            "IOKIT-OBJECT",
            &d("IOUSBHostDevice(0x100000a2c)"),
        );
        // A task port of itself: a kernel object, not IOKit's.
        self.kobject(0x1903, 0x4a31_1247, 3, "TASK-CONTROL", "");
        // A dead name.
        self.begin('{');
        self.set("type", "\"dead name\"");
        self.set("name", "\"0x00001a03\"");
        self.set("ipc-object", "\"0x00000000\"");
        self.set("send_rights", "4");
        self.end('}');
        // A send right to another task's port (no type).
        self.begin('{');
        self.set("name", "\"0x00001b03\"");
        self.set("ipc-object", "\"0x4a311357\"");
        self.key("rights");
        self.begin('[');
        self.append("\"send\"");
        self.end(']');
        self.key("notifications");
        self.begin('[');
        self.end(']');
        self.set("send_rights", "1");
        for (k, v) in [
            ("queue_limit", "5"),
            ("msg_count", "0"),
            ("context", "\"0x0000000000000000\""),
            ("identifier", "\"0x00000a03\""),
            ("pid", "1"),
            ("process", "\"launchd\""),
        ] {
            self.set(k, v);
        }
        self.end('}');
        self.end(']');
        for (k, v) in [
            ("total", "9"),
            ("send_rights", "6"),
            ("receive_rights", "1"),
            ("send_once_rights", "0"),
            ("port_sets", "0"),
            ("dead_names", "1"),
            ("dead_name requests", "0"),
            ("vouchers", "0"),
        ] {
            self.set(k, v);
        }
        self.key("exception_ports");
        self.begin('[');
        self.end(']');
        self.end('}');
    }
}

fn lsmp_file(old_kernel: bool) -> String {
    lsmp_processes(&[(812, "Leaky\x1bApp")], old_kernel)
}

/// `lsmp -p PID -j FILE` (one process) or `lsmp -a -j FILE` (several).
fn lsmp_processes(processes: &[(i32, &str)], old_kernel: bool) -> String {
    let mut j = LsmpJson::default();
    j.begin('{');
    j.set("version", "\"1.0\"");
    j.key("processes");
    j.begin('[');
    for &(pid, name) in processes {
        j.process(pid, name, old_kernel);
    }
    j.end(']');
    j.end('}');
    j.out
}

#[test]
fn an_lsmp_file_gives_the_same_views() {
    let (_dir, path) = temp_file("lsmp.json", &lsmp_file(false));
    let path = path.to_str().unwrap();
    let r = json(&run(&[
        "ports",
        "--lsmp",
        path,
        "--format",
        "json",
        "--entries",
    ]));
    assert_eq!(r["pid"], 812);
    assert_eq!(r["process"], "Leaky\u{1b}App");
    assert_eq!(r["access"], "lsmp");
    let c = class(&r, "IOKIT-CONNECT", "IOSurfaceRootUserClient");
    assert_eq!(
        (c["names"].as_u64(), c["urefs"].as_u64()),
        (Some(2), Some(2))
    );
    let o = class(&r, "IOKIT-OBJECT", "IOSurfaceRoot");
    assert_eq!(
        (o["urefs"].as_u64(), o["saturated"].as_u64()),
        (Some(65535), Some(1))
    );
    assert_eq!(class(&r, "IOKIT-OBJECT", "IOUSBHostDevice")["urefs"], 2);
    assert_eq!(
        class(&r, "DEAD-NAME", "(port destroyed before it was seen)")["dead"],
        1
    );
    let entries = r["entries"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        5,
        "4 IOKit send rights and the dead name; no task or receive port"
    );
    let e = entries.iter().find(|e| e["name"] == "0x180b").unwrap();
    assert_eq!(e["id"], "0x100000a2c");
    // The text view escapes the raw ESC lsmp wrote into the name.
    let text = String::from_utf8(run(&["ports", "--lsmp", path]).stdout).unwrap();
    assert!(
        text.starts_with("Leaky\\x1bApp (pid 812): lsmp file; 9 names in its space, 4 IOKit"),
        "{text}"
    );
    assert!(!text.contains('\x1b'));
    // Selecting by PID and a PID the file lacks.
    assert!(run(&["ports", "812", "--lsmp", path]).status.success());
    let out = run(&["ports", "99", "--lsmp", path]);
    assert!(!out.status.success());
}

#[test]
fn an_lsmp_file_from_an_old_kernel_has_types_only() {
    let (_dir, path) = temp_file("lsmp-old.json", &lsmp_file(true));
    let r = json(&run(&[
        "ports",
        "--lsmp",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let c = class(
        &r,
        "IOKIT-CONNECT",
        "(class unknown: kernel before 10.15.5)",
    );
    assert_eq!(c["names"], 2);
    let text = String::from_utf8(run(&["ports", "--lsmp", path.to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains("older than macOS 10.15.5"), "{text}");
}

#[test]
fn a_broken_lsmp_file_names_the_place() {
    let (_dir, path) = temp_file("cut.json", &lsmp_file(false)[..200]);
    let out = run(&["ports", "--lsmp", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cut.json: line 1, column"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn an_lsmp_file_of_every_process_lists_them() {
    let file = lsmp_processes(&[(812, "LeakyApp"), (99, "other")], false);
    let (_dir, path) = temp_file("all.json", &file);
    let path = path.to_str().unwrap();
    let list = json(&run(&["ports", "--lsmp", path, "--format", "json"]));
    assert_eq!(
        list,
        serde_json::json!([
            {"pid": 812, "name": "LeakyApp", "iokit_names": 4},
            {"pid": 99, "name": "other", "iokit_names": 4}
        ])
    );
    let one = json(&run(&[
        "ports", "other", "--lsmp", path, "--format", "json",
    ]));
    assert_eq!(one["pid"], 99);
}

/// The explorer's ports view (`P`) drawn into a `TestBackend`, on the demo with its leaking
/// app: insta snapshots of the view, its refusal and the marked tree, and the keys.
mod view {
    use crate::tui::Harness;
    use Action::*;
    use ioscope::app::{Action, App, SourceKind};
    use ioscope::kernel::KernelSession;
    use ioscope::kernel::session::LiveSession;
    use ioscope::kernel::sim::SimKernel;
    use ioscope::registry::Origin;
    use std::sync::Arc;
    use std::time::Duration;

    impl Harness {
        /// `P`, the process, Enter.
        fn open(&mut self, process: &str) -> &mut Self {
            self.press(&[Ports]).typed(process).press(&[Accept])
        }
        /// A re-walk (as after each leak in `--demo-leak`), waited for.
        fn rewalk(&mut self) {
            self.press(&[Refresh]);
            let start = std::time::Instant::now();
            while self.app.is_loading() {
                assert!(start.elapsed() < Duration::from_secs(10), "walk finished");
                std::thread::sleep(Duration::from_millis(10));
                self.app.poll();
            }
            self.draw();
        }
    }

    /// The demo after `steps` leaks, walked, with the kernel's port spaces in the session.
    fn leaked(steps: u32) -> (Arc<SimKernel>, Harness) {
        let sim = Arc::new(SimKernel::new());
        sim.spawn_leaker(steps);
        let mut session = KernelSession::new(sim.clone(), Origin::Demo)
            .with_plug(sim.clone())
            .with_port_spaces(sim.clone());
        let registry = session.walk(&mut |_| {}).expect("the demo kernel walks");
        let h = Harness::new(
            App::with_registry(SourceKind::Demo, registry, Some(Box::new(session))),
            120,
            32,
        );
        (sim, h)
    }

    #[test]
    fn the_view_shows_each_class_and_its_growth_since_it_opened() {
        let (sim, mut h) = leaked(3);
        h.open("LeakyApp");
        let screen = h.screen();
        assert!(
            screen.contains("Ports of LeakyApp (pid 501): read task port — 4 IOKit names"),
            "{screen}"
        );
        for _ in 0..2 {
            sim.leak_step().unwrap();
        }
        h.rewalk();
        let screen = h.screen();
        let row = |class: &str| {
            screen
                .lines()
                .map(|l| {
                    l.split_whitespace()
                        .skip_while(|w| !w.starts_with("IOKIT-"))
                })
                .find(|words| words.clone().nth(1) == Some(class))
                .unwrap_or_else(|| panic!("{class} listed:\n{screen}"))
                .skip(2)
                .take(6)
                .collect::<Vec<_>>()
                .join(" ")
        };
        // names, +names, urefs, +urefs, saturated, dead.
        assert_eq!(row("IOHIDLibUserClient"), "5 +2 5 +2 0 0");
        assert_eq!(row("IOHIDSystem"), "1 0 40960 +16384 0 0");
        insta::assert_snapshot!("ports_view", screen);
    }

    #[test]
    fn enter_filters_the_tree_to_the_entries_held_and_marks_them() {
        let (_, mut h) = leaked(2);
        h.open("501").press(&[Top, Accept]);
        let screen = h.screen();
        assert!(
            screen.contains("showing 2 entries LeakyApp (pid 501) holds of IOHIDLibUserClient"),
            "{screen}"
        );
        assert_eq!(
            screen
                .matches("⟨1 name, 1 uref⟩ IOHIDLibUserClient")
                .count(),
            2
        );
        assert!(
            screen.contains("⟨1 name, 16384 urefs⟩ IOHIDSystem"),
            "{screen}"
        );
        insta::assert_snapshot!("ports_marked_tree", screen);
        // Esc leaves the filter and keeps the marks; P, Enter, Esc forgets the process.
        h.press(&[Back]);
        assert!(h.screen().contains("⟨1 name, 1 uref⟩"), "{}", h.screen());
        h.press(&[Ports, Accept, Back]);
        assert!(!h.screen().contains('⟨'), "{}", h.screen());
    }

    #[test]
    fn a_refused_process_says_why_and_shows_its_user_clients() {
        let (_, mut h) = leaked(0);
        h.open("WindowServer");
        let screen = h.screen();
        assert!(
            screen.contains("task_read_for_pid(161) refused: EPERM"),
            "{screen}"
        );
        assert!(screen.contains("get-task-allow"), "{screen}");
        assert!(
            screen.contains("user clients opened by this process (IOUserClientCreator"),
            "{screen}"
        );
        insta::assert_snapshot!("ports_view_refused", screen);
    }

    #[test]
    fn unknown_processes_and_dumps_say_why() {
        let (_, mut h) = leaked(0);
        h.open("NoSuch\u{1b}App");
        assert!(
            h.screen()
                .contains("no process is named NoSuch\\x1bApp (`ioscope ports` lists them)"),
            "{}",
            h.screen()
        );
        h.open("99999");
        let screen = h.screen();
        assert!(
            screen.contains("no process has that PID") && !screen.contains("Ports of"),
            "a message, not a view of a process that is not there:\n{screen}"
        );
        let mut dump = Harness::new(
            App::with_registry(
                SourceKind::File("x.txt".into()),
                ioscope::registry::Registry::new(),
                None,
            ),
            120,
            32,
        );
        dump.open("1");
        assert!(
            dump.screen()
                .contains("the ports view reads a running kernel"),
            "{}",
            dump.screen()
        );
    }
}
