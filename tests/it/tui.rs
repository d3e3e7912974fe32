//! The explorer drawn into a `TestBackend`: insta snapshots of every screen, and
//! behaviour checks of keys, mouse, search, refresh and sizes.

use ioscope::app::{Action, App, AppOptions, Flash, SourceKind};
use ioscope::kernel::session::LiveSession;
use ioscope::kernel::{HandleProbe, HandleState, KernReturn};
use ioscope::registry::{Entry, Registry};
use ioscope::ui::{self, theme::Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

fn sample() -> Registry {
    crate::fixture::registry()
}

/// An app plus a test terminal; every action is followed by a frame, as in the real loop.
/// The explorer drawn into a `TestBackend` (also used by the ports view's tests).
pub(crate) struct Harness {
    pub(crate) app: App,
    pub(crate) term: Terminal<TestBackend>,
    pub(crate) theme: Theme,
}

impl Harness {
    pub(crate) fn new(app: App, w: u16, h: u16) -> Self {
        let mut h = Harness {
            app,
            term: Terminal::new(TestBackend::new(w, h)).unwrap(),
            theme: Theme::colored(),
        };
        h.draw();
        h
    }
    fn dump(w: u16, h: u16) -> Self {
        Harness::new(
            App::with_registry(SourceKind::File("fixture.txt".into()), sample(), None),
            w,
            h,
        )
    }
    /// The explorer on the simulated Mac, walked by the same walker as the live kernel.
    fn demo(w: u16, h: u16) -> Self {
        let mut session = ioscope::kernel::sim::demo_session();
        let registry = session.walk(&mut |_| {}).expect("the demo kernel walks");
        Harness::new(
            App::with_registry(SourceKind::Demo, registry, Some(Box::new(session))),
            w,
            h,
        )
    }
    /// Selects the first entry named `name` through the `:` prompt (by its registry ID).
    fn jump_to(&mut self, name: &str) -> &mut Self {
        let r = &self.app.state.registry;
        let id = r
            .entries()
            .find(|(_, e)| e.name == name)
            .and_then(|(_, e)| e.id)
            .unwrap_or_else(|| panic!("no entry named {name}"));
        self.press(&[JumpStart])
            .typed(&format!("{id:#x}"))
            .press(&[Accept]);
        assert_eq!(self.selected_name(), name);
        self
    }
    pub(crate) fn draw(&mut self) {
        let (app, theme) = (&mut self.app, &self.theme);
        self.term
            .draw(|f| {
                app.state.geometry = ui::draw(f, &app.state, theme);
            })
            .unwrap();
        app.state.clamp();
    }
    pub(crate) fn press(&mut self, actions: &[Action]) -> &mut Self {
        for &a in actions {
            self.app.dispatch(a);
            self.draw();
        }
        self
    }
    pub(crate) fn typed(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            self.press(&[Action::Input(c)]);
        }
        self
    }
    /// Polls the app (timers, background walks) and redraws until `done`; false after `limit`.
    fn wait_until(&mut self, limit: std::time::Duration, done: impl Fn(&Harness) -> bool) -> bool {
        let start = std::time::Instant::now();
        while !done(self) {
            if start.elapsed() > limit {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            self.app.poll();
            self.draw();
        }
        true
    }
    fn resize(&mut self, w: u16, h: u16) {
        self.term.backend_mut().resize(w, h);
        self.draw();
    }
    pub(crate) fn screen(&self) -> String {
        let buf = self.term.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
                line.trim_end().to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn selected_name(&self) -> String {
        let id = self.app.state.selected_entry().unwrap();
        self.app.state.registry.entry(id).name.to_string()
    }
    /// The screen row whose text contains `needle`.
    fn row_with(&self, needle: &str) -> u16 {
        self.screen()
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen")) as u16
    }
}

use Action::*;

#[test]
fn main_screen() {
    let h = Harness::dump(120, 30);
    insta::assert_snapshot!("main_screen", h.screen());
}

#[test]
fn help_is_generated_from_the_keymap() {
    let mut h = Harness::dump(100, 60);
    h.press(&[Help]);
    let screen = h.screen();
    for b in ioscope::app::keymap::KEYMAP
        .iter()
        .filter(|b| b.context == ioscope::app::keymap::Context::Main)
    {
        assert!(screen.contains(b.help), "help misses {:?}", b.help);
    }
    insta::assert_snapshot!("help", screen);
    h.press(&[Back]);
    assert!(!h.screen().contains("Keys —"));
}

#[test]
fn search_and_filter() {
    let mut h = Harness::dump(120, 30);
    h.press(&[SearchStart]).typed("usb");
    insta::assert_snapshot!("search", h.screen());
    assert!(h.screen().contains("/usb"));
    let n = h.app.state.search.matches().len();
    assert!(n >= 3, "USB entries match: {n}");
    h.press(&[Accept, ToggleFilter]);
    insta::assert_snapshot!("filter", h.screen());
    assert!(!h.screen().contains("cpus"));
    assert!(!h.screen().contains("disp0"), "non-matching branch hidden");
    h.press(&[Back]);
    assert!(h.screen().contains("disp0"), "Esc leaves filter mode");
    // `/` opens an empty prompt; ↑ recalls the last accepted search.
    h.press(&[SearchStart]);
    assert_eq!(h.app.state.mode, prompt(""));
    h.press(&[Up]);
    assert_eq!(h.app.state.mode, prompt("usb"));
}

fn prompt(input: &str) -> ioscope::app::Mode {
    ioscope::app::Mode::Prompt {
        kind: ioscope::app::state::PromptKind::Search,
        input: input.into(),
    }
}

#[test]
fn next_and_previous_match_follow_tree_order() {
    let mut h = Harness::dump(120, 30);
    h.press(&[SearchStart]).typed("IOUSBHost").press(&[Accept]);
    let first = h.selected_name();
    h.press(&[NextMatch]);
    let second = h.selected_name();
    assert_ne!(first, second);
    h.press(&[PrevMatch]);
    assert_eq!(h.selected_name(), first);
}

#[test]
fn plane_picker_switches_and_keeps_the_selection() {
    let mut h = Harness::dump(120, 30);
    h.press(&[JumpStart]).typed("0x100000200").press(&[Accept]);
    assert_eq!(h.selected_name(), "usb-drd0");
    h.press(&[PlanePicker]);
    insta::assert_snapshot!("plane_picker", h.screen());
    h.press(&[Down, Accept]);
    assert_eq!(h.app.state.plane().name(), "IODeviceTree");
    assert_eq!(
        h.selected_name(),
        "usb-drd0",
        "selection survives the plane switch"
    );
}

#[test]
fn keys_move_expand_and_collapse() {
    let mut h = Harness::dump(120, 30);
    h.press(&[Bottom]);
    assert_eq!(h.selected_name(), "AppleARMPE");
    h.press(&[Right, Right]);
    assert_eq!(
        h.selected_name(),
        "usb-drd0",
        "l on an expanded node steps into it"
    );
    h.press(&[Left]);
    assert_eq!(
        h.selected_name(),
        "AppleARMPE",
        "h on a collapsed node goes to the parent"
    );
    h.press(&[Left]);
    assert!(!h.screen().contains("usb-drd0"), "h collapses");
    h.press(&[ExpandSubtree]);
    assert!(h.screen().contains("Keyboard / Boot"));
    h.press(&[Top, CollapseAll]);
    assert_eq!(h.app.state.view.len(), 1);
    h.press(&[Toggle, Down, PageDown, PageUp]);
    assert_eq!(h.app.state.tree.selected, 0);
}

#[test]
fn jump_by_decimal_id_and_path() {
    let mut h = Harness::dump(120, 30);
    h.press(&[JumpStart])
        .typed(&0x100000310u64.to_string())
        .press(&[Accept]);
    assert_eq!(h.selected_name(), "Keyboard / Boot");
    h.press(&[JumpStart])
        .typed("IODeviceTree:/cpus/cpu2@2")
        .press(&[Accept]);
    assert_eq!(h.selected_name(), "cpu2");
    h.press(&[JumpStart]).typed("/nowhere").press(&[Accept]);
    assert!(h.screen().contains("no nowhere under"), "{}", h.screen());
}

#[test]
fn mouse_click_selects_and_marker_toggles() {
    let mut h = Harness::dump(120, 30);
    let y = h.row_with("AppleARMPE (2)");
    h.press(&[Click { x: 10, y }]);
    assert_eq!(h.selected_name(), "AppleARMPE");
    // The marker sits at two columns per depth level inside the border.
    let marker_x = h.app.state.geometry.tree.x + 4;
    h.press(&[Click { x: marker_x, y }]);
    assert!(h.screen().contains("usb-drd0"), "click on ▸ expands");
    h.press(&[Wheel {
        x: 5,
        y: 5,
        down: true,
    }]);
}

#[test]
fn dump_handle_block_says_why_there_is_none() {
    let mut h = Harness::dump(120, 30);
    h.press(&[JumpStart]).typed("0x100000300").press(&[Accept]);
    let screen = h.screen();
    assert!(screen.contains("saved dump: no live handles"));
    insta::assert_snapshot!("dump_handle_block", screen);
    h.press(&[Release]);
    assert!(h.screen().contains("saved dump: no live handles"));
}

/// The probe of the selected entry's handle.
fn selected_probe(h: &Harness) -> HandleProbe {
    let id = h.app.state.selected_entry().unwrap();
    h.app.state.probes[&id].clone()
}

#[test]
fn lab_release_to_zero_turns_the_handle_stale() {
    let mut h = Harness::demo(120, 30);
    h.jump_to("Magic Keyboard");
    assert!(h.screen().contains(" demo "), "the status bar says demo");
    insta::assert_snapshot!("lab_before_release", h.screen());
    let before = selected_probe(&h);
    assert_eq!(before.send_refs, Ok(1));
    h.press(&[Retain]);
    let retained = selected_probe(&h);
    assert!(h.screen().contains("send refs 2"));
    assert_eq!(retained.send_refs, Ok(2), "IOObjectRetain moves our urefs");
    assert_eq!(
        retained.kernel_retain, before.kernel_retain,
        "…and not the kernel object's count"
    );
    h.press(&[Obtain]);
    assert_eq!(
        selected_probe(&h).port,
        before.port,
        "obtained again: same name"
    );
    assert_eq!(selected_probe(&h).send_refs, Ok(3));
    h.press(&[Release, Release, Release]);
    let screen = h.screen();
    assert!(screen.contains("0x10000003"));
    assert!(screen.contains("MACH_SEND_INVALID_DEST"));
    assert!(screen.contains("1 stale"));
    let after = selected_probe(&h);
    assert_eq!(after.state, HandleState::Released);
    assert_eq!(after.send_refs, Err(KernReturn::INVALID_NAME));
    insta::assert_snapshot!("lab_after_release", screen);
}

#[test]
fn stale_rows_are_highlighted_in_the_error_colour() {
    let mut h = Harness::demo(120, 30);
    h.jump_to("Magic Keyboard").press(&[Release, Up]);
    insta::assert_snapshot!("stale_highlight", h.screen());
    let y = h.row_with("✗ Magic Keyboard");
    let buf = h.term.backend().buffer();
    let x = (0..buf.area.width)
        .find(|&x| buf[(x, y)].symbol() == "✗")
        .unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
}

#[test]
fn handle_table_lists_stale_first_and_jumps() {
    let mut h = Harness::demo(120, 30);
    h.jump_to("USB2.0 Hub").press(&[Release, Top, HandleTable]);
    let screen = h.screen();
    insta::assert_snapshot!("handle_table", screen);
    let rows = ioscope::app::handles::rows(&h.app.state, Default::default());
    assert_eq!(
        h.app.state.registry.entry(rows[0].0).name,
        "USB2.0 Hub",
        "stale first"
    );
    let hub_line = screen
        .lines()
        .find(|l| l.contains("USB2.0 Hub") && l.contains("0x"))
        .unwrap();
    assert!(hub_line.contains("✗"), "stale marked: {hub_line}");
    h.press(&[SortNext, Accept]);
    assert!(!h.screen().contains("Handles:"));
    assert_eq!(h.selected_name(), "USB2.0 Hub");
}

#[test]
fn unplug_makes_handles_dead_names() {
    let mut h = Harness::demo(120, 30);
    h.jump_to("Magic Keyboard");
    let device = h.app.state.selected_entry().unwrap();
    h.press(&[TogglePlug]);
    assert!(h.screen().contains("dead name"));
    // The device and every service below it in the IOService plane now hold dead names.
    let state = &h.app.state;
    let plane = state.registry.plane("IOService").unwrap();
    let mut subtree = vec![device];
    let mut i = 0;
    while i < subtree.len() {
        subtree.extend(plane.children(subtree[i]).iter().copied());
        i += 1;
    }
    assert!(subtree.len() > 1, "the keyboard has interfaces");
    for id in &subtree {
        let p = &state.probes[id];
        assert_eq!(
            p.state,
            HandleState::DeadName,
            "{}",
            state.registry.entry(*id).name
        );
        assert_eq!(p.send_refs, Ok(0), "get_refs(SEND) on a dead name is 0");
    }
    let stale = state.probes.values().filter(|p| p.state.is_stale()).count();
    assert!(stale >= subtree.len());
    assert!(h.screen().contains(&format!("{stale} stale")));
}

#[test]
fn unplugged_entries_linger_as_gone_and_a_replug_flashes_new() {
    let mut h = Harness::demo(120, 30);
    h.jump_to("Magic Keyboard");
    let old_id = h
        .app
        .state
        .registry
        .entry(h.app.state.selected_entry().unwrap())
        .id;
    h.press(&[TogglePlug]);
    assert!(
        matches!(
            h.app.state.flash(h.app.state.selected_entry().unwrap()),
            Some(Flash::Gone)
        ),
        "terminated entries are marked gone"
    );
    assert!(h.screen().contains("− Magic Keyboard"), "{}", h.screen());
    assert!(h.screen().contains("terminated: gone at the next walk"));
    // The user's own unplug keeps the dead names on screen: no walk is scheduled.
    let walked = h.wait_until(std::time::Duration::from_millis(400), |h| {
        h.app.is_loading()
    });
    assert!(!walked, "no walk after the user's own unplug");
    assert!(h.screen().contains("− Magic Keyboard"));
    // Replugging publishes a new instance: a walk brings it in, drawn as new.
    h.press(&[TogglePlug]);
    let flashed = h.wait_until(std::time::Duration::from_secs(5), |h| {
        h.screen().contains("+ Magic Keyboard")
    });
    assert!(
        flashed,
        "the replugged keyboard is drawn as new:\n{}",
        h.screen()
    );
    let entry = h.app.state.selected_entry().unwrap();
    assert_eq!(
        h.selected_name(),
        "Magic Keyboard",
        "selection follows by path"
    );
    assert_ne!(
        h.app.state.registry.entry(entry).id,
        old_id,
        "a new registry ID"
    );
    assert!(matches!(h.app.state.flash(entry), Some(Flash::New { .. })));
    assert_eq!(
        h.app.state.stale_count(),
        0,
        "the dead names went with the old entries"
    );
    // The flash fades after LINGER.
    let faded = h.wait_until(ioscope::app::LINGER * 2, |h| {
        !h.screen().contains("+ Magic Keyboard")
    });
    assert!(faded, "the new flash fades");
}

/// Notifications (the live path, here from the simulated kernel with a watch): terminated
/// entries linger as gone, then a walk removes them; published ones come in as new.
#[test]
fn notifications_flash_changes_and_rewalk() {
    use ioscope::kernel::{KernelSession, PlugControl};
    let sim = std::sync::Arc::new(ioscope::kernel::sim::SimKernel::new());
    let mut session = KernelSession::new(sim.clone(), ioscope::registry::Origin::Demo)
        .with_watch()
        .expect("the simulated kernel delivers notifications");
    let registry = session.walk(&mut |_| {}).unwrap();
    let app = App::with_registry(SourceKind::Demo, registry, Some(Box::new(session)));
    let mut h = Harness::new(app, 120, 30);
    let drive = ioscope::kernel::sim::machine::HOTPLUG_DEVICE;
    h.jump_to(drive);
    sim.toggle_demo_device().unwrap();
    let gone = format!("− {drive}");
    assert!(h.wait_until(std::time::Duration::from_secs(2), |h| {
        h.screen().contains(&gone)
    }));
    // A watched service keeps its port (machPortHoldDestroy): no dead names.
    assert_eq!(h.app.state.stale_count(), 0);
    let removed = h.wait_until(ioscope::app::LINGER * 3, |h| {
        !h.app.state.registry.entries().any(|(_, e)| e.name == drive)
    });
    assert!(removed, "the re-walk after the linger removes the drive");
    sim.toggle_demo_device().unwrap();
    let new = format!("+ {drive}");
    assert!(
        h.wait_until(std::time::Duration::from_secs(5), |h| h
            .screen()
            .contains(&new)),
        "the replugged drive is drawn as new:\n{}",
        h.screen()
    );
}

#[test]
fn refresh_keeps_expansion_selection_and_port_names() {
    let mut h = Harness::demo(120, 30);
    h.jump_to("Magic Keyboard");
    let port = selected_probe(&h).port;
    h.press(&[Refresh]);
    for _ in 0..400 {
        if !h.app.is_loading() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.app.poll();
    }
    assert!(!h.app.is_loading(), "the walk finished");
    h.draw();
    assert_eq!(h.selected_name(), "Magic Keyboard");
    assert!(h.screen().contains("Magic Keyboard"));
    assert_eq!(selected_probe(&h).port, port, "a re-walk keeps our names");
    assert_eq!(selected_probe(&h).send_refs, Ok(1), "…with one uref each");
}

#[test]
fn explain_decodes_a_code() {
    let mut h = Harness::dump(120, 30);
    h.press(&[ExplainStart]).typed("268435459").press(&[Accept]);
    assert!(h.screen().contains("MACH_SEND_INVALID_DEST"));
    h.press(&[Back]);
    assert!(!h.screen().contains("MACH_SEND_INVALID_DEST"));
}

#[test]
fn no_color_uses_modifiers_only() {
    let mut h = Harness::dump(120, 30);
    h.theme = Theme::mono();
    h.press(&[Down]);
    insta::assert_snapshot!("no_color", h.screen());
    let buf = h.term.backend().buffer();
    for cell in buf.content() {
        assert_eq!(
            (cell.fg, cell.bg),
            (Color::Reset, Color::Reset),
            "a colour under NO_COLOR"
        );
    }
    let y = h.row_with("└─▾ Mac14,2");
    assert!(
        buf[(5, y)].modifier.contains(Modifier::REVERSED),
        "selection is reversed"
    );
}

#[test]
fn tiny_and_huge_terminals() {
    let mut h = Harness::dump(1, 1);
    insta::assert_snapshot!("size_1x1", h.screen());
    h.resize(20, 5);
    insta::assert_snapshot!("size_20x5", h.screen());
    assert!(h.screen().contains("too"));
    h.resize(300, 100);
    insta::assert_snapshot!("size_300x100", h.screen());
}

#[test]
fn every_size_up_to_400x120_draws_without_panicking() {
    let mut h = Harness::demo(80, 24);
    h.press(&[ExpandSubtree, HandleTable]);
    for w in [1, 2, 3, 7, 19, 39, 40, 41, 60, 99, 200, 400] {
        for ht in [1, 2, 3, 5, 9, 10, 11, 24, 61, 120] {
            h.resize(w, ht);
            h.press(&[Down]);
        }
    }
    h.press(&[Back, Help]);
    for w in [1, 40, 41, 400] {
        for ht in [1, 10, 120] {
            h.resize(w, ht);
        }
    }
}

#[test]
fn hostile_strings_are_drawn_escaped() {
    let mut r = Registry::new();
    let root = r.add_entry(Entry::named("Root"));
    let evil = r.add_entry(Entry {
        properties: vec![(
            "\x1b[2Jkey".into(),
            ioscope::registry::Value::string("\x1b]52;c;cHduZWQ=\x07"),
        )]
        .into(),
        ..Entry::named("evil\x1b]0;pwned\x07")
    });
    let c = r.classes.intern("Class\x1b[31m");
    r.entry_mut(evil).class = Some(c);
    let p = r.plane_mut("IOService");
    p.add_root(root);
    p.add_child(root, evil);
    let mut h = Harness::new(
        App::with_registry(SourceKind::File("evil.txt".into()), r, None),
        120,
        20,
    );
    h.press(&[Down]);
    let screen = h.screen();
    assert!(screen.contains("evil\\x1b]0;pwned\\x07"));
    assert!(screen.contains("Class\\x1b[31m"));
    assert!(screen.contains("\\x1b[2Jkey"));
    assert!(screen.contains("\\x1b]52;c;cHduZWQ=\\x07"));
    let buf = h.term.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| !c.symbol().chars().any(char::is_control))
    );
}

