//! Everything the explorer shows, and nothing about the terminal.

use super::cursor::Cursor;
use super::props::{PropExpansion, PropRow, PropView};
use super::search::{PropertyText, Search, SearchIndex};
use super::tree_view::TreeView;
use crate::kernel::HandleProbe;
use crate::kernel::session::WalkProgress;
use crate::registry::{EntryId, Plane, Registry};
use crate::values::References;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

/// Which pane keys move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Tree,
    Details,
    Properties,
}

impl Focus {
    pub(crate) fn next(self) -> Focus {
        match self {
            Focus::Tree => Focus::Details,
            Focus::Details => Focus::Properties,
            Focus::Properties => Focus::Tree,
        }
    }
    pub(crate) fn prev(self) -> Focus {
        self.next().next()
    }
}

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    /// `/` while the properties pane has focus: filter its rows.
    PropFilter,
    Jump,
    Explain,
    /// `x`: the file (and options) to export to.
    Export,
    /// `P`: the process whose port space to show.
    Ports,
}

impl PromptKind {
    pub(crate) fn sigil(self) -> &'static str {
        match self {
            PromptKind::Search => "/",
            PromptKind::PropFilter => "filter properties: ",
            PromptKind::Jump => ":",
            PromptKind::Explain => "explain code: ",
            PromptKind::Export => "export to (FILE.json|.txt|.plist [--redact] [--plane]): ",
            PromptKind::Ports => "ports of process (PID or name): ",
        }
    }
}

/// Columns the handle table can be sorted by (stale handles always come first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HandleSort {
    #[default]
    Port,
    Entry,
    Class,
    Urefs,
    Kernel,
}

impl HandleSort {
    pub(crate) fn next(self) -> Self {
        match self {
            HandleSort::Port => HandleSort::Entry,
            HandleSort::Entry => HandleSort::Class,
            HandleSort::Class => HandleSort::Urefs,
            HandleSort::Urefs => HandleSort::Kernel,
            HandleSort::Kernel => HandleSort::Port,
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            HandleSort::Port => "port",
            HandleSort::Entry => "entry",
            HandleSort::Class => "class",
            HandleSort::Urefs => "urefs",
            HandleSort::Kernel => "kernel",
        }
    }
}

/// The screen's mode: the main screen, or one prompt or popup over it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    Prompt {
        kind: PromptKind,
        input: String,
    },
    Planes {
        selected: usize,
    },
    Help {
        scroll: u16,
    },
    /// The load report (`i`), scrolled like the help.
    Report {
        scroll: u16,
    },
    Handles {
        selected: usize,
        sort: HandleSort,
    },
    /// The decoded lines of a code (`e`).
    Explained {
        lines: Vec<String>,
    },
    /// `c`: every class with its instance count (and delta from the baseline).
    Classes {
        selected: usize,
        sort: super::leak::ClassSort,
    },
    /// `u`: user clients per process (and growth since the baseline).
    Clients {
        selected: usize,
    },
    /// `t`: the timeline of a recording (the tree shows the chosen moment).
    Timeline,
    /// `P`: a process's IOKit names by type and class, growth since the view opened.
    Ports {
        selected: usize,
    },
    /// Every byte of a data value (Enter on it in the properties pane).
    Hex {
        entry: EntryId,
        /// The value's index path (see `PropRow::at`).
        at: Vec<usize>,
        /// The first 16-byte line shown, and the one selected.
        cursor: Cursor,
    },
}

/// What `/` started from: Esc in the prompt puts it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOrigin {
    pub entry: Option<EntryId>,
    pub offset: usize,
    pub expansion: Vec<bool>,
    /// The tree was filtered (`f`) when `/` was pressed.
    pub filtered: bool,
    pub prop_selected: usize,
}

/// Where the data comes from, as the status bar names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A saved dump; the label is its file name.
    File(String),
    Demo,
    Live,
    /// A registry handed over in memory (tests, benchmarks): nothing to reload it from.
    Memory,
}

impl SourceKind {
    pub(crate) fn label(&self) -> &str {
        match self {
            SourceKind::File(name) => name,
            SourceKind::Demo => "demo",
            SourceKind::Live => "live",
            SourceKind::Memory => "memory",
        }
    }
}

/// A live change drawn on an entry, as IORegistryExplorer flashes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    /// First published since the walk before; drawn as new until `until`.
    New { until: Instant },
    /// Terminated: drawn as gone until a walk replaces the registry.
    Gone,
}

/// A background load or walk in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loading {
    pub what: String,
    pub progress: WalkProgress,
    /// A file: bytes read so far and the file's size (a walk reports `progress` instead).
    pub bytes: Option<(u64, u64)>,
    /// When the load began, so that a long parse (which reports nothing) still shows time passing.
    pub started: Instant,
}

