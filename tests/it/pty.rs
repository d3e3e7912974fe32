//! End to end: the real binary in a pseudo-terminal (portable-pty), its output parsed by
//! a terminal emulator (vt100). Opens a generated dump, navigates, searches, opens help,
//! quits, and checks that the terminal was given back (alternate screen left, cursor shown).
//! Skips (passes with a note) where no pty can be opened.

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROWS: u16 = 30;
const COLS: u16 = 110;

/// A pseudo-terminal of the test's size, or `None` (with a note) where none can be opened.
fn open_pty() -> Option<portable_pty::PtyPair> {
    open_pty_sized(ROWS, COLS)
}

fn open_pty_sized(rows: u16, cols: u16) -> Option<portable_pty::PtyPair> {
    match native_pty_system().openpty(PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("pty test skipped: no pseudo-terminal available ({e})");
            None
        }
    }
}

/// A running `ioscope` in a pty, with everything it printed fed to a vt100 parser.
struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Session {
    fn start(args: &[&str]) -> Option<Session> {
        Session::start_sized(args, ROWS, COLS)
    }

    /// The explorer on the fixture dump (written into a temporary directory kept beside it).
    fn on_fixture() -> Option<(tempfile::TempDir, Session)> {
        let dir = tempfile::tempdir().unwrap();
        let file = fixture(dir.path());
        Session::start(&[file.to_str().unwrap()]).map(|s| (dir, s))
    }

    /// `q`, then a clean exit.
    fn quit(&mut self) {
        self.send("q");
        assert!(self.wait_exit().success());
    }

    /// As [`Session::start`], with extra environment variables (`(name, value)`).
    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Option<Session> {
        Session::start_full(args, ROWS, COLS, env)
    }

    /// `ioscope ARGS` in a terminal of `rows`×`cols`.
    fn start_sized(args: &[&str], rows: u16, cols: u16) -> Option<Session> {
        Session::start_full(args, rows, cols, &[])
    }

    fn start_full(args: &[&str], rows: u16, cols: u16, env: &[(&str, &str)]) -> Option<Session> {
        let pair = open_pty_sized(rows, cols)?;
        let mut cmd = CommandBuilder::new(crate::common::ioscope_bin());
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn ioscope");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            0,
        )));
        let sink = Arc::clone(&parser);
        std::thread::spawn(move || {
            let _master = pair.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        Some(Session {
            parser,
            writer,
            child,
        })
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text` (10 s at most), returning the screen.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out waiting for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Sends the signal `name` (`TERM`, `BUS`) to ioscope.
    #[cfg(unix)]
    fn signal(&self, name: &str) {
        let pid = self.child.process_id().expect("ioscope has a pid");
        let status = std::process::Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} {pid}");
    }

    /// The alternate screen was left and the cursor shown again.
    fn assert_terminal_restored(&self, when: &str) {
        let p = self.parser.lock().unwrap();
        assert!(
            !p.screen().alternate_screen(),
            "alternate screen left {when}"
        );
        assert!(!p.screen().hide_cursor(), "cursor shown {when}");
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader thread take the last bytes.
                std::thread::sleep(Duration::from_millis(100));
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "ioscope did not exit"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A failed assertion must not leave the explorer running behind the test.
impl Drop for Session {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A small `ioreg -l` dump written by ioscope's own writer from the built-in sample.
fn fixture(dir: &std::path::Path) -> std::path::PathBuf {
    write_text_dump(&crate::fixture::registry(), dir, "fixture-ioreg.txt")
}

/// `registry` as `ioreg -l` text in `dir/name`.
fn write_text_dump(
    registry: &ioscope::registry::Registry,
    dir: &std::path::Path,
    name: &str,
) -> std::path::PathBuf {
    let mut out = Vec::new();
    ioscope::formats::write(
        registry,
        &ioscope::formats::Selection::default(),
        ioscope::formats::DumpFormat::Text,
        &mut out,
    )
    .unwrap();
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn explorer_runs_in_a_real_terminal_and_restores_it() {
    let Some((_dir, mut s)) = Session::on_fixture() else {
        return;
    };
    s.wait_for("fixture-ioreg.txt");
    s.wait_for("AppleARMPE");
    {
        let p = s.parser.lock().unwrap();
        assert!(
            p.screen().alternate_screen(),
            "explorer uses the alternate screen"
        );
        assert!(p.screen().hide_cursor(), "cursor hidden while exploring");
    }
    // Navigate: to the last row (AppleARMPE), expand it, step into usb-drd0.
    s.send("G");
    s.send("l");
    s.wait_for("usb-drd0@2280000");
    s.send("l");
    s.wait_for("Name      usb-drd0");
    s.send("j");
    s.wait_for("Name      disp0");
    // Search.
    s.send("/");
    // Ranked: `Keyboard` alone would now pick `Keyboard / Boot` (a prefix) first.
    s.send("Magic Keyboard");
    s.wait_for("matches");
    s.send("\r");
    let screen = s.wait_for("Name      Magic Keyboard");
    assert!(screen.contains("IOUSBHostDevice"));
    // Help, then close it.
    s.send("?");
    s.wait_for("Keys —");
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!s.screen().contains("Keys —"), "Esc closes help");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    s.assert_terminal_restored("after q");
}

/// The demo as a user on Linux meets it: break a handle with `-`, unplug a device with `U`.
#[test]
#[cfg_attr(
    target_os = "macos",
    ignore = "on macOS ioscope opens the live registry, not the demo"
)]
fn demo_release_to_zero_and_unplug_flag_stale_handles() {
    let Some(mut s) = Session::start(&[]) else {
        return;
    };
    s.wait_for(" demo ");
    s.wait_for("0 stale");
    // Select the Magic Keyboard by searching for it, then release our only reference.
    s.send("/");
    s.send("Magic Keyboard");
    s.send("\r");
    s.wait_for("Name      Magic Keyboard");
    s.wait_for("send refs 1");
    s.send("-");
    let screen = s.wait_for("MACH_SEND_INVALID_DEST");
    assert!(
        screen.contains("0x10000003"),
        "decoded code shown:\n{screen}"
    );
    assert!(
        screen.contains("1 stale"),
        "status bar counts it:\n{screen}"
    );
    // Unplug another USB device: its handles turn into dead names.
    s.send("/");
    s.send("iPhone");
    s.send("\r");
    s.wait_for("Name      iPhone");
    s.send("U");
    let screen = s.wait_for("dead name");
    let stale: usize = screen
        .split(" stale")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no stale count on screen:\n{screen}"));
    assert!(
        stale > 2,
        "the iPhone, its interfaces and user client are stale: {stale}"
    );
    s.quit();
}

#[test]
fn sigterm_restores_the_terminal() {
    let Some(mut s) = Session::start(&[]) else {
        return;
    };
    s.wait_for("IOService");
    #[cfg(unix)]
    s.signal("TERM");
    #[cfg(not(unix))]
    s.send("q");
    s.wait_exit();
    s.assert_terminal_restored("after SIGTERM");
}

/// A mapped dump truncated while it is read raises SIGBUS: the terminal comes back and the
/// likely reason is shown before the process dies of the signal. (Sent with `kill` here: the
/// handler is the same for a fault. Without it, a sent SIGBUS would not even end the process:
/// Rust's own handler, meant for stack overflows, resets the signal and returns.)
#[cfg(unix)]
#[test]
fn sigbus_restores_the_terminal_and_says_why() {
    let Some(mut s) = Session::start(&[]) else {
        return;
    };
    s.wait_for("IOService");
    s.signal("BUS");
    assert!(
        !s.wait_exit().success(),
        "killed by the signal, not a clean exit"
    );
    let screen = s.wait_for("SIGBUS");
    assert!(
        screen.contains("truncated while it was being read"),
        "{screen}"
    );
    s.assert_terminal_restored("after SIGBUS");
}

/// Closing the terminal (window closed, ssh dropped, tmux session killed) must end the
/// explorer: it used to spin forever inside the terminal reader, a core at 100%.
#[cfg(unix)]
#[test]
fn closing_the_terminal_ends_the_explorer() {
    let Some(pair) = open_pty() else {
        return;
    };
    let mut cmd = CommandBuilder::new(crate::common::ioscope_bin());
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).expect("spawn ioscope");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let mut parser = vt100::Parser::new(
        std::num::NonZeroU16::new(ROWS).unwrap(),
        std::num::NonZeroU16::new(COLS).unwrap(),
        0,
    );
    let mut buf = [0u8; 8192];
    while !parser.screen().contents().contains("IOService") {
        let n = reader.read(&mut buf).expect("read the first frame");
        assert!(n > 0, "ioscope exited before drawing");
        parser.process(&buf[..n]);
    }
    // Hang up: every handle on the pty's master side goes.
    drop(reader);
    drop(pair.master);
    let start = Instant::now();
    let exited = loop {
        if child.try_wait().unwrap().is_some() {
            break true;
        }
        if start.elapsed() > Duration::from_secs(5) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !exited {
        let _ = child.kill();
    }
    assert!(exited, "ioscope kept running after its terminal closed");
}

/// A real dump with an entry under several parents (IONetworkStack on a Mac mini): `:` lands
/// on its first appearance, the details pane lists the other parents, and `a` moves through
/// its appearances (each drawn with `↪`).
#[test]
fn a_moves_between_the_appearances_of_a_shared_entry() {
    let Some(dir) = crate::common::shared_corpus() else {
        return;
    };
    let file = dir.join("hackintosh-macmini8-1-smbios_15.x-24G720_ioreg-l.txt");
    let Some(mut s) = Session::start(&[file.to_str().unwrap()]) else {
        return;
    };
    s.wait_for("Root");
    s.send(":");
    s.send("0x10000036f\r");
    let screen = s.wait_for("Name      IONetworkStack");
    assert!(screen.contains("Also under"), "{screen}");
    s.send("a");
    let screen = s.wait_for("appearance 2 of");
    assert!(screen.contains("↪ IONetworkStack"), "{screen}");
    s.send("a");
    s.wait_for("appearance 3 of");
    s.quit();
}

/// Waits until the screen no longer shows `text` (10 s at most), returning the screen.
fn wait_gone(s: &Session, text: &str) -> String {
    let start = Instant::now();
    loop {
        let screen = s.screen();
        if !screen.contains(text) {
            return screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {text:?} to go; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Search at 80×24: the position among the matches, the match revealed (its ancestors
/// expanded from a collapsed tree), `n` moving the position, a qualifier, and Esc going back.
#[test]
fn search_shows_position_reveals_and_takes_qualifiers_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    let Some(mut s) = Session::start_sized(&[file.to_str().unwrap()], 24, 80) else {
        return;
    };
    s.wait_for("AppleARMPE");
    s.send("z");
    wait_gone(&s, "AppleARMPE");
    s.send("/class:IOUSBHostDevice");
    let screen = s.wait_for("1/2 matches");
    assert!(
        screen.contains("Magic Keyboard@01100000"),
        "revealed:\n{screen}"
    );
    s.send("\r");
    s.send("n");
    s.wait_for("2/2 matches");
    s.wait_for("Name      USB3.1 Hub");
    // A property value: the entry and the property that matched are shown.
    s.send("/value:touch");
    let screen = s.wait_for("Name      Magic Keyboard");
    assert!(screen.contains("USB Product Name"), "{screen}");
    // Esc in the prompt: back to the hub, where this search began.
    s.send("\x1b");
    s.wait_for("Name      USB3.1 Hub");
    s.quit();
}

/// Data values are searched as they are shown: `compatible` and `device_type` are data in
/// device trees (corpus: an Apple Silicon and a PowerPC dump).
#[test]
fn data_values_are_found_in_corpus_device_trees() {
    let Some(corpus) = crate::common::shared_corpus() else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    for (prefix, query, shown) in [
        ("m1-macbookpro17-1", "bcm4378", "wlan-pcie,bcm4378"),
        ("powermac6-1", "GeForce4MX", "NVDA,GeForce4MX"),
        // Far down IOPMrootDomain's properties (past the 2 KB once searched).
        (
            "hackintosh-macmini8-1",
            "BootSessionUUID",
            "E653922A-6DBB-4071",
        ),
    ] {
        let file = crate::common::corpus_file(&corpus, prefix);
        let Some(mut s) = Session::start(&[file.to_str().unwrap()]) else {
            return;
        };
        s.wait_for("entries");
        wait_gone(&s, "loading…");
        s.send(&format!("/{query}"));
        let screen = s.wait_for("matches");
        assert!(!screen.contains(" 0 matches"), "{prefix}: {screen}");
        s.send("\r");
        let screen = s.wait_for(shown);
        assert!(screen.contains("1/"), "{prefix}: position shown:\n{screen}");
        s.quit();
    }
}

/// `/` in the properties pane filters its rows; Esc clears the filter; Enter on a data value
/// opens the hex view with offsets.
#[test]
fn properties_filter_and_hex_view() {
    let Some((_dir, mut s)) = Session::on_fixture() else {
        return;
    };
    s.wait_for("AppleARMPE");
    s.send("/name:\"magic keyboard\"");
    s.send("\r");
    s.wait_for("Name      Magic Keyboard");
    s.send("\t\t");
    s.send("/usb");
    let screen = s.wait_for("Properties (10) /usb: 4");
    assert!(!screen.contains("idVendor"), "{screen}");
    s.send("\r");
    s.send("\x1b");
    s.wait_for("idVendor");
    // Mac14,2's `model` is data: Enter shows every byte with its offset.
    s.send("\t");
    s.send("/name:mac14");
    s.send("\r");
    s.wait_for("Name      Mac14,2");
    s.send("\t\t");
    s.send("\r");
    let screen = s.wait_for("model — 8 bytes");
    assert!(
        screen.contains("00000000  4d 61 63 31 34 2c 32 00"),
        "{screen}"
    );
    s.send("\x1b");
    wait_gone(&s, "model — 8 bytes");
    s.quit();
}

/// A dump whose deepest entry sits 30 levels down, every level with a later sibling.
fn deep_dump(dir: &std::path::Path) -> std::path::PathBuf {
    use ioscope::registry::{Entry, Registry};
    let mut r = Registry::new();
    let root = r.add_entry(Entry::named("Root"));
    r.plane_mut("IOService").add_root(root);
    let mut parent = root;
    for i in 1..=30u64 {
        let name = if i == 30 {
            "DeepLeafWithAName".to_string()
        } else {
            format!("level{i}")
        };
        let e = r.add_entry(Entry {
            id: Some(0x1000 + 2 * i),
            ..Entry::named(name.as_str())
        });
        let c = r.classes.intern("IOService");
        r.entry_mut(e).class = Some(c);
        let sib = r.add_entry(Entry {
            id: Some(0x1001 + 2 * i),
            ..Entry::named(format!("sibling{i}").as_str())
        });
        r.entry_mut(sib).class = Some(c);
        let p = r.plane_mut("IOService");
        p.add_child(parent, e);
        p.add_child(parent, sib);
        parent = e;
    }
    write_text_dump(&r, dir, "deep-ioreg.txt")
}

/// At 80 columns the deepest row keeps its name and class: the leading guides collapse.
#[test]
fn a_deep_row_keeps_its_name_at_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let file = deep_dump(dir.path());
    let Some(mut s) = Session::start_sized(&[file.to_str().unwrap()], 24, 80) else {
        return;
    };
    s.wait_for("level1");
    s.send("g*");
    s.send("/name:deepleaf");
    s.send("\r");
    s.wait_for("Name      DeepLeafWithAName");
    let screen = s.wait_for("DeepLeafWithAName  IOService");
    let row = screen
        .lines()
        .find(|l| l.contains("DeepLeafWithAName  IOService"))
        .unwrap();
    assert!(row.contains('…'), "guides collapsed: {row}");
    s.quit();
}

/// `Z` gives the focused pane the whole screen, and `Z` again gives it back.
#[test]
fn zoom_and_back() {
    let Some((_dir, mut s)) = Session::on_fixture() else {
        return;
    };
    s.wait_for("Details");
    s.send("Z");
    let screen = wait_gone(&s, "Details");
    assert!(screen.contains("│ zoom"), "{screen}");
    assert!(!screen.contains("Properties"), "{screen}");
    s.send("Z");
    s.wait_for("Details");
    s.quit();
}

/// Ranking: for `keyboard`, the name that begins with it (`Keyboard / Boot`) comes before the
/// one that holds it (`Magic Keyboard`); `n` goes on to the next in rank order.
#[test]
fn search_ranks_a_prefix_above_a_substring() {
    let Some((_dir, mut s)) = Session::on_fixture() else {
        return;
    };
    s.wait_for("AppleARMPE");
    s.send("/keyboard");
    s.wait_for("Name      Keyboard / Boot");
    s.send("\r");
    s.send("n");
    let screen = s.wait_for("Name      Magic Keyboard");
    assert!(screen.contains("2/"), "{screen}");
    s.quit();
}

/// Issue 16 §4: `i` opens the load report of a real clipped, truncated dump (with the line
/// numbers of clipped lines and where it stopped), the status bar points at it, and Esc
/// backs out of it without quitting.
#[test]
fn i_opens_the_load_report_of_a_clipped_truncated_dump() {
    let Some(corpus) = crate::common::shared_corpus() else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let file =
        crate::common::corpus_file(&corpus, "macbookpro8-3_10.6.7-10J3210_ioreg-lx-clipped400");
    let Some(mut s) = Session::start(&[file.to_str().unwrap()]) else {
        return;
    };
    // The bar points at the report (a truncation and clipped lines: two warnings).
    s.wait_for("│ i: 2 warning");
    s.send("i");
    let screen = s.wait_for("Load report");
    assert!(screen.contains("ioreg-text"), "{screen}");
    assert!(screen.contains("OS build   10J3210"), "{screen}");
    assert!(screen.contains("truncated  at line"), "{screen}");
    assert!(screen.contains("125 lines cut"), "{screen}");
    assert!(screen.contains("lines "), "clipped lines listed:\n{screen}");
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!s.screen().contains("Load report"), "Esc closes the report");
    // Esc again on the main screen: still running.
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.child.try_wait().unwrap().is_none(), "Esc never quits");
    s.wait_for("q quits");
    s.quit();
    s.assert_terminal_restored("after q");
}

/// Issue 16 §4: `e` decodes an IOReturn the explorer's old table did not know.
#[test]
fn e_decodes_an_unusual_ioreturn() {
    let Some((_dir, mut s)) = Session::on_fixture() else {
        return;
    };
    s.wait_for("AppleARMPE");
    s.send("e");
    s.send("-536870212");
    s.send("\r");
    let screen = s.wait_for("kIOReturnError");
    assert!(screen.contains("0xe00002bc"), "{screen}");
    assert!(screen.contains("sub_iokit_common"), "{screen}");
    s.send("e");
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !s.screen().contains("kIOReturnError"),
        "Esc closes the popup"
    );
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.child.try_wait().unwrap().is_none(), "Esc never quits");
    s.quit();
}

/// Issue 21: the handle lab's stale display (no kernel count: "—") and a terminated
/// entry's real state, in the demo.
#[test]
#[cfg_attr(
    target_os = "macos",
    ignore = "on macOS ioscope opens the live registry, not the demo"
)]
fn handle_lab_shows_stale_and_terminated_as_they_are() {
    let Some(mut s) = Session::start(&[]) else {
        return;
    };
    s.wait_for(" demo ");
    s.wait_for("0 stale");
    s.send("/");
    s.send("Magic Keyboard");
    s.send("\r");
    s.wait_for("Name      Magic Keyboard");
    s.wait_for("kernel retain 1");
    s.send("-");
    let screen = s.wait_for("IOObjectRelease → KERN_SUCCESS");
    assert!(screen.contains("kernel retain —"), "{screen}");
    assert!(!screen.contains("kernel retain 0"), "{screen}");
    s.send("/");
    s.send("iPhone");
    s.send("\r");
    s.wait_for("Name      iPhone");
    s.wait_for("matched, active");
    s.send("U");
    let screen = s.wait_for("terminated");
    assert!(screen.contains("inactive"), "{screen}");
    assert!(!screen.contains("matched, active"), "{screen}");
    s.quit();
}

/// Issue 21: `y` on a dict copies the value as `ioreg` prints it (not `{3 keys}`), goes to a
/// local clipboard tool found on PATH (fed on stdin) as well as OSC 52, and says which.
#[cfg(unix)]
#[test]
fn y_copies_a_dict_as_ioreg_prints_it_to_the_local_clipboard_and_says_so() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let out = dir.path().join("clipboard.txt");
    let tool = bin.join("xclip");
    std::fs::write(&tool, format!("#!/bin/sh\ncat > '{}'\n", out.display())).unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let env = [
        ("PATH", path.as_str()),
        ("DISPLAY", ":99"),
        ("WAYLAND_DISPLAY", ""),
    ];
    let Some(mut s) = Session::start_with_env(&[file.to_str().unwrap()], &env) else {
        return;
    };
    s.wait_for("AppleARMPE");
    s.send("/");
    s.send("XHC1");
    s.send("\r");
    s.wait_for("Name      XHC1");
    // To the properties pane, down to IOPowerManagement, copy.
    s.send("\t\t");
    s.send("j");
    s.wait_for("IOPowerManagement");
    s.send("y");
    s.wait_for("copied with xclip and OSC 52: {\"CurrentPowerState\"=2");
    let expected = r#"{"CurrentPowerState"=2,"MaxPowerState"=2,"DevicePowerState"=2}"#;
    let start = Instant::now();
    while std::fs::read_to_string(&out).ok().as_deref() != Some(expected) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the clipboard tool got {:?}",
            std::fs::read_to_string(&out)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    s.quit();
}

/// Without any local clipboard tool, `y` says the text went by OSC 52 only, which the
/// terminal may refuse.
#[cfg(unix)]
#[test]
fn y_without_a_local_clipboard_says_osc52_may_be_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    let env = [("PATH", "/nonexistent"), ("DISPLAY", ":99")];
    let Some(mut s) = Session::start_with_env(&[file.to_str().unwrap()], &env) else {
        return;
    };
    s.wait_for("AppleARMPE");
    // Root has no path; the platform device's is `IOService:/`.
    s.send("y");
    s.wait_for("Root has no path");
    s.send("j");
    s.send("y");
    s.wait_for("sent by OSC 52");
    s.wait_for("may refuse it");
    s.quit();
}

/// Issue 19: `AAPL,ig-platform-id` of a corpus dump shown as its little-endian value, `v`
/// cycling its views, and Enter following an `IOService:/…` value to its entry (Backspace
/// coming back).
#[test]
fn typed_views_and_following_a_reference_in_a_corpus_dump() {
    let Some(corpus) = crate::common::shared_corpus() else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let file = crate::common::corpus_file(&corpus, "hackintosh-dell-latitude-e7480");
    let Some(mut s) = Session::start_sized(&[file.to_str().unwrap()], 40, 160) else {
        return;
    };
    s.wait_for("entries");
    wait_gone(&s, "loading…");
    // "AAPL,ig-platform-id" = <00001659> is 0x59160000.
    s.send("/key:\"AAPL,ig-platform-id\"");
    s.send("\r");
    let screen = s.wait_for("AAPL,ig-platform-id = 0x59160000 (1494614016)");
    assert!(screen.contains("le32 1/2"), "{screen}");
    s.send("v");
    let screen = s.wait_for("hex 2/2");
    assert!(
        screen.contains("AAPL,ig-platform-id = <4 bytes>"),
        "{screen}"
    );
    assert!(screen.contains("0000  00 00 16 59"), "{screen}");
    s.send("v");
    s.wait_for("le32 1/2");
    // AppleIntelFramebuffer@0's IOAccelTypes names IntelAccelerator by its path.
    s.send("/key:IOAccelTypes");
    s.send("\r");
    s.wait_for("Name      AppleIntelFramebuffer");
    s.send("\t\t");
    s.send("\r");
    let screen = s.wait_for("Name      IntelAccelerator");
    // The entry the path names (its registry ID in the dump: 0x100000468).
    assert!(screen.contains("ID        0x100000468"), "{screen}");
    assert!(screen.contains("followed IOService:/"), "{screen}");
    // The details pane lists what points at it.
    assert!(
        screen.contains("Linked    AppleIntelFramebuffer@0 (IOAccelTypes)"),
        "{screen}"
    );
    s.send("\x7f");
    s.wait_for("Name      AppleIntelFramebuffer");
    s.quit();
}

/// Two dumps of the fixture for `--diff A B`: A also holds "Old Gadget" (and its interface)
/// under XHC1; B instead holds "New Thing" under usb-drd0, disp0's retain count went up by
/// 3 and the GPU gained a property.
fn diff_pair(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use ioscope::registry::{Entry, Registry, Value};
    fn find(r: &Registry, name: &str) -> ioscope::registry::EntryId {
        r.entries().find(|(_, e)| e.name == name).unwrap().0
    }
    fn add(r: &mut Registry, parent: &str, name: &str, id: u64) -> ioscope::registry::EntryId {
        let p = find(r, parent);
        let class = Some(r.classes.intern_chain(["IORegistryEntry", "IOService"]));
        let e = r.add_entry(Entry {
            id: Some(id),
            class: class.flatten(),
            retain: Some(4),
            ..Entry::named(name)
        });
        r.plane_mut("IOService").add_child(p, e);
        e
    }
    let write = |r: &Registry, name: &str| {
        let mut out = Vec::new();
        ioscope::formats::write(
            r,
            &ioscope::formats::Selection::default(),
            ioscope::formats::DumpFormat::Text,
            &mut out,
        )
        .unwrap();
        let path = dir.join(name);
        std::fs::write(&path, out).unwrap();
        path
    };
    let mut a = crate::fixture::registry();
    add(&mut a, "XHC1", "Old Gadget", 0x100000900);
    add(&mut a, "Old Gadget", "Old Gadget Interface", 0x100000901);
    let mut b = crate::fixture::registry();
    add(&mut b, "usb-drd0", "New Thing", 0x100000950);
    let disp = find(&b, "disp0");
    let retain = b.entry(disp).retain.unwrap();
    b.entry_mut(disp).retain = Some(retain + 3);
    let gpu = find(&b, "AGXAcceleratorG14G");
    b.entry_mut(gpu)
        .properties
        .push(("LeakProbe".into(), Value::string("grown")));
    (write(&a, "before.txt"), write(&b, "after.txt"))
}

/// Issue 18 §2: `--diff A B` draws added entries, removed ones as ghosts in their old place
/// and changed ones; `d` keeps only the changes; `]`/`[` go from change to change; the
/// details pane shows the property diff.
#[test]
fn diff_view_shows_ghosts_filters_changes_and_jumps() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = diff_pair(dir.path());
    let Some(mut s) = Session::start(&["--diff", a.to_str().unwrap(), b.to_str().unwrap()]) else {
        return;
    };
    let screen = s.wait_for("vs before.txt: +1 −2 ~2");
    assert!(screen.contains("after.txt"), "{screen}");
    s.send("d");
    let screen = s.wait_for("showing 5 changes");
    // The ghosts sit under their old parent, XHC1, drawn with −.
    assert!(screen.contains("− Old Gadget"), "{screen}");
    assert!(screen.contains("− Old Gadget Interface"), "{screen}");
    assert!(screen.contains("+ New Thing"), "{screen}");
    assert!(screen.contains("~ disp0"), "{screen}");
    // Unchanged entries without a changed descendant are filtered out.
    assert!(!screen.contains("Magic Keyboard"), "{screen}");
    assert!(!screen.contains("USB3.1 Hub"), "{screen}");
    // In tree order: the two ghosts under XHC1, New Thing, disp0, the GPU.
    s.send("g");
    s.send("]");
    let screen = s.wait_for("change 1/5");
    assert!(screen.contains("removed since the baseline"), "{screen}");
    assert!(screen.contains("Name      Old Gadget "), "{screen}");
    s.send("]");
    s.wait_for("Name      Old Gadget Interface");
    s.send("]");
    let screen = s.wait_for("change 3/5");
    assert!(screen.contains("added since the baseline"), "{screen}");
    s.send("]");
    s.wait_for("change 4/5");
    s.send("]");
    let screen = s.wait_for("change 5/5");
    assert!(screen.contains("LeakProbe"), "{screen}");
    assert!(screen.contains("(absent) → \"grown\""), "{screen}");
    s.send("[");
    let screen = s.wait_for("change 4/5");
    assert!(screen.contains("retain"), "{screen}");
    assert!(screen.contains("(+3)"), "{screen}");
    s.send("]");
    s.wait_for("change 5/5");
    s.send("]");
    s.wait_for("change 1/5");
    // d again: everything, the ghosts still in place.
    s.send("d");
    let screen = s.wait_for("Magic Keyboard");
    assert!(screen.contains("− Old Gadget"), "{screen}");
    s.quit();
}

/// Issue 18 §3: `c` lists every class with its instances and the kernel's count; `s` sorts
/// by count; Enter filters the tree to the class's instances.
#[test]
fn classes_view_sorts_and_filters_to_a_class() {
    let Some((_dir, mut s)) = Session::on_fixture() else {
        return;
    };
    s.wait_for("AppleARMPE");
    s.send("c");
    let screen = s.wait_for("sorted by name");
    assert!(screen.contains("Classes:"), "{screen}");
    assert!(screen.contains("AppleARMPE"), "{screen}");
    s.send("s");
    let screen = s.wait_for("sorted by count");
    // The class with the most instances first: the fixture's plain IOService entries.
    let first = screen
        .lines()
        .skip_while(|l| !l.contains("superclass"))
        .nth(1)
        .unwrap_or("");
    assert!(first.contains("IOService"), "{screen}");
    s.send("s");
    s.wait_for("sorted by delta");
    s.send("s");
    s.wait_for("sorted by name");
    // The first row by count, Enter: the tree shows only IOService's instances.
    s.send("s");
    s.wait_for("sorted by count");
    s.send("\r");
    // As many as the table said: the unique entries of exactly that class.
    let n: usize = first
        .split_whitespace()
        .skip_while(|w| *w != "IOService")
        .nth(1)
        .and_then(|w| w.parse().ok())
        .expect("an instance count");
    let screen = s.wait_for(&format!("showing {n} instances of IOService"));
    assert!(screen.contains("filter"), "{screen}");
    assert!(screen.contains("usb-drd0"), "{screen}");
    assert!(!screen.contains("XHC1"), "{screen}");
    assert!(screen.contains("disp0"), "{screen}");
    s.send("\x1b");
    s.wait_for("usb-drd0@2280000 (1)");
    s.quit();
}

/// Issue 18 §4 and §6: in `--demo-leak`, `b` marks a baseline; the leaking app's user
/// clients then grow, `u` shows them per process with their growth, Enter filters the tree
/// to them; `c` shows the kernel's IOUserIterator count growing.
#[test]
#[cfg_attr(
    target_os = "macos",
    ignore = "the pty harness opens the demo; on macOS too, but keep the live default quiet"
)]
fn clients_view_shows_the_leaking_apps_growth() {
    let Some(mut s) = Session::start(&["--demo-leak"]) else {
        return;
    };
    s.wait_for(" demo ");
    s.wait_for("IOResources");
    s.send("b");
    s.wait_for("baseline marked");
    // The app leaks one client a second; each publication re-walks the registry: its
    // clients are added, IOHIDSystem's retain count (each client's link holds it) changed.
    s.wait_for(": +2 −0 ~1");
    s.send("u");
    let screen = s.wait_for("LeakyApp");
    assert!(screen.contains("User clients by process"), "{screen}");
    assert!(screen.contains("growth"), "{screen}");
    let row = screen.lines().find(|l| l.contains("LeakyApp")).unwrap();
    assert!(row.contains("IOHIDLibUserClient"), "{row}");
    assert!(row.contains(" +"), "growth shown: {row}");
    // The leaking app grows most: it is first, and Enter filters to its clients.
    s.send("g");
    s.send("\r");
    let screen = s.wait_for("user clients of LeakyApp (pid 501)");
    assert!(screen.contains("IOHIDLibUserClient"), "{screen}");
    assert!(screen.contains("IOHIDSystem"), "{screen}");
    s.send("\x1b");
    s.send("c");
    s.wait_for("Classes:");
    s.send("s");
    s.send("s");
    let screen = s.wait_for("sorted by delta");
    let first = screen
        .lines()
        .skip_while(|l| !l.contains("superclass"))
        .nth(1)
        .unwrap_or("");
    assert!(
        first.contains("IOHIDLibUserClient") || first.contains("IOUserIterator"),
        "{screen}"
    );
    s.send("q");
    s.quit();
}

/// Issue 18 §5: `t` on a recording opens its timeline; keys step and scrub, `b` marks a
/// moment as the baseline, Space plays.
#[test]
fn timeline_steps_scrubs_and_plays_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("session.ioscope");
    let out = std::process::Command::new(crate::common::ioscope_bin())
        .args([
            "record",
            "-o",
            rec.to_str().unwrap(),
            "--demo-hotplug",
            "--interval",
            "500ms",
            "--duration",
            "5s",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let Some(mut s) = Session::start(&[rec.to_str().unwrap()]) else {
        return;
    };
    s.wait_for("session.ioscope");
    s.wait_for("IOResources");
    s.send("t");
    let screen = s.wait_for("Timeline:");
    let moments = screen
        .lines()
        .find_map(|l| l.split("moment ").nth(1))
        .and_then(|m| m.split('/').nth(1))
        .and_then(|m| m.split_whitespace().next())
        .and_then(|m| m.parse::<usize>().ok())
        .expect("moment N/M");
    assert!(moments >= 5, "{screen}");
    assert!(
        screen.contains(&format!("moment {moments}/{moments}")),
        "{screen}"
    );
    s.send("\x1b[H"); // Home
    s.wait_for(&format!("moment 1/{moments}"));
    s.wait_for("Timeline: 0.0 s");
    s.send("l");
    s.wait_for(&format!("moment 2/{moments}"));
    s.send("b");
    s.wait_for("baseline marked");
    s.send("\x1b[F"); // End
    let screen = s.wait_for(&format!("moment {moments}/{moments}"));
    // The hotplug device was unplugged or replugged since: the tree shows the difference.
    assert!(screen.contains("vs moment"), "{screen}");
    s.send("+");
    s.wait_for("2×");
    s.send(" ");
    s.wait_for("▶ playing");
    s.wait_for(&format!("moment {moments}/{moments}"));
    s.wait_for("⏸ paused");
    s.send("\x1b");
    s.quit();
}

/// The names column of the ports view's row for `class`, if the screen shows it.
fn ports_names(screen: &str, class: &str) -> Option<u64> {
    let row = screen.lines().find(|l| {
        let mut words = l.split_whitespace().skip_while(|w| w.starts_with('│'));
        words.next().is_some_and(|w| w.starts_with("IOKIT-")) && words.next() == Some(class)
    })?;
    row.split_whitespace()
        .skip_while(|w| *w != class)
        .nth(1)?
        .parse()
        .ok()
}

/// Issue 20: `ioscope --demo-leak`, `P` and the leaking app's PID open the ports view; the
/// leaking class is there and its names grow from one screen to the next (the app leaks a
/// client a second, the view samples again every second); Enter on it filters the tree to
/// the entries the app holds, marked with its names and urefs; Esc closes.
#[test]
#[cfg_attr(
    target_os = "macos",
    ignore = "on macOS ioscope opens the live registry, not the demo"
)]
fn ports_view_shows_the_demo_leakers_class_growing() {
    let Some(mut s) = Session::start(&["--demo-leak"]) else {
        return;
    };
    s.wait_for(" demo ");
    s.wait_for("IOResources");
    s.send("P");
    s.wait_for("ports of process (PID or name): ");
    s.send("501");
    s.send("\r");
    let screen = s.wait_for("Ports of LeakyApp (pid 501): read task port");
    assert!(screen.contains("+names"), "{screen}");
    let start = Instant::now();
    let first = loop {
        if let Some(n) = ports_names(&s.screen(), "IOHIDLibUserClient") {
            break n;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the leaking class never showed:\n{}",
            s.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let later = loop {
        let screen = s.screen();
        if let Some(n) = ports_names(&screen, "IOHIDLibUserClient")
            && n > first
        {
            break screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the leaking class did not grow past {first}:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // The service looked up again and again: one name, its urefs climbing.
    assert!(later.contains("IOHIDSystem"), "{later}");
    // The leaking class comes first (it grew most): Enter filters the tree to it.
    s.send("g");
    s.send("\r");
    let screen = s.wait_for("entries LeakyApp (pid 501) holds of IOHIDLibUserClient");
    assert!(screen.contains("⟨1 name, 1 uref⟩"), "{screen}");
    assert!(screen.contains("urefs⟩ IOHIDSystem"), "{screen}");
    s.send("\x1b");
    s.send("P");
    s.wait_for("ports of process (PID or name): 501");
    s.send("\r");
    s.wait_for("Ports of LeakyApp");
    s.send("\x1b");
    wait_gone(&s, "Ports of LeakyApp");
    wait_gone(&s, "⟨");
    s.quit();
}