/// Writes the README screenshot from the real renderer (`assets/screenshot.svg`).
#[test]
fn screenshot_svg() {
    let mut h = Harness::demo(120, 32);
    h.jump_to("Magic Keyboard").press(&[Release]);
    let svg = ioscope::ui::svg::render(h.term.backend().buffer());
    assert!(svg.contains("MACH_SEND_INVALID_DEST"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/screenshot.svg");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(svg.as_str()) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, svg).unwrap();
    }
}

/// The demo entry with the most properties, selected through `:` (by its registry ID).
fn select_richest(h: &mut Harness) {
    let r = &h.app.state.registry;
    let plane = h.app.state.plane();
    let id = r
        .entries()
        .filter(|(id, e)| plane.contains(*id) && e.id.is_some())
        .max_by_key(|(_, e)| e.properties.len())
        .and_then(|(_, e)| e.id)
        .unwrap();
    h.press(&[JumpStart])
        .typed(&format!("{id:#x}"))
        .press(&[Accept]);
}

#[test]
fn details_scroll_stops_at_the_last_line() {
    // Short enough that the details pane (at most 70% of the height) clips its text.
    let mut h = Harness::demo(100, 16);
    h.jump_to("Magic Keyboard");
    let g = h.app.state.geometry.clone();
    assert!(
        g.details_lines > g.details.height,
        "the details must not fit"
    );
    h.press(&[FocusNext, Bottom, PageDown, Down, Down]);
    assert_eq!(
        h.app.state.details_scroll,
        g.details_lines - g.details.height,
        "scrolled past the end"
    );
    assert!(
        h.screen().contains("shown raw"),
        "the last line is on screen"
    );
    let (x, y) = (g.details.x + 1, g.details.y + 1);
    h.press(&[Wheel { x, y, down: true }, Wheel { x, y, down: true }]);
    assert!(
        h.screen().contains("shown raw"),
        "the wheel stops there too"
    );
    h.press(&[Top]);
    assert_eq!(h.app.state.details_scroll, 0);
}

#[test]
fn wheel_over_properties_scrolls_them() {
    let mut h = Harness::demo(120, 24);
    select_richest(&mut h);
    let g = h.app.state.geometry.clone();
    assert!(h.app.state.props.len() > usize::from(g.props.height) + 6);
    assert_eq!(g.prop_lines.first(), Some(&0));
    let (x, y) = (g.props.x + 2, g.props.y + 1);
    h.press(&[Wheel { x, y, down: true }, Wheel { x, y, down: true }]);
    let first = *h.app.state.geometry.prop_lines.first().unwrap();
    assert!(first >= 6, "the pane scrolled (first row shown: {first})");
    h.press(&[Wheel { x, y, down: false }, Wheel { x, y, down: false }]);
    assert_eq!(h.app.state.geometry.prop_lines.first(), Some(&0));
}

#[test]
fn loading_a_file_shows_bytes_and_time() {
    let (_dir, path) = crate::common::temp_file("dump.txt", crate::common::TWO_ENTRY_DUMP);
    let mut h = Harness::new(
        App::start(AppOptions {
            file: Some(path),
            ..AppOptions::default()
        }),
        100,
        24,
    );
    let screen = h.screen();
    assert!(screen.contains("loading…"), "{screen}");
    assert!(!screen.contains("(empty plane)"), "{screen}");
    assert!(screen.contains(" MB"), "{screen}");
    assert!(screen.contains(" s"), "{screen}");
    assert!(
        h.wait_until(std::time::Duration::from_secs(10), |h| !h.app.is_loading()),
        "the file loads"
    );
    assert!(h.screen().contains("Child"));
}

#[test]
fn help_scrolls_back_up_at_once_after_its_end() {
    let mut h = Harness::dump(100, 20);
    h.press(&[Help]);
    for _ in 0..100 {
        h.press(&[Down]);
    }
    let max = h.app.state.geometry.help_scroll_max;
    assert!(max > 0, "the help must not fit in 20 rows");
    assert_eq!(h.app.state.mode, ioscope::app::Mode::Help { scroll: max });
    h.press(&[Up]);
    assert_eq!(
        h.app.state.mode,
        ioscope::app::Mode::Help { scroll: max - 1 }
    );
}

#[test]
fn h_on_a_leaf_goes_to_the_parent_after_expanding_the_subtree() {
    let mut h = Harness::dump(120, 30);
    h.press(&[Top, ExpandSubtree]);
    let rows = h.app.state.view.rows().to_vec();
    let leaf = rows
        .iter()
        .position(|r| r.children == 0 && r.depth > 1)
        .expect("a leaf below the top");
    for _ in 0..leaf {
        h.press(&[Down]);
    }
    let parent = h.app.state.view.parent_row(leaf).unwrap();
    h.press(&[Left]);
    assert_eq!(
        h.app.state.tree.selected, parent,
        "one h goes to the parent"
    );
}

#[test]
fn growing_the_terminal_shows_the_rows_scrolled_off_above() {
    let mut h = Harness::dump(100, 10);
    h.press(&[Top, ExpandSubtree, Bottom]);
    assert!(h.app.state.tree.offset > 0, "the small pane scrolled");
    h.resize(100, 40);
    assert!(
        h.screen().lines().nth(1).unwrap().contains("Root"),
        "{}",
        h.screen()
    );
    assert_eq!(h.app.state.tree.offset, 0);
    // Collapsing near the end pulls the rows above back in as well.
    h.resize(100, 10);
    h.press(&[Top, CollapseAll]);
    assert_eq!(h.app.state.tree.offset, 0);
}

#[test]
fn refresh_keeps_filter_mode_and_the_expansion_before_it() {
    let filter = |h: &mut Harness| {
        h.press(&[SearchStart])
            .typed("Magic Keyboard")
            .press(&[Accept, ToggleFilter]);
    };
    // Without a refresh: the rows after leaving the filter.
    let mut plain = Harness::demo(120, 30);
    filter(&mut plain);
    let filtered_rows = plain.app.state.view.len();
    plain.press(&[ToggleFilter]);
    let unfiltered_rows = plain.app.state.view.len();

    let mut h = Harness::demo(120, 30);
    filter(&mut h);
    h.press(&[Refresh]);
    assert!(
        h.wait_until(std::time::Duration::from_secs(10), |h| !h.app.is_loading()),
        "the walk finished"
    );
    assert!(h.app.state.view.is_filtered(), "still filtered after r");
    assert_eq!(h.app.state.view.len(), filtered_rows);
    assert_eq!(h.selected_name(), "Magic Keyboard");
    h.press(&[ToggleFilter]);
    assert!(!h.app.state.view.is_filtered());
    assert_eq!(
        h.app.state.view.len(),
        unfiltered_rows,
        "leaving the filter brings back the expansion from before it"
    );
}

#[test]
fn a_long_key_in_a_narrow_pane_puts_its_value_below() {
    let mut r = Registry::new();
    let root = r.add_entry(Entry {
        properties: vec![(
            "AVeryLongPropertyKeyName".into(),
            ioscope::registry::Value::string("0123456789abcdef"),
        )]
        .into(),
        ..Entry::named("Root")
    });
    r.plane_mut("IOService").add_root(root);
    let h = Harness::new(
        App::with_registry(SourceKind::File("narrow.txt".into()), r, None),
        44,
        16,
    );
    let g = &h.app.state.geometry;
    assert!(g.props.width < 29, "the key and ` = ` fill the pane");
    let screen = h.screen();
    assert!(screen.contains("\"0123456789"), "{screen}");
    assert!(screen.contains("def\""), "{screen}");
}

/// Cells of screen row `y` between `x0` and `x1` whose text has the colour of their background.
fn invisible_cells(h: &Harness, y: u16, x0: u16, x1: u16) -> Vec<String> {
    let buf = h.term.backend().buffer();
    (x0..x1)
        .map(|x| &buf[(x, y)])
        .filter(|c| !c.symbol().trim().is_empty() && c.fg == c.bg)
        .map(|c| c.symbol().to_string())
        .collect()
}

#[test]
fn the_selected_row_stays_readable_focused_or_not() {
    let mut h = Harness::dump(120, 30);
    h.press(&[Down, Down]);
    let tree = h.app.state.geometry.tree;
    let y = tree.y + (h.app.state.tree.selected - h.app.state.tree.offset) as u16;
    assert!(invisible_cells(&h, y, tree.x, tree.x + tree.width).is_empty());
    // Unfocused, the bar turns grey: the grey class name and guides must not vanish on it.
    h.press(&[FocusNext]);
    let hidden = invisible_cells(&h, y, tree.x, tree.x + tree.width);
    assert!(
        hidden.is_empty(),
        "invisible on the bar: {}",
        hidden.concat()
    );
    let props = h.app.state.geometry.props;
    let hidden = invisible_cells(&h, props.y, props.x, props.x + props.width);
    assert!(
        hidden.is_empty(),
        "invisible on the bar: {}",
        hidden.concat()
    );
}

#[test]
fn a_hostile_file_name_is_drawn_escaped_while_loading() {
    let (_dir, path) =
        crate::common::temp_file("dump\x1b]0;pwned\x07.txt", crate::common::TWO_ENTRY_DUMP);
    let h = Harness::new(
        App::start(AppOptions {
            file: Some(path),
            ..AppOptions::default()
        }),
        120,
        24,
    );
    let screen = h.screen();
    assert!(screen.contains("dump\\x1b]0;pwned\\x07.txt"), "{screen}");
    let buf = h.term.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| !c.symbol().chars().any(char::is_control))
    );
}