impl Loading {
    pub(crate) fn new(what: String) -> Self {
        Loading {
            what,
            progress: WalkProgress::default(),
            bytes: None,
            started: Instant::now(),
        }
    }

    /// One line of progress: `42.0 of 100.0 MB read`, `parsing 100.0 MB`, or planes and entries;
    /// then the seconds elapsed.
    pub(crate) fn progress_line(&self) -> String {
        const MB: f64 = 1e6;
        let what = match self.bytes {
            Some((done, total)) if done < total => {
                format!(
                    "{:.1} of {:.1} MB read",
                    done as f64 / MB,
                    total as f64 / MB
                )
            }
            Some((_, total)) => format!("parsing {:.1} MB", total as f64 / MB),
            None => format!(
                "plane {}/{} · {} entries",
                self.progress.plane, self.progress.planes, self.progress.entries
            ),
        };
        format!("{what} · {:.1} s", self.started.elapsed().as_secs_f64())
    }
}

/// A screen rectangle from the last frame (the state's own type: no terminal library here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Area {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Area {
    /// Whether the cell at (`x`, `y`) is inside.
    pub(crate) fn contains(self, x: u16, y: u16) -> bool {
        x >= self.x
            && x < self.x.saturating_add(self.width)
            && y >= self.y
            && y < self.y.saturating_add(self.height)
    }

    /// Lines shown, at least one (a page for the movement keys).
    pub(crate) fn page(self) -> usize {
        usize::from(self.height).max(1)
    }

    /// The line at screen row `y` (inside the area), counted from its top.
    pub(crate) fn line(self, y: u16) -> usize {
        usize::from(y - self.y)
    }
}

/// Screen areas from the last frame, so clicks and page sizes use what was drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Geometry {
    /// The tree's row area (inside the border).
    pub tree: Area,
    /// The column of the `▸`/`▾` marker on each drawn tree row (guides may be collapsed).
    pub tree_markers: Vec<u16>,
    pub props: Area,
    pub details: Area,
    /// Lines of the details text at the drawn width, so that scrolling stops at its end.
    pub details_lines: u16,
    /// For each drawn line of the properties pane, the property row it shows.
    pub prop_lines: Vec<usize>,
    /// Rows of the list popup (planes, handles) and the first item shown.
    pub list: Area,
    pub list_offset: usize,
    /// The furthest the help text scrolls at this size, so that scrolling back up
    /// responds at once after pressing down past its end.
    pub help_scroll_max: u16,
}

static EMPTY_PLANE: LazyLock<Plane> = LazyLock::new(|| Plane::new("(no planes)"));

/// The plane at `index`, or an empty one for a registry without planes.
pub(crate) fn plane_at(registry: &Registry, index: usize) -> &Plane {
    registry.planes().get(index).unwrap_or(&EMPTY_PLANE)
}

/// The properties' search text ([`PropertyText`]): not built, being built, or built.
///
/// A registry whose values stay in their file (`EntryProperties`) would decode every
/// value for the index, and for each key press's back-links: as soon as such a registry
/// opens, one thread goes through every value once for both (the first frame does not wait;
/// the first search waits only if it is not done). A state dropped before it is done (a
/// reload, the explorer closing) stops it.
#[derive(Debug, Default)]
pub(crate) enum SearchText {
    #[default]
    None,
    Building(Scan),
    Ready(std::sync::Arc<PropertyText>),
}

