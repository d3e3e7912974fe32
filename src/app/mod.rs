//! The explorer's state and its pure `update(state, action)`; no terminal here.
//!
//! [`App`] wraps the state with what has side effects but no terminal: the kernel
//! session (live or demo), background loading and the periodic timers. The UI feeds it
//! actions and runs the terminal effects it hands back (quit, suspend, copy).

pub(crate) mod action;
pub(crate) mod cursor;
pub(crate) mod error;
pub(crate) mod export;
pub mod handles;
pub(crate) mod jump;
pub mod keymap;
pub(crate) mod leak;
pub(crate) mod loader;
pub(crate) mod ports;
pub(crate) mod prop_pane;
pub(crate) mod props;
pub(crate) mod report;
pub(crate) mod restore;
pub(crate) mod reveal;
pub(crate) mod search;
pub mod state;
pub(crate) mod timeline;
pub(crate) mod tree_view;
pub mod update;

pub use action::Action;
pub(crate) use error::Error;
pub use state::{Flash, Mode, SourceKind, State};
pub use update::{Effect, update};

use crate::formats::recording::Recording;
use crate::kernel::ports::PortSpaces;
use crate::kernel::ports::census::{self, PortCensus};
use crate::kernel::session::{Change, DemoError, LabOp, LabOutcome, LiveSession, SessionKind};
use crate::registry::{EntryId, Registry};
use loader::{Job, LoadEvent};
use state::Loading;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// How often `--demo-leak`'s app leaks a user client and an iterator.
const LEAK_EVERY: Duration = Duration::from_secs(1);

/// How often the ports view (`P`) samples the process's port space again.
const PORTS_EVERY: Duration = Duration::from_secs(1);

/// How often `--demo-hotplug` unplugs or replugs.
const HOTPLUG_EVERY: Duration = Duration::from_secs(4);

/// How long a new entry is drawn as new, and a terminated one lingers before the re-walk
/// that notifications trigger removes it.
pub const LINGER: Duration = Duration::from_millis(2500);

/// Published entries need a walk to appear: wait this long so that a burst of
/// notifications costs one walk.
const PUBLISH_SETTLE: Duration = Duration::from_millis(200);

/// Where a refresh reloads from.
enum Origin {
    File(PathBuf),
    Session,
    /// Handed over in memory: a refresh has nothing to reload.
    Memory,
}

/// What the command line asks of the explorer: built by the binary's `commands`, completed by
/// `ui::run_explorer` (session, waker) and handed to [`App::start`]. The one options type of the
/// explorer (`--diff A B` is `ui::run_diff`, a registry already loaded is [`App::with_registry`]).
#[derive(Default)]
pub struct AppOptions {
    /// A saved dump to open; `None`: walk `session`.
    pub file: Option<PathBuf>,
    /// The kernel to walk and hold handles in (used only without `file`).
    pub session: Option<Box<dyn LiveSession>>,
    /// Re-probe held handles every N milliseconds (0: off).
    pub reprobe_ms: u64,
    /// `--demo-hotplug`: unplug and replug the demo's USB device on a timer.
    pub hotplug: bool,
    /// `--demo-leak`: the demo's leaking app runs from the start.
    pub demo_leak: bool,
    /// Called (on the loader's thread) whenever a background load is done.
    pub waker: Option<loader::Waker>,
}