/// The name of the property row selected in the properties pane.
fn selected_key(h: &Harness) -> String {
    let s = &h.app.state;
    s.props[s.prop.selected].key.clone()
}

#[test]
fn search_shows_its_position_reveals_the_match_and_its_property() {
    let mut h = Harness::dump(120, 30);
    h.press(&[CollapseAll]);
    assert!(!h.screen().contains("Magic Keyboard"));
    // Found in a property value only: the entry is revealed and the property selected.
    h.press(&[SearchStart]).typed("touch id");
    assert_eq!(h.selected_name(), "Magic Keyboard");
    assert_eq!(selected_key(&h), "USB Product Name");
    let screen = h.screen();
    assert!(
        screen.contains("/touch id█   1/1 matches · in USB Product Name"),
        "{screen}"
    );
    assert!(
        screen.contains("Magic Keyboard@01100000"),
        "revealed: {screen}"
    );
    // The matched property is drawn in the match style.
    let y = h.row_with("USB Product Name");
    let x = h
        .screen()
        .lines()
        .nth(y as usize)
        .unwrap()
        .find("USB Product")
        .unwrap();
    let cell = &h.term.backend().buffer()[(
        h.screen().lines().nth(y as usize).unwrap()[..x]
            .chars()
            .count() as u16,
        y,
    )];
    assert_eq!(cell.fg, Color::Yellow, "matched property highlighted");
    h.press(&[Accept]);
    // Several matches: the best first (an exact class), the position follows n and N.
    h.press(&[SearchStart])
        .typed("IOUSBHostDevice")
        .press(&[Accept]);
    assert!(h.screen().contains("1/2 matches"), "{}", h.screen());
    h.press(&[NextMatch]);
    assert!(h.screen().contains("2/2 matches"));
    h.press(&[NextMatch]);
    assert!(h.screen().contains("1/2 matches"), "wraps around");
}

