//! Explorer benchmarks: a key press to a drawn frame, incremental search, and opening a dump.
//!
//! ```sh
//! cargo bench --bench tui                  # everything (a few minutes, mostly building registries)
//! cargo bench --bench tui -- keys          # only the key presses on 1,000,000 entries
//! scripts/bench-tui                        # the same, as a table against the goals
//! ```
//!
//! Every case measures what the real loop does for one key: `App::dispatch(action)`, then a
//! frame drawn into a 200×60 ratatui `TestBackend` (which stores the cells but writes nothing),
//! then `State::clamp` — exactly as `tests/it/tui.rs` drives the explorer. Registries come from
//! `kernel::sim::generate::synthetic(n, 1)` and are built once, outside the timed part; each timed
//! key is undone (untimed) before the next iteration, so every iteration measures the same thing.
//!
//! The timed parts read wall time. With `TUI_BENCH_CLOCK=cpu` they read the CPU time of the
//! process instead (every thread, the background loader included, and nothing else runs
//! during a measurement): on a machine shared with other work, that stays close to what the
//! same code takes on an idle one, while wall time grows with the load. Criterion reports
//! either as "time".
//!
//! Goals (README, Performance): each key press on 1,000,000 entries < 1 ms (move down `j`,
//! page down, expand the node with 10,000 children and collapse it, jump to the end `G`);
//! one more character typed in `/` search at 100,000 entries < 30 ms; opening a 100,000-entry
//! dump (text and XML archive) up to the first frame < 300 ms; a key press that lands on or
//! leaves an entry with a 100 MB name, string and data value < 50 ms (hostile input: a frame
//! costs what the screen shows, not what the data holds).
//!
//! A filter (`cargo bench --bench tui -- search`) also skips building the other groups'
//! registries, which takes most of a full run.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use ioscope::app::{Action, App, AppOptions, SourceKind};
use ioscope::formats::{self, DumpFormat, Selection};
use ioscope::kernel::sim::generate::{WIDE_CHILDREN, WIDE_NODE, synthetic};
use ioscope::registry::{Entry, EntryId, Registry, Value};
use ioscope::ui::{self, theme::Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;
/// Entries of the registry the key presses run on.
const KEYS_ENTRIES: usize = 1_000_000;
/// Entries of the registry searched, and of the dumps opened.
const SEARCH_ENTRIES: usize = 100_000;
const OPEN_ENTRIES: usize = 100_000;

#[path = "support/clock.rs"]
mod clock;
use clock::Stamp;

/// An app and a test terminal; every action is followed by a frame, as in the real loop.
struct Screen {
    app: App,
    term: Terminal<TestBackend>,
    theme: Theme,
}

impl Screen {
    fn new(app: App) -> Self {
        let mut s = Screen {
            app,
            term: Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal"),
            theme: Theme::colored(),
        };
        s.draw();
        s
    }

    fn on(registry: Registry) -> Self {
        Screen::new(App::with_registry(
            SourceKind::File("synthetic.txt".into()),
            registry,
            None,
        ))
    }

    fn draw(&mut self) {
        let (app, theme) = (&mut self.app, &self.theme);
        self.term
            .draw(|f| {
                app.state.geometry = ui::draw(f, &app.state, theme);
            })
            .expect("draw");
        app.state.clamp();
    }

    /// One key: the action, then a frame.
    fn press(&mut self, action: Action) {
        black_box(self.app.dispatch(action));
        self.draw();
    }

    /// Times `measured` (a key and its frame); runs `undo` after each, untimed.
    fn time(&mut self, iters: u64, measured: Action, undo: &[Action]) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let t = Stamp::now();
            self.press(measured);
            total += t.elapsed();
            for &a in undo {
                self.press(a);
            }
        }
        total
    }

    fn selected(&self) -> usize {
        self.app.state.tree.selected
    }
}

fn configured<'a>(c: &'a mut Criterion, group: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(group);
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g
}

/// Whether the command line's filter (criterion's, a regex on `group/case`) can select
/// `group`: without one, every group runs.
fn wanted(group: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty()
        || filters
            .iter()
            .any(|f| f.contains(group) || group.contains(f.as_str()))
}