/// The state plus the session, the loader and the timers.
pub struct App {
    pub state: State,
    session: Option<Box<dyn LiveSession>>,
    origin: Origin,
    loading: Option<Receiver<LoadEvent>>,
    remembered: Option<restore::Remembered>,
    /// The first load failed: the error to report after leaving the screen.
    pub fatal: Option<Error>,
    reprobe: Option<Duration>,
    last_probe: Instant,
    hotplug: Option<Instant>,
    probed_for: Option<EntryId>,
    /// When live changes call for a re-walk.
    rewalk_at: Option<Instant>,
    /// Registry IDs published since the last walk: drawn as new once it lands.
    published: Vec<u64>,
    /// Wakes the UI when a background load is done.
    waker: Option<loader::Waker>,
    /// The recording the source is, once `t` opened its timeline.
    recording: Option<Recording>,
    /// When the timeline last moved while playing.
    played_at: Instant,
    /// `--demo-leak`: when the leaky app last ran.
    leak_at: Option<Instant>,
    /// The session's kernel's other processes (the ports view, `P`), kept here because the
    /// session itself is away while it walks.
    port_spaces: Option<std::sync::Arc<dyn PortSpaces>>,
    /// When the ports view last sampled.
    ports_at: Instant,
}

impl App {
    /// An explorer on a registry that is already loaded (tests, benchmarks).
    pub fn with_registry(
        source: SourceKind,
        registry: Registry,
        session: Option<Box<dyn LiveSession>>,
    ) -> App {
        let origin = if session.is_some() {
            Origin::Session
        } else {
            Origin::Memory
        };
        let mut app = App::empty(source, origin, session);
        app.install(registry);
        app
    }

    fn empty(source: SourceKind, origin: Origin, session: Option<Box<dyn LiveSession>>) -> App {
        App {
            state: State::new(source, Registry::new()),
            port_spaces: session.as_ref().and_then(|s| s.port_spaces()),
            ports_at: Instant::now(),
            session,
            origin,
            loading: None,
            remembered: None,
            fatal: None,
            reprobe: None,
            last_probe: Instant::now(),
            hotplug: None,
            probed_for: None,
            rewalk_at: None,
            published: Vec::new(),
            waker: None,
            recording: None,
            played_at: Instant::now(),
            leak_at: None,
        }
    }