#[test]
fn search_ranks_exact_prefix_substring_property_then_fuzzy() {
    let mut h = Harness::dump(120, 30);
    // `XHC1` is the exact name; `AppleT8112USBXHCI` holds `xhc` inside its class name.
    h.press(&[SearchStart]).typed("xhc1");
    assert_eq!(h.selected_name(), "XHC1");
    h.press(&[Back, SearchStart]).typed("usb");
    let ranked: Vec<String> = h
        .app
        .state
        .search
        .matches()
        .iter()
        .map(|&id| h.app.state.registry.entry(id).name.to_string())
        .collect();
    // Names that begin with `usb`, in tree order; then names or classes holding it.
    assert_eq!(ranked[..2], ["usb-drd0", "USB3.1 Hub"], "{ranked:?}");
    assert!(
        ranked[2..].contains(&"XHC1".to_string()),
        "class AppleT8112USBXHCI"
    );
    assert_eq!(h.selected_name(), "usb-drd0", "the best match is selected");
}

#[test]
fn qualifiers_and_quotes_in_the_search_prompt() {
    let mut h = Harness::dump(120, 30);
    h.press(&[SearchStart])
        .typed("class:IOUSBHostDevice name:hub");
    assert_eq!(h.selected_name(), "USB3.1 Hub");
    assert!(h.screen().contains("1/1 matches"));
    h.press(&[Back, SearchStart]).typed("key:maxpowerstate");
    assert_eq!(h.selected_name(), "XHC1");
    h.press(&[Back, SearchStart]).typed("value:\"c02sample0\"");
    assert_eq!(h.selected_name(), "Mac14,2");
    h.press(&[Back, SearchStart]).typed("id:0x100000200");
    assert_eq!(h.selected_name(), "usb-drd0");
    h.press(&[Back, SearchStart]).typed("name:\"usb3.1\"");
    assert!(h.screen().contains("0 matches"), "quoted: the whole name");
}