/// The thread going through every value, and the flag that stops it.
#[derive(Debug)]
pub(crate) struct Scan {
    job: Option<std::thread::JoinHandle<(PropertyText, References)>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Scan {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl SearchText {
    fn spawn(registry: &Registry) -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        if !registry.has_deferred_properties() {
            return SearchText::None;
        }
        // A handle on each list (a source and a span), not the values.
        let lists: Vec<_> = registry
            .entries()
            .map(|(_, e)| e.properties.clone())
            .collect();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        let job = std::thread::Builder::new()
            .name("value scan".into())
            .spawn(move || {
                let going = || !stopped.load(Ordering::Relaxed);
                let text = PropertyText::build(lists.iter().take_while(|_| going()));
                let ids = (0..lists.len() as u32).map(EntryId);
                let refs = References::gather(ids.zip(&lists).take_while(|_| going()));
                (text, refs)
            });
        match job {
            Ok(job) => SearchText::Building(Scan {
                job: Some(job),
                stop,
            }),
            Err(_) => SearchText::None,
        }
    }

    /// Whether a thread is building the text and has finished.
    fn finished(&self) -> bool {
        matches!(self, SearchText::Building(Scan { job: Some(job), .. }) if job.is_finished())
    }

    /// The text, once built (waiting for its thread), and the references gathered with it;
    /// `None` when it is not built.
    fn take(&mut self) -> (Option<std::sync::Arc<PropertyText>>, Option<References>) {
        match std::mem::take(self) {
            SearchText::None => (None, None),
            SearchText::Building(mut scan) => match scan.job.take().map(|job| job.join()) {
                Some(Ok((text, refs))) => (Some(std::sync::Arc::new(text)), Some(refs)),
                _ => (None, None),
            },
            SearchText::Ready(text) => (Some(text), None),
        }
    }
}

/// The explorer's whole state.
#[derive(Debug)]
pub struct State {
    pub source: SourceKind,
    pub registry: Registry,
    pub plane: usize,
    pub view: TreeView,
    /// The selected tree row and the first row on screen.
    pub tree: Cursor,
    pub focus: Focus,
    pub mode: Mode,
    pub search: Search,
    pub index: Option<SearchIndex>,
    /// The properties' search text, kept across planes (and built on a thread of its own
    /// while a registry whose values stay in their file opens).
    pub(crate) search_text: SearchText,
    /// Every property that may point at an entry, for back-links where the values stay in
    /// their file (gathered with the search text).
    pub(crate) references: Option<References>,
    /// Expansion before filter mode, restored when it ends.
    pub filter_saved: Option<Vec<bool>>,
    /// Where `/` began, for Esc in the prompt to go back to.
    pub search_origin: Option<SearchOrigin>,
    /// The focused pane fills the screen (`Z`).
    pub zoom: bool,
    pub props: Vec<PropRow>,
    pub props_for: Option<EntryId>,
    pub prop_expansion: PropExpansion,
    /// Key order and the filter of the properties pane.
    pub prop_view: PropView,
    /// The selected property row and the first row shown.
    pub prop: Cursor,
    pub details_scroll: u16,
    /// Whether this source holds handles (live or demo session).
    pub has_handles: bool,
    /// The latest probe of each held handle.
    pub probes: HashMap<EntryId, HandleProbe>,
    /// Live changes by registry entry ID (IDs survive a re-walk; [`EntryId`]s do not).
    pub flashes: HashMap<u64, Flash>,
    /// A one-line message for the status line (copied, errors, lab results).
    pub message: Option<String>,
    pub loading: Option<Loading>,
    pub geometry: Geometry,
    /// The entries whose properties point at the selected one (path, ID, phandle) and the
    /// key, for the details pane; `None` when the registry is too large to scan.
    pub linked_from: Option<Vec<(EntryId, String)>>,
    /// The dump being explored, which `x` (export) never overwrites.
    pub source_path: Option<std::path::PathBuf>,
    /// Leak hunting: the baseline, the changes since it, the classes and clients tables.
    pub leak: super::leak::Leak,
    /// A recording's timeline (`t`), when the source is one.
    pub timeline: Option<super::timeline::Timeline>,
    /// `P`: the process whose port space is shown (its held entries are marked in the tree).
    pub ports: Option<super::ports::Ports>,
}

impl State {
    pub fn new(source: SourceKind, registry: Registry) -> Self {
        let search_text = SearchText::spawn(&registry);
        let plane = registry.plane_index("IOService").unwrap_or(0);
        let view = TreeView::new(plane_at(&registry, plane), registry.len());
        let mut state = State {
            source,
            registry,
            plane,
            view,
            tree: Cursor::default(),
            focus: Focus::Tree,
            mode: Mode::Normal,
            search: Search::default(),
            index: None,
            search_text,
            references: None,
            filter_saved: None,
            search_origin: None,
            zoom: false,
            props: Vec::new(),
            props_for: None,
            prop_expansion: PropExpansion::default(),
            prop_view: PropView::default(),
            prop: Cursor::default(),
            details_scroll: 0,
            has_handles: false,
            probes: HashMap::new(),
            flashes: HashMap::new(),
            message: None,
            loading: None,
            geometry: Geometry::default(),
            source_path: None,
            linked_from: None,
            leak: Default::default(),
            timeline: None,
            ports: None,
        };
        state.open_top_levels();
        state.sync_props();
        state
    }

    /// Expands the first two levels, as `ioreg` users expect to see some of the tree.
    fn open_top_levels(&mut self) {
        let plane = plane_at(&self.registry, self.plane);
        let roots = self.view.len();
        for i in (0..roots).rev() {
            self.view.expand(plane, i);
        }
        if self.view.len() <= 3 {
            for i in (0..self.view.len()).rev() {
                self.view.expand(plane, i);
            }
        }
    }

    pub fn plane(&self) -> &Plane {
        plane_at(&self.registry, self.plane)
    }

    /// The selected entry, if the tree has rows.
    pub fn selected_entry(&self) -> Option<EntryId> {
        self.view.row(self.tree.selected).map(|r| r.id)
    }

    /// Number of stale handles among the last probes.
    pub fn stale_count(&self) -> usize {
        self.probes.values().filter(|p| p.state.is_stale()).count()
    }