    /// An explorer that loads `options.file` (or walks `options.session`) in the background.
    pub fn start(options: AppOptions) -> App {
        let AppOptions {
            file,
            session,
            reprobe_ms,
            hotplug,
            demo_leak,
            waker,
        } = options;
        let (source, origin) = match (&file, &session) {
            (Some(path), _) => (
                SourceKind::File(path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )),
                Origin::File(path.clone()),
            ),
            (None, Some(s)) => (
                match s.kind() {
                    SessionKind::Live => SourceKind::Live,
                    SessionKind::Demo => SourceKind::Demo,
                },
                Origin::Session,
            ),
            (None, None) => (SourceKind::Memory, Origin::Memory),
        };
        let has_session = session.is_some() && file.is_none();
        let mut app = App::empty(source, origin, if has_session { session } else { None });
        app.state.source_path = file.clone();
        if has_session && reprobe_ms > 0 {
            app.reprobe = Some(Duration::from_millis(reprobe_ms));
        }
        if has_session && hotplug {
            app.hotplug = Some(Instant::now());
        }
        app.waker = waker;
        app.begin_load();
        if demo_leak && file.is_none() {
            // The demo's leaking app runs from now on, one step a second.
            app.leak_at = Some(Instant::now());
        }
        app
    }

    fn begin_load(&mut self) {
        let job = match &self.origin {
            Origin::File(p) => Job::File(p.clone()),
            Origin::Session => match self.session.take() {
                Some(s) => Job::Walk(s),
                None => return,
            },
            Origin::Memory => {
                self.state.message =
                    Some("nothing to reload: this registry was given in memory".into());
                return;
            }
        };
        let what = match &self.origin {
            Origin::File(p) => format!("reading {}", p.display()),
            _ => "walking the registry".to_string(),
        };
        let mut loading = Loading::new(what);
        if let Origin::File(p) = &self.origin {
            // Known before the first chunk arrives, so the first frame already says "MB".
            loading.bytes = std::fs::metadata(p).ok().map(|m| (0, m.len()));
        }
        self.state.loading = Some(loading);
        self.loading = Some(loader::spawn(job, self.waker.clone()));
    }

    /// Whether a background load is running.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Takes a freshly loaded registry into the state, keeping what the user had open.
    fn install(&mut self, registry: Registry) {
        let source = self.state.source.clone();
        // Compared with the baseline (if any) before the tree is built: ghosts join it.
        let mut leak = std::mem::take(&mut self.state.leak);
        let plane_name = self.state.plane().name().to_owned();
        let registry = leak.prepare(registry, &plane_name);
        let leak_filter = leak.filter.take();
        let old = std::mem::replace(&mut self.state, State::new(source, registry));
        self.state.leak = leak;
        self.state.timeline = old.timeline.clone();
        if matches!(
            old.mode,
            Mode::Classes { .. } | Mode::Clients { .. } | Mode::Timeline | Mode::Ports { .. }
        ) {
            self.state.mode = old.mode.clone();
        }
        self.state.ports = old.ports;
        self.state.has_handles = self.session.is_some();
        self.state.message = old.message;
        self.state.focus = old.focus;
        self.state.prop_expansion = old.prop_expansion;
        self.state.prop_view = old.prop_view;
        self.state.zoom = old.zoom;
        self.state.rebuild_props();
        self.state.search.query = old.search.query.clone();
        self.state.geometry = old.geometry;
        self.state.flashes = carry_flashes(old.flashes, &self.state.registry, &mut self.published);
        let mut filtered = false;
        if let Some(keys) = self.remembered.take() {
            restore::restore(&mut self.state, &keys);
            filtered = keys.filtered;
        }
        if !self.state.search.query.is_empty() {
            update::run_search(&mut self.state);
            if filtered && self.state.search.is_active() {
                update::enter_filter(&mut self.state);
            }
        }
        if let Some(f) = leak_filter {
            self.state.leak.filter = Some(f);
            leak::reapply(&mut self.state);
        }
        leak::recount(&mut self.state);
        if self.state.ports.is_some() {
            self.sample_ports();
            ports::reapply(&mut self.state);
        }
        self.probe_all();
        self.probed_for = None;
        self.probe_selected();
    }

    /// Receives background results and runs the timers. Returns whether the screen changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = self.poll_loader();
        if self.loading.is_none() {
            changed |= self.timers();
            changed |= self.state.poll_scan();
        }
        changed
    }

    fn poll_loader(&mut self) -> bool {
        let Some(rx) = &self.loading else {
            return false;
        };
        loop {
            match rx.try_recv() {
                Ok(LoadEvent::Progress(p)) => {
                    if let Some(l) = &mut self.state.loading {
                        l.progress = p;
                    }
                }
                Ok(LoadEvent::Read { done, total }) => {
                    if let Some(l) = &mut self.state.loading {
                        l.bytes = Some((done, total));
                    }
                }
                Ok(LoadEvent::Done { result, session }) => {
                    self.loading = None;
                    self.state.loading = None;
                    if session.is_some() {
                        self.session = session;
                    }
                    match result {
                        Ok(registry) => self.install(*registry),
                        Err(e) if self.state.registry.is_empty() => self.fatal = Some(e),
                        Err(e) => self.state.message = Some(e.to_string()),
                    }
                    return true;
                }
                // Redraw anyway: the elapsed time shows that a long parse is not a hang.
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => {
                    self.loading = None;
                    self.state.loading = None;
                    self.fatal.get_or_insert(Error::LoaderStopped);
                    return true;
                }
            }
        }
    }

    fn timers(&mut self) -> bool {
        let now = Instant::now();
        let mut changed = false;
        if let Some(every) = self.reprobe {
            if self.last_probe.elapsed() >= every {
                self.probe_all();
                changed = true;
            }
        }
        if let Some(at) = self.leak_at
            && now.duration_since(at) >= LEAK_EVERY
        {
            self.leak_at = Some(now);
            if let Some(session) = self.session.as_mut() {
                let result = match session.demo() {
                    Some(demo) => demo.demo_leak(),
                    None => Err(DemoError::LeakNeedsDemo),
                };
                self.state.message = Some(result.unwrap_or_else(|e| e.to_string()));
                changed = true;
            }
        }
        if self.state.ports.is_some() && now.duration_since(self.ports_at) >= PORTS_EVERY {
            self.sample_ports();
            changed = true;
        }
        if let Some(at) = self.hotplug {
            if now.duration_since(at) >= HOTPLUG_EVERY {
                self.hotplug = Some(now);
                self.demo_hotplug();
                changed = true;
            }
        }
        if let Some(session) = self.session.as_mut() {
            let changes = session.poll_changes();
            if !changes.is_empty() {
                let published = changes
                    .iter()
                    .filter(|c| matches!(c, Change::Published { .. }))
                    .count();
                self.state.message = Some(format!(
                    "registry changed: {published} published, {} terminated",
                    changes.len() - published
                ));
            }
            changed |= self.note_changes(changes, true);
        }
        if let Some(t) = &mut self.state.timeline
            && t.playing
            && self.played_at.elapsed() >= Duration::from_millis(t.dwell_ms())
        {
            if t.index + 1 < t.moments.len() {
                t.index += 1;
                let at = t.t_ms();
                self.seek(at);
            } else {
                t.playing = false;
            }
            changed = true;
        }
        let flashes = self.state.flashes.len();
        self.state
            .flashes
            .retain(|_, f| !matches!(f, Flash::New { until } if *until <= now));
        changed |= self.state.flashes.len() != flashes;
        if self.rewalk_at.is_some_and(|at| now >= at) {
            self.rewalk_at = None;
            self.refresh();
            changed = true;
        }
        changed
    }

    /// `--demo-hotplug`: unplugs or replugs the demo's USB flash drive.
    fn demo_hotplug(&mut self) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let result = match session.demo() {
            Some(demo) => demo.demo_hotplug(),
            None => Err(DemoError::HotplugNeedsDemo),
        };
        let changes = session.poll_changes();
        self.state.message = Some(result.unwrap_or_else(|e| e.to_string()));
        self.probe_all();
        self.note_changes(changes, true);
    }

    /// Marks live changes on screen and schedules the re-walk they call for. `linger`:
    /// re-walk after [`LINGER`] even when only terminations came (notifications); without
    /// it (the user's own `U`), terminated entries and their dead names stay until `r`.
    fn note_changes(&mut self, changes: Vec<Change>, linger: bool) -> bool {
        if changes.is_empty() {
            return false;
        }
        let mut terminated = false;
        for change in changes {
            match change {
                Change::Published { registry_id } => self.published.extend(registry_id),
                Change::Terminated { registry_id } => {
                    terminated = true;
                    if let Some(id) = registry_id {
                        self.state.flashes.insert(id, Flash::Gone);
                        mark_terminated(&mut self.state.registry, id);
                    }
                }
            }
        }
        let delay = match (terminated, linger) {
            (true, true) => Some(LINGER),
            _ if !self.published.is_empty() => Some(PUBLISH_SETTLE),
            _ => None,
        };
        if let Some(delay) = delay {
            let due = Instant::now() + delay;
            self.rewalk_at = Some(self.rewalk_at.map_or(due, |t| t.min(due)));
        }
        true
    }

    /// Applies an action and runs the effects that need the session. Returns the effects
    /// the terminal must run (quit, suspend, copy).
    pub fn dispatch(&mut self, action: Action) -> Vec<Effect> {
        let effects = update(&mut self.state, action);
        let mut out = Vec::new();
        for effect in effects {
            match effect {
                Effect::Refresh => self.refresh(),
                Effect::Lab(id, op) => self.lab(id, op),
                Effect::TogglePlug(id) => self.toggle_plug(id),
                Effect::ProbeAll => self.probe_all(),
                Effect::Timeline => self.open_timeline(),
                Effect::Seek(t_ms) => self.seek(t_ms),
                Effect::Ports(target) => self.open_ports(&target),
                other => out.push(other),
            }
        }
        self.probe_selected();
        out
    }

    /// An explorer on `after` compared with `before` (`ioscope --diff A B`).
    pub(crate) fn with_baseline(
        source: SourceKind,
        before: Registry,
        before_label: String,
        after: Registry,
    ) -> App {
        let mut app = App::empty(source, Origin::Memory, None);
        app.state.leak.baseline = Some(leak::Baseline::new(before, before_label));
        app.install(after);
        app
    }

    /// `P`: opens the ports view on `target` (a PID, a name or `self`), with a first sample.
    fn open_ports(&mut self, target: &str) {
        let Some(spaces) = self.port_spaces.clone() else {
            self.state.message = Some(
                "the ports view reads a running kernel's processes: open the live registry or the demo, not a saved dump"
                    .into(),
            );
            return;
        };
        match census::resolve(&*spaces, target) {
            Ok((target, name)) => {
                let first = PortCensus::take(&*spaces, target, &name, None);
                if first.no_process {
                    // No view for a process that is not there: the one line says so.
                    self.state.message = first.refusal;
                    return;
                }
                self.ports_at = Instant::now();
                ports::install(&mut self.state, target, first);
            }
            Err(e) => self.state.message = Some(e.to_string()),
        }
    }

    /// Samples the shown process's port space again (growth since the view opened).
    fn sample_ports(&mut self) {
        self.ports_at = Instant::now();
        let (Some(spaces), Some(p)) = (&self.port_spaces, &self.state.ports) else {
            return;
        };
        let now = PortCensus::take(
            &**spaces,
            p.target,
            &p.view.now.process,
            Some(p.view.memory()),
        );
        ports::update(&mut self.state, now);
    }

    /// `t`: reads the source as a recording (once) and opens its timeline.
    fn open_timeline(&mut self) {
        if self.recording.is_none() {
            let Origin::File(path) = &self.origin else {
                self.state.message =
                    Some("the timeline needs a recording: ioscope record -o FILE.ioscope".into());
                return;
            };
            match read_recording(path) {
                Ok(rec) => self.recording = Some(rec),
                Err(e) => {
                    self.state.message = Some(e.to_string());
                    return;
                }
            }
        }
        let Some(rec) = &self.recording else { return };
        if self.state.timeline.is_none() {
            match rec.moments() {
                Ok(m) => self.state.timeline = Some(timeline::Timeline::new(m)),
                Err(e) => {
                    self.state.message = Some(e.to_string());
                    return;
                }
            }
        }
        self.state.mode = Mode::Timeline;
    }

    /// Shows the recording's registry `t_ms` after its start, keeping what was open.
    fn seek(&mut self, t_ms: u64) {
        let Some(rec) = &self.recording else { return };
        match rec.at(t_ms) {
            Ok(registry) => {
                self.remembered = Some(restore::remember(&self.state));
                self.install(registry);
                self.played_at = Instant::now();
            }
            Err(e) => self.state.message = Some(e.to_string()),
        }
    }

    /// Reloads the source in the background, remembering what was open.
    pub(crate) fn refresh(&mut self) {
        if self.loading.is_some() {
            self.state.message = Some("still loading".into());
            return;
        }
        self.remembered = Some(restore::remember(&self.state));
        self.begin_load();
    }

    fn busy(&mut self) -> Option<&mut Box<dyn LiveSession>> {
        if self.session.is_none() {
            self.state.message = Some(if self.loading.is_some() {
                "busy walking the registry".into()
            } else {
                "saved dump: no live handles".into()
            });
        }
        self.session.as_mut()
    }

    fn lab(&mut self, id: EntryId, op: LabOp) {
        let Some(session) = self.busy() else { return };
        let outcome = session.lab(id, op);
        self.state.message = Some(match &outcome {
            Some(o) => lab_message(o),
            None => "handle lab: no handle held for this entry".to_string(),
        });
        if let Some(o) = outcome {
            self.state.probes.insert(id, o.probe);
        }
    }

    fn toggle_plug(&mut self, id: EntryId) {
        let Some(session) = self.busy() else { return };
        let result = match session.demo() {
            Some(demo) => demo.toggle_plug(id),
            None => Err(DemoError::UnplugNeedsDemo),
        };
        let changes = session.poll_changes();
        self.state.message = Some(result.unwrap_or_else(|e| e.to_string()));
        self.probe_all();
        self.note_changes(changes, false);
    }

    fn probe_all(&mut self) {
        self.last_probe = Instant::now();
        if let Some(session) = self.session.as_mut() {
            self.state.probes = session.probe_all().into_iter().collect();
        }
    }

    /// Probes the selected entry's handle when the selection moved.
    fn probe_selected(&mut self) {
        let entry = self.state.selected_entry();
        if entry == self.probed_for {
            return;
        }
        self.probed_for = entry;
        if let (Some(session), Some(id)) = (self.session.as_mut(), entry) {
            if let Some(p) = session.probe(id) {
                self.state.probes.insert(id, p);
            }
        }
    }
}