#[test]
fn esc_in_the_search_prompt_goes_back_to_where_the_search_began() {
    let mut h = Harness::dump(120, 30);
    h.press(&[Down]);
    let before = h.selected_name();
    let rows = h.app.state.view.len();
    h.press(&[SearchStart]).typed("keyboard / boot");
    assert_eq!(h.selected_name(), "Keyboard / Boot");
    assert!(
        h.app.state.view.len() > rows,
        "ancestors expanded to reveal it"
    );
    h.press(&[Back]);
    assert_eq!(h.selected_name(), before);
    assert_eq!(
        h.app.state.view.len(),
        rows,
        "and the expansion from before"
    );
    assert!(!h.app.state.search.is_active());
}

#[test]
fn data_values_are_searched_as_shown() {
    let mut h = Harness::dump(120, 30);
    // `compatible` of disp0 is data holding text: shown and found as `"disp0,t8112"`.
    h.press(&[SearchStart]).typed("t8112\"");
    assert_eq!(h.selected_name(), "disp0");
    assert!(
        h.screen().contains("compatible = <\"disp0,t8112\">"),
        "{}",
        h.screen()
    );
}

#[test]
fn properties_filter_sort_kinds_and_title() {
    let mut h = Harness::dump(120, 30);
    h.jump_to("Magic Keyboard");
    assert!(h.screen().contains("Properties (10)"));
    h.press(&[FocusNext, FocusNext, SearchStart]).typed("usb");
    let screen = h.screen();
    assert!(screen.contains("Properties (10) /usb: 4"), "{screen}");
    assert!(!screen.contains("idVendor"), "{screen}");
    assert!(screen.contains("USB Serial Number"));
    h.press(&[Accept]);
    assert!(h.screen().contains("4 properties match"));
    h.press(&[Back]);
    assert!(h.screen().contains("idVendor"), "Esc clears the filter");
    h.press(&[SortProps]);
    assert!(h.screen().contains("Properties (10) by key"));
    let keys: Vec<String> = h
        .app
        .state
        .props
        .iter()
        .map(|r| r.key.to_lowercase())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    h.press(&[SortProps]);
    assert_eq!(selected_key(&h), "USB Product Name", "file order again");
    // One colour per kind: the string green, the number magenta, the bool yellow.
    // The colour of the cell just after `text` on the screen.
    let colour_after = |h: &Harness, text: &str| {
        let y = h.row_with(text);
        let line: String = h.screen().lines().nth(y as usize).unwrap().to_string();
        let x = line[..line.find(text).unwrap() + text.len()]
            .chars()
            .count() as u16;
        h.term.backend().buffer()[(x, y)].fg
    };
    assert_eq!(colour_after(&h, "idVendor = "), Color::Magenta);
    assert_eq!(colour_after(&h, "Built-In = "), Color::Yellow);
    assert_eq!(colour_after(&h, "USB Product Name = "), Color::Green);
}