fn find(registry: &Registry, name: &str) -> EntryId {
    registry
        .entries()
        .find(|(_, e)| e.name.to_string_lossy() == name)
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("{name} not in the generated registry"))
}

/// Key presses on 1,000,000 entries, with the node of 10,000 children expanded so that there
/// are pages to move through.
fn keys(c: &mut Criterion) {
    if !wanted("keys") {
        return;
    }
    let registry = synthetic(KEYS_ENTRIES, 1);
    let wide = find(&registry, WIDE_NODE);
    let children = registry.planes()[registry.plane_index("IOService").expect("IOService")]
        .children(wide)
        .len();
    assert!(
        children >= WIDE_CHILDREN,
        "{WIDE_NODE} has the 10,000 generated children: {children}"
    );
    let mut s = Screen::on(registry);
    assert!(s.app.state.select_entry(wide), "{WIDE_NODE} in IOService");
    s.draw();
    let wide_row = s.selected();
    s.press(Action::Right);
    let rows = s.app.state.view.len();
    assert!(rows > WIDE_CHILDREN, "expanded: {rows} rows on screen list");

    let mut g = configured(c, "keys");
    // Move down from a row among the 10,000 children, then back up (untimed).
    let start = wide_row + WIDE_CHILDREN / 2;
    s.app.state.tree.selected = start;
    s.draw();
    g.bench_function("move down (j)", |b| {
        b.iter_custom(|iters| s.time(iters, Action::Down, &[Action::Up]))
    });
    assert_eq!(s.selected(), start);
    g.bench_function("page down", |b| {
        b.iter_custom(|iters| s.time(iters, Action::PageDown, &[Action::PageUp]))
    });
    assert_eq!(s.selected(), start);
    g.bench_function("jump to end (G)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Stamp::now();
                s.press(Action::Bottom);
                total += t.elapsed();
                s.app.state.tree.selected = start;
                s.draw();
            }
            total
        })
    });
    assert_eq!(s.selected(), start);
    // Expand and collapse the wide node (10,000 rows spliced in and drained).
    s.app.state.tree.selected = wide_row;
    s.draw();
    s.press(Action::Left);
    assert_eq!(s.app.state.view.len(), rows - children);
    g.bench_function("expand 10,000 children (l)", |b| {
        b.iter_custom(|iters| s.time(iters, Action::Right, &[Action::Left]))
    });
    s.press(Action::Right);
    assert_eq!(s.app.state.view.len(), rows);
    g.bench_function("collapse 10,000 children (h)", |b| {
        b.iter_custom(|iters| s.time(iters, Action::Left, &[Action::Right]))
    });
    assert_eq!(s.selected(), wide_row);
    g.finish();
}

/// `/` search on 100,000 entries: one more character typed (the matches narrow), the first
/// character (a scan of every entry), and the first character of the session (which also
/// builds the search index).
fn search(c: &mut Criterion) {
    if !wanted("search") {
        return;
    }
    let mut s = Screen::on(synthetic(SEARCH_ENTRIES, 1));
    let mut g = configured(c, "search");
    g.sample_size(10);
    s.press(Action::SearchStart);
    s.press(Action::Input('u'));
    s.press(Action::Input('s'));
    let before = s.app.state.search.matches().len();
    g.bench_function("one more character (us→usb)", |b| {
        b.iter_custom(|iters| s.time(iters, Action::Input('b'), &[Action::Backspace]))
    });
    s.press(Action::Input('b'));
    let narrowed = s.app.state.search.matches().len();
    assert!(
        0 < narrowed && narrowed <= before,
        "matches narrow: {before} → {narrowed}"
    );
    s.press(Action::Backspace);
    s.press(Action::Backspace);
    s.press(Action::Backspace);
    g.bench_function("first character (u)", |b| {
        b.iter_custom(|iters| s.time(iters, Action::Input('u'), &[Action::Backspace]))
    });
    g.bench_function("first character with index build (u)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                s.app.state.forget_search_index();
                let t = Stamp::now();
                s.press(Action::Input('u'));
                total += t.elapsed();
                s.press(Action::Backspace);
            }
            total
        })
    });
    g.finish();
}