/// The recording at `path`, for the timeline.
fn read_recording(path: &std::path::Path) -> Result<Recording, Error> {
    let bytes = std::fs::read(path).map_err(Error::RecordingIo)?;
    if !crate::formats::recording::is_recording(&bytes) {
        return Err(Error::NotARecording);
    }
    Ok(Recording::read(&bytes, &crate::formats::Limits::default())?)
}

/// A terminated service is inactive from then on (`IOService::terminate` sets
/// `kIOServiceInactiveState`): the entry, kept on screen until the next walk, says so rather
/// than the `registered, matched, active` its walk read.
fn mark_terminated(registry: &mut Registry, registry_id: u64) {
    if let Some(id) = registry.find_by_id(registry_id)
        && let crate::registry::ServiceState::Service(info) = &mut registry.entry_mut(id).state
    {
        info.state |= crate::registry::ServiceInfo::INACTIVE;
    }
}

/// The status line after a lab operation: the call the user asked for and *its* return code
/// (a release to zero succeeds, even though every call on the name fails afterwards), then
/// the counts the re-probe read and, when the handle is stale now, its state.
fn lab_message(o: &LabOutcome) -> String {
    let dash = || "—".to_string();
    let code = if o.code.is_success() {
        "KERN_SUCCESS".to_string()
    } else {
        o.code.explain().to_string()
    };
    let p = &o.probe;
    let mut m = format!(
        "{} → {code} · send refs {}, kernel retain {}",
        o.call,
        p.send_refs.map_or_else(|_| dash(), |r| r.to_string()),
        p.kernel_retain.map_or_else(dash, |r| r.to_string()),
    );
    if p.state.is_stale() {
        m.push_str(&format!(" · handle {}", p.state.label()));
    }
    m
}

/// The flashes that still mean something after a walk: those of entries still in the
/// registry, plus the entries published since the walk before, drawn as new for [`LINGER`].
fn carry_flashes(
    old: HashMap<u64, Flash>,
    registry: &Registry,
    published: &mut Vec<u64>,
) -> HashMap<u64, Flash> {
    if old.is_empty() && published.is_empty() {
        return old;
    }
    let present: HashSet<u64> = registry.entries().filter_map(|(_, e)| e.id).collect();
    let mut flashes: HashMap<u64, Flash> = old
        .into_iter()
        .filter(|(id, _)| present.contains(id))
        .collect();
    let until = Instant::now() + LINGER;
    for id in published.drain(..).filter(|id| present.contains(id)) {
        flashes.insert(id, Flash::New { until });
    }
    flashes
}