#[test]
fn enter_on_a_data_value_opens_a_scrollable_hex_view() {
    let mut r = Registry::new();
    let bytes: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
    let root = r.add_entry(Entry {
        properties: vec![("blob".into(), ioscope::registry::Value::Data(bytes.into()))].into(),
        ..Entry::named("Root")
    });
    r.plane_mut("IOService").add_root(root);
    let mut h = Harness::new(
        App::with_registry(SourceKind::File("blob.txt".into()), r, None),
        200,
        30,
    );
    assert!(
        h.screen()
            .contains("65472 more bytes: Enter shows them all"),
        "{}",
        h.screen()
    );
    h.press(&[FocusPrev, Toggle]);
    let screen = h.screen();
    assert!(
        screen.contains("blob — 65536 bytes — line 1/4096 ↓ more"),
        "{screen}"
    );
    assert!(screen.contains("00000000  00 01 02 03"));
    h.press(&[Bottom]);
    let screen = h.screen();
    assert!(screen.contains("0000fff0  "), "the last line: {screen}");
    assert!(screen.contains("line 4096/4096"));
    h.press(&[PageUp]);
    assert!(!h.screen().contains("4096/4096"));
    h.press(&[Back]);
    assert!(!h.screen().contains("line 1/4096"));
    assert_eq!(h.app.state.mode, ioscope::app::Mode::Normal);
}

/// A chain `Root → level1 → … → level40 → leaf` where every level has a later sibling, so
/// that every guide is drawn.
fn deep_registry(depth: usize) -> Registry {
    let mut r = Registry::new();
    let root = r.add_entry(Entry::named("Root"));
    r.plane_mut("IOService").add_root(root);
    let mut parent = root;
    for i in 1..=depth {
        let name = if i == depth {
            "DeepLeafWithAName".to_string()
        } else {
            format!("level{i}")
        };
        let e = r.add_entry(Entry::named(name.as_str()));
        let c = r.classes.intern(&format!("Class{i}"));
        r.entry_mut(e).class = Some(c);
        let sibling = r.add_entry(Entry::named(format!("sibling{i}").as_str()));
        let p = r.plane_mut("IOService");
        p.add_child(parent, e);
        p.add_child(parent, sibling);
        parent = e;
    }
    r
}

#[test]
fn a_deep_row_keeps_its_name_and_class_at_80_columns() {
    let mut h = Harness::new(
        App::with_registry(SourceKind::File("deep.txt".into()), deep_registry(40), None),
        80,
        24,
    );
    h.press(&[ExpandSubtree, SearchStart])
        .typed("name:deepleaf")
        .press(&[Accept]);
    let y = h.row_with("DeepLeafWithAName  Class40");
    let line = h.screen().lines().nth(y as usize).unwrap().to_string();
    assert!(line.contains('…'), "leading guides collapsed: {line}");
    // A click on the marker still toggles the row it is on.
    let marker_x = h.app.state.geometry.tree_markers[(y - h.app.state.geometry.tree.y) as usize];
    assert_eq!(h.term.backend().buffer()[(marker_x, y)].symbol(), "─");
}

#[test]
fn zoom_gives_the_focused_pane_the_whole_screen_and_back() {
    let mut h = Harness::dump(120, 30);
    h.jump_to("Magic Keyboard")
        .press(&[FocusNext, FocusNext, Zoom]);
    let screen = h.screen();
    assert!(!screen.contains("Details"), "{screen}");
    assert!(!screen.contains("IOService —"));
    assert_eq!(
        h.app.state.geometry.props.width, 118,
        "the full width inside the border"
    );
    assert!(screen.contains("│ zoom"));
    h.press(&[Zoom]);
    assert!(h.screen().contains("Details"));
    assert!(h.screen().contains("IOService —"));
}

#[test]
fn hints_follow_the_context() {
    let mut h = Harness::dump(120, 30);
    let bar = |h: &Harness| h.screen().lines().nth(28).unwrap().to_string();
    assert!(
        !bar(&h).contains("handles"),
        "a saved dump has no handles: {}",
        bar(&h)
    );
    assert!(bar(&h).contains("Tab pane") && bar(&h).contains(": jump"));
    h.press(&[SearchStart]).typed("usb").press(&[Accept]);
    assert!(bar(&h).contains("f filter"), "{}", bar(&h));
    h.press(&[FocusNext, FocusNext]);
    assert!(bar(&h).contains("s key order"), "{}", bar(&h));
    let demo = Harness::demo(120, 30);
    assert!(bar(&demo).contains("H handles"), "{}", bar(&demo));
    // A long file name gives way to the hints.
    let long = "x".repeat(200);
    let h = Harness::new(
        App::with_registry(SourceKind::File(format!("{long}.txt")), sample(), None),
        80,
        24,
    );
    let bar = h.screen().lines().nth(22).unwrap().to_string();
    assert!(bar.contains("? help") && bar.contains("q quit"), "{bar}");
}