/// `App::start` on a dump file, polling the background loader, up to the first frame.
fn open(c: &mut Criterion) {
    if !wanted("open") {
        return;
    }
    let registry = synthetic(OPEN_ENTRIES, 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut g = configured(c, "open");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for (label, format, name) in [
        ("text", DumpFormat::Text, "synthetic.txt"),
        ("xml", DumpFormat::Plist, "synthetic.xml"),
    ] {
        let path = dir.path().join(name);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create dump"));
        formats::write(&registry, &Selection::default(), format, &mut out).expect("write dump");
        std::io::Write::flush(&mut out).expect("flush dump");
        drop(out);
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        eprintln!(
            "open/{label}: {} ({:.0} MB, {OPEN_ENTRIES} entries)",
            path.display(),
            bytes as f64 / 1e6
        );
        // Check once, untimed, that the dump opens (`ioreg -l` text holds only the IOService
        // plane, so the few entries only in IODeviceTree are not in it).
        let first = open_to_first_frame(&path);
        let loaded = first.app.state.registry.len();
        assert!(
            loaded > OPEN_ENTRIES * 99 / 100,
            "{label}: {loaded} entries loaded"
        );
        drop(first);
        g.bench_function(format!("{label} {OPEN_ENTRIES}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Stamp::now();
                    let screen = open_to_first_frame(&path);
                    total += t.elapsed();
                    drop(black_box(screen));
                }
                total
            })
        });
    }
    // The explorer's own share of an open: the loaded registry taken in (what `App::install`
    // does when the loader is done) and the first frame; the rest is reading the file.
    g.bench_function(format!("install and first frame {OPEN_ENTRIES}"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let copy = registry.clone();
                let t = Stamp::now();
                let screen = Screen::on(copy);
                total += t.elapsed();
                drop(black_box(screen));
            }
            total
        })
    });
    g.finish();
}

/// As the terminal loop does it: wait for the loader's wake-up (or the 50 ms tick that
/// redraws the loading line), then poll.
fn open_to_first_frame(path: &Path) -> Screen {
    let (tx, rx) = std::sync::mpsc::channel();
    let waker = std::sync::Arc::new(move || {
        let _ = tx.send(());
    });
    let mut app = App::start(AppOptions {
        file: Some(path.to_path_buf()),
        waker: Some(waker),
        ..AppOptions::default()
    });
    while app.is_loading() {
        let _ = rx.recv_timeout(Duration::from_millis(50));
        app.poll();
    }
    if let Some(e) = &app.fatal {
        panic!("{}: {e}", path.display());
    }
    Screen::new(app)
}

/// Bytes of the pathological name, string value and data value.
const HUGE: usize = 100_000_000;

/// An entry whose name, one string value and one data value are 100 MB each, between two
/// ordinary ones: moving onto it (the tree row, the details and the properties of that entry
/// are drawn) and off it again, each a key and its frame.
fn pathological(c: &mut Criterion) {
    if !wanted("pathological") {
        return;
    }
    let mut r = Registry::new();
    let root = r.add_entry(Entry::named("Root"));
    let before = r.add_entry(Entry::named("before"));
    let huge = r.add_entry(Entry {
        properties: vec![
            ("huge-string".into(), Value::string(&"s".repeat(HUGE))),
            ("huge-data".into(), Value::Data(vec![0xa5; HUGE].into())),
        ]
        .into(),
        ..Entry::named("n".repeat(HUGE).as_str())
    });
    let after = r.add_entry(Entry::named("after"));
    let p = r.plane_mut("IOService");
    p.add_root(root);
    for e in [before, huge, after] {
        p.add_child(root, e);
    }
    let mut s = Screen::on(r);
    assert!(s.app.state.select_entry(before));
    s.draw();
    let mut g = configured(c, "pathological");
    g.bench_function("onto a 100 MB name and values (j)", |b| {
        b.iter_custom(|iters| s.time(iters, Action::Down, &[Action::Up]))
    });
    s.press(Action::Down);
    assert_eq!(s.app.state.selected_entry(), Some(huge));
    g.bench_function("off a 100 MB name and values (j)", |b| {
        b.iter_custom(|iters| s.time(iters, Action::Down, &[Action::Up]))
    });
    g.finish();
}

criterion_group!(benches, keys, search, open, pathological);
criterion_main!(benches);