    pub(crate) fn is_stale(&self, id: EntryId) -> bool {
        self.probes.get(&id).is_some_and(|p| p.state.is_stale())
    }

    /// The live change shown on `id`, if any.
    pub fn flash(&self, id: EntryId) -> Option<Flash> {
        if self.flashes.is_empty() {
            return None;
        }
        let registry_id = self.registry.entry(id).id?;
        self.flashes.get(&registry_id).copied()
    }

    /// The furthest the details pane scrolls: its last line at the bottom of the pane.
    pub(crate) fn details_scroll_max(&self) -> u16 {
        self.geometry
            .details_lines
            .saturating_sub(self.geometry.details.height)
    }

    /// Visible tree rows (from the last frame; a sane default before the first).
    pub(crate) fn page(&self) -> usize {
        self.geometry.tree.page()
    }

    /// Keeps the selection inside the rows and on screen.
    pub fn clamp(&mut self) {
        // As the tree pane draws it (the one cursor rule): no rows hidden above while
        // there is room below.
        if self.geometry.tree.height > 0 {
            self.tree.keep_visible(self.view.len(), self.page());
        } else {
            // Not drawn (another pane zoomed): keep its scroll for when it comes back.
            self.tree.clamp(self.view.len());
        }
        self.details_scroll = self.details_scroll.min(self.details_scroll_max());
        self.sync_props();
    }

    /// Rebuilds the property rows when the selection moved to another entry.
    pub fn sync_props(&mut self) {
        let entry = self.selected_entry();
        if entry == self.props_for {
            return;
        }
        self.props_for = entry;
        self.prop = Cursor::default();
        self.details_scroll = 0;
        self.rebuild_props();
        self.linked_from = entry.and_then(|id| self.backlinks(id));
    }

    pub(crate) fn rebuild_props(&mut self) {
        self.props = match self.props_for {
            Some(id) => {
                super::props::rows(&self.registry, id, &self.prop_expansion, &self.prop_view)
            }
            None => Vec::new(),
        };
        self.prop.clamp(self.props.len());
    }

    /// Forgets the search index and the properties' search text (benchmarks time a first
    /// search from nothing).
    #[doc(hidden)]
    pub fn forget_search_index(&mut self) {
        self.index = None;
        self.search_text = SearchText::None;
    }

    /// The background value scan's results, once it is done (waiting for it); the search text.
    fn take_scan(&mut self) -> Option<std::sync::Arc<PropertyText>> {
        let (text, refs) = self.search_text.take();
        if refs.is_some() {
            self.references = refs;
        }
        text
    }

    /// Takes the background value scan's results if it has just finished, and shows the
    /// selected entry's back-links; true if it did.
    pub(crate) fn poll_scan(&mut self) -> bool {
        if !self.search_text.finished() {
            return false;
        }
        if let Some(text) = self.take_scan() {
            self.search_text = SearchText::Ready(text);
        }
        self.linked_from = self.props_for.and_then(|id| self.backlinks(id));
        true
    }

    /// The entries whose properties point at `id` (see [`crate::values::backlinks`]).
    fn backlinks(&self, id: EntryId) -> Option<Vec<(EntryId, String)>> {
        match &self.references {
            Some(refs) => Some(refs.backlinks(&self.registry, id, 8)),
            None => crate::values::backlinks(&self.registry, id, 8),
        }
    }

    /// The search index, built on first use (its property text maybe on a thread since the
    /// registry opened: waited for).
    pub(crate) fn ensure_index(&mut self) {
        if self.index.is_none() {
            let text = self.take_scan();
            let index =
                SearchIndex::with_text(&self.registry, plane_at(&self.registry, self.plane), text);
            self.search_text = SearchText::Ready(index.text());
            self.index = Some(index);
        }
    }

    /// Selects `id`, expanding its ancestors; false if it is not in this plane (or filtered out).
    pub fn select_entry(&mut self, id: EntryId) -> bool {
        let plane = plane_at(&self.registry, self.plane);
        match self.view.reveal(plane, id) {
            Some(row) => {
                let page = self.page();
                self.tree.reveal(row, page);
                self.clamp();
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Loading;

    #[test]
    fn file_loading_says_how_far_it_got() {
        let mut l = Loading::new("reading big.txt".into());
        l.bytes = Some((42_000_000, 100_000_000));
        assert!(l.progress_line().starts_with("42.0 of 100.0 MB read · "));
        l.bytes = Some((100_000_000, 100_000_000));
        assert!(l.progress_line().starts_with("parsing 100.0 MB · "));
        l.bytes = None;
        assert!(l.progress_line().starts_with("plane 0/0 · 0 entries · "));
        assert!(l.progress_line().ends_with(" s"));
    }
}