#[test]
fn zero_width_and_bidi_controls_are_shown_and_huge_names_cut() {
    let mut r = Registry::new();
    let root = r.add_entry(Entry::named("Root"));
    let zwj = r.add_entry(Entry::named("a\u{200d}b\u{2067}c\u{200b}"));
    let huge = r.add_entry(Entry {
        properties: vec![(
            "v".into(),
            ioscope::registry::Value::string(&"v".repeat(5_000_000)),
        )]
        .into(),
        ..Entry::named("n".repeat(5_000_000).as_str())
    });
    let p = r.plane_mut("IOService");
    p.add_root(root);
    p.add_child(root, zwj);
    p.add_child(root, huge);
    let mut h = Harness::new(
        App::with_registry(SourceKind::File("zw.txt".into()), r, None),
        100,
        24,
    );
    assert!(
        h.screen().contains("a\\u{200d}b\\u{2067}c\\u{200b}"),
        "{}",
        h.screen()
    );
    h.press(&[Down, Down]);
    let screen = h.screen();
    assert!(screen.contains("nnnn…"), "{screen}");
    assert!(screen.contains("\"vvvv"), "{screen}");
}

#[test]
fn a_long_key_ends_in_an_ellipsis_and_keeps_its_equals_sign() {
    let mut r = Registry::new();
    let root = r.add_entry(Entry {
        properties: vec![(
            "AKeyFarLongerThanAnyPaneCouldShowInOneLineEvenAtEightyColumns".into(),
            ioscope::registry::Value::string("value"),
        )]
        .into(),
        ..Entry::named("Root")
    });
    r.plane_mut("IOService").add_root(root);
    let h = Harness::new(
        App::with_registry(SourceKind::File("keys.txt".into()), r, None),
        80,
        24,
    );
    let y = h.row_with("AKeyFar");
    let line = h.screen().lines().nth(y as usize).unwrap().to_string();
    assert!(line.contains("… = "), "{line}");
    assert!(h.screen().contains("\"value\""), "{}", h.screen());
}

#[test]
fn help_and_handle_table_say_where_they_are() {
    let mut h = Harness::dump(100, 30);
    h.press(&[Help]);
    assert!(
        h.screen().contains("Keys — lines 1–26 of"),
        "{}",
        h.screen()
    );
    assert!(h.screen().contains("↓ more"));
    h.press(&[Bottom, PageDown, PageDown, PageDown, PageDown]);
    assert!(!h.screen().contains("↓ more"), "at the end: {}", h.screen());
    let mut d = Harness::demo(120, 30);
    d.press(&[HandleTable, Down, Down]);
    assert!(d.screen().contains(" 3/"), "{}", d.screen());
}

#[test]
fn zooming_another_pane_keeps_the_tree_scroll() {
    let mut h = Harness::demo(120, 30);
    h.jump_to("Magic Keyboard");
    let offset = h.app.state.tree.offset;
    assert!(offset > 0);
    h.press(&[FocusNext, FocusNext, Zoom, Down, Down, Zoom]);
    assert_eq!(
        h.app.state.tree.offset, offset,
        "the tree comes back as it was"
    );
}

#[test]
fn esc_in_a_search_begun_in_filter_mode_brings_back_the_expansion_before_the_filter() {
    let mut h = Harness::dump(120, 30);
    h.press(&[SearchStart]).typed("usb").press(&[Accept]);
    let rows = h.app.state.view.len();
    h.press(&[ToggleFilter]);
    assert!(h.app.state.view.is_filtered());
    assert_ne!(h.app.state.view.len(), rows);
    h.press(&[SearchStart]).typed("disp").press(&[Back]);
    assert!(!h.app.state.view.is_filtered());
    assert_eq!(h.app.state.view.len(), rows, "as before the filter");
}

/// Issue 16 §4: `e` decodes with the table `ioscope explain` uses, so an IOReturn the old
/// 8-code table left unnamed (`-536870212`, kIOReturnError) is named, with the same lines.
#[test]
fn explain_uses_the_one_table_of_ioscope_explain() {
    let mut h = Harness::dump(120, 30);
    h.press(&[ExplainStart])
        .typed("-536870212")
        .press(&[Accept]);
    let screen = h.screen();
    assert!(screen.contains("0xe00002bc"), "{screen}");
    assert!(screen.contains("kIOReturnError"), "{screen}");
    assert!(screen.contains("sub_iokit_common"), "{screen}");
    let details = KernReturn(0xe000_02bc).explain().details();
    let first = details.lines().nth(1).unwrap().trim();
    assert!(
        screen.contains(first),
        "the same lines as `ioscope explain`: {first}"
    );
    // A name works too, as in `ioscope explain kIOReturnBusy`.
    h.press(&[Back, ExplainStart])
        .typed("kIOReturnBusy")
        .press(&[Accept]);
    assert!(h.screen().contains("0xe00002d5"));
}

/// Issue 16 §4: Esc backs out (filter, then search) and never quits; q quits.
#[test]
fn esc_backs_out_and_never_quits() {
    let mut h = Harness::dump(120, 30);
    h.press(&[SearchStart])
        .typed("usb")
        .press(&[Accept, ToggleFilter]);
    assert!(h.app.state.view.is_filtered());
    h.press(&[Back]);
    assert!(
        !h.app.state.view.is_filtered(),
        "first Esc leaves the filter"
    );
    assert!(h.app.state.search.is_active());
    h.press(&[Back]);
    assert!(
        !h.app.state.search.is_active(),
        "second Esc ends the search"
    );
    for _ in 0..3 {
        let effects = h.app.dispatch(Back);
        assert!(
            !effects.contains(&ioscope::app::Effect::Quit),
            "Esc on the main screen does not quit"
        );
    }
    h.draw();
    assert!(h.screen().contains("q quits"), "{}", h.screen());
    assert!(h.app.dispatch(Quit).contains(&ioscope::app::Effect::Quit));
}

/// Issue 16 §4: the lab reports the code of the operation asked for (a release to zero
/// succeeds); issue 21: a stale handle shows no kernel count ("—"), not 0.
#[test]
fn lab_reports_the_operations_code_and_no_count_for_a_stale_handle() {
    let mut h = Harness::demo(120, 30);
    h.jump_to("Magic Keyboard").press(&[Release]);
    let screen = h.screen();
    let status = screen.lines().last().unwrap();
    assert!(
        status.starts_with("IOObjectRelease → KERN_SUCCESS"),
        "the release's own code: {status}"
    );
    assert!(status.contains("kernel retain —"), "{status}");
    assert!(
        screen.contains("kernel retain —"),
        "details pane:\n{screen}"
    );
    assert!(!screen.contains("kernel retain 0"), "{screen}");
    assert_eq!(selected_probe(&h).kernel_retain, None);
    h.press(&[Release]);
    let status = h.screen().lines().last().unwrap().to_string();
    assert!(
        status.starts_with("IOObjectRelease → 0x0000000f KERN_INVALID_NAME"),
        "{status}"
    );
}

/// Issue 21: a terminated entry (unplugged, kept on screen until the next walk) shows its
/// real state, not the `registered, matched, active` its walk read.
#[test]
fn a_terminated_entry_shows_inactive_and_terminated() {
    let mut h = Harness::demo(160, 40);
    h.jump_to("Magic Keyboard");
    assert!(h.screen().contains("registered, matched, active"));
    h.press(&[TogglePlug]);
    let screen = h.screen();
    assert!(
        screen.contains("registered, matched, inactive — terminated"),
        "{screen}"
    );
    assert!(!screen.contains("matched, active"), "{screen}");
}

/// Issue 21: switching to a plane the entry is not in says so (instead of silently selecting
/// the root), and the details pane lists the planes the entry is in, with its name and
/// location where a plane gives it another.
#[test]
fn plane_switch_says_when_the_entry_is_not_there_and_details_list_its_planes() {
    let mut h = Harness::demo(160, 45);
    h.jump_to("Magic Keyboard");
    let screen = h.screen();
    assert!(
        screen.contains("Planes    ● IOService, IOPower, IOUSB"),
        "{screen}"
    );
    let dt = h.app.state.registry.plane_index("IODeviceTree").unwrap();
    h.press(&[PlanePicker]);
    for _ in 0..dt {
        h.press(&[Down]);
    }
    h.press(&[Accept]);
    assert_eq!(h.app.state.plane().name(), "IODeviceTree");
    let status = h.screen().lines().last().unwrap().to_string();
    assert!(
        status.starts_with(
            "Magic Keyboard is not in the IODeviceTree plane (it is in IOService, IOPower, IOUSB): selected"
        ),
        "{status}"
    );
    // An entry whose device-tree name and location differ from its IOService ones.
    let r = &h.app.state.registry;
    let (svc, dtp) = (
        r.plane("IOService").unwrap(),
        r.plane("IODeviceTree").unwrap(),
    );
    let (id, _) = r
        .entries()
        .find(|(id, _)| {
            svc.contains(*id) && dtp.contains(*id) && r.label_in(svc, *id) != r.label_in(dtp, *id)
        })
        .expect("the demo has an entry named differently in two planes");
    let (svc_label, dt_label) = (r.label_in(svc, id), r.label_in(dtp, id));
    assert!(h.app.state.select_entry(id));
    h.draw();
    let screen = h.screen();
    assert!(
        screen.contains(&format!("IOService: {svc_label}")),
        "the IOService name {svc_label} listed:\n{screen}"
    );
    assert!(screen.contains("● IODeviceTree"), "{screen}");
    assert!(screen.contains(&dt_label));
}

/// Issue 16: the demo is an Intel Mac; `:` takes the kernel's path of its first CPU in the
/// device tree, and the details pane shows that exact path.
#[test]
fn jump_to_the_demo_cpu_by_its_kernel_path() {
    let mut h = Harness::demo(140, 40);
    h.press(&[JumpStart])
        .typed("IODeviceTree:/cpus/CPU0@0")
        .press(&[Accept]);
    assert_eq!(h.selected_name(), "CPU0");
    assert!(
        h.screen().contains("IODeviceTree:/cpus/CPU0@0"),
        "{}",
        h.screen()
    );
}

/// The demo with its leaking app driven by hand (`--demo-leak` runs it on a timer): a
/// baseline, `steps` leaks, then a re-walk.
fn leaked_demo(steps: usize) -> Harness {
    use ioscope::kernel::sim::SimKernel;
    let sim = std::sync::Arc::new(SimKernel::new());
    let mut session =
        ioscope::kernel::KernelSession::new(sim.clone(), ioscope::registry::Origin::Demo)
            .with_plug(sim.clone());
    let registry = session.walk(&mut |_| {}).expect("the demo kernel walks");
    let mut h = Harness::new(
        App::with_registry(SourceKind::Demo, registry, Some(Box::new(session))),
        120,
        32,
    );
    h.press(&[Baseline]);
    for _ in 0..steps {
        sim.leak_step().expect("the demo has IOHIDSystem");
    }
    h.press(&[Refresh]);
    assert!(
        h.wait_until(std::time::Duration::from_secs(10), |h| !h.app.is_loading()),
        "the walk finished"
    );
    h
}

/// Issue 18 §2/§6: after the leaking app ran, the change filter shows its user clients as
/// added and IOHIDSystem's retain count as changed, with the numbers in the details pane.
#[test]
fn leak_diff_shows_added_clients_and_the_providers_retain() {
    let mut h = leaked_demo(5);
    assert!(h.screen().contains("+5 −0 ~1"), "{}", h.screen());
    h.press(&[ChangesFilter]);
    let screen = h.screen();
    assert!(screen.contains("showing 6 changes"), "{screen}");
    assert_eq!(
        screen.matches("+ IOHIDLibUserClient").count(),
        5,
        "{screen}"
    );
    h.press(&[Top, NextChange]);
    let screen = h.screen();
    assert_eq!(h.selected_name(), "IOHIDSystem", "{screen}");
    assert!(screen.contains("~ changed since the baseline"), "{screen}");
    let base = h
        .app
        .state
        .leak
        .baseline
        .as_ref()
        .unwrap()
        .registry
        .entries()
        .find(|(_, e)| e.name == "IOHIDSystem")
        .and_then(|(_, e)| e.retain)
        .unwrap();
    assert!(
        screen.contains(&format!("{base} → {} (+5)", base + 5)),
        "{screen}"
    );
}

/// Issue 18 §3/§4: the clients table shows the leaking app first with its growth, and the
/// classes table the kernel's counts with their deltas.
#[test]
fn leak_tables_show_growth_and_kernel_deltas() {
    let mut h = leaked_demo(3);
    h.press(&[Clients]);
    let screen = h.screen();
    let first = screen
        .lines()
        .skip_while(|l| !l.contains("opened on"))
        .nth(1)
        .unwrap();
    assert!(first.contains("501 LeakyApp"), "{screen}");
    assert!(first.contains("+3"), "{screen}");
    assert!(
        first.contains("IOHIDLibUserClient 3 · on IOHIDSystem 3"),
        "{first}"
    );
    h.press(&[Back, Classes, SortNext, SortNext]);
    let screen = h.screen();
    assert!(screen.contains("sorted by delta"), "{screen}");
    let row = |class: &str| {
        screen
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(class))
            .unwrap_or_else(|| panic!("{class} listed:\n{screen}"))
            .to_string()
    };
    // Three clients in the registry and in the kernel's count; 17 + 3 iterators in the
    // kernel only.
    let clients = row("IOHIDLibUserClient");
    assert!(
        clients.contains(" 3 ") && clients.contains("+3"),
        "{clients}"
    );
    let iterators = row("IOUserIterator");
    assert!(
        iterators.contains(" 20 ") && iterators.contains("+3"),
        "{iterators}"
    );
}

/// Writes the README's leak-hunting screenshots from the real renderer
/// (`assets/leak-diff.svg`, `assets/leak-clients.svg`).
#[test]
fn leak_screenshots_svg() {
    let mut h = leaked_demo(4);
    h.press(&[ChangesFilter, Top, NextChange]);
    let write = |h: &Harness, name: &str| {
        let svg = ioscope::ui::svg::render(h.term.backend().buffer());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(svg.as_str()) {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, svg).unwrap();
        }
    };
    assert!(h.screen().contains("changed since the baseline"));
    write(&h, "leak-diff.svg");
    h.press(&[Clients]);
    assert!(h.screen().contains("LeakyApp"));
    write(&h, "leak-clients.svg");
}
