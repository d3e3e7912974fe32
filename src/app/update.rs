//! The pure `update(state, action)`: every key's meaning, with no terminal and no kernel.
//! What needs the outside world comes back as [`Effect`]s for the caller to run.

use super::action::Action;
use super::cursor;
use super::handles;
use super::jump;
use super::state::{Focus, Mode, PromptKind, State, plane_at};
use super::{leak, prop_pane, reveal, timeline};
use crate::kernel::KernReturn;
use crate::kernel::session::LabOp;
use crate::registry::EntryId;

/// Work `update` asks its caller to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    Suspend,
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
    Refresh,
    Lab(EntryId, LabOp),
    TogglePlug(EntryId),
    /// Probe every held handle (for the handle table).
    ProbeAll,
    /// `t`: open the recording's timeline.
    Timeline,
    /// Show the recording's moment this many milliseconds from its start.
    Seek(u64),
    /// `P`: open the ports view on this process (a PID or a name, as typed).
    Ports(String),
}

const NO_HANDLES: &str = "saved dump: no live handles";

/// Applies one action to the state.
pub fn update(s: &mut State, action: Action) -> Vec<Effect> {
    s.message = None;
    let effects = match s.mode.clone() {
        Mode::Normal => main(s, action),
        Mode::Prompt { kind, input } => prompt(s, kind, input, action),
        Mode::Planes { selected } => planes(s, selected, action),
        Mode::Help { scroll } => help(s, scroll, action),
        Mode::Report { scroll } => report(s, scroll, action),
        Mode::Handles { selected, sort } => handle_table(s, selected, sort, action),
        Mode::Hex { entry, at, cursor } => prop_pane::hex_view(s, entry, at, cursor, action),
        Mode::Classes { selected, sort } => leak::classes_table(s, selected, sort, action),
        Mode::Clients { selected } => leak::clients_table(s, selected, action),
        Mode::Timeline => timeline::keys(s, action),
        Mode::Ports { selected } => super::ports::keys(s, selected, action),
        Mode::Explained { .. } => {
            if matches!(action, Action::Back | Action::Accept | Action::Quit) {
                s.mode = Mode::Normal;
            }
            Vec::new()
        }
    };
    s.clamp();
    effects
}

fn main(s: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Up
        | Action::Down
        | Action::Top
        | Action::Bottom
        | Action::PageUp
        | Action::PageDown => match s.focus {
            Focus::Tree => {
                s.tree.selected = cursor::step(s.tree.selected, s.view.len(), s.page(), action);
            }
            Focus::Properties => {
                let page = usize::from(s.geometry.props.height);
                s.prop.apply(action, s.props.len(), page);
            }
            Focus::Details => {
                let page = s.geometry.details.page();
                s.details_scroll =
                    cursor::scroll_text(s.details_scroll, s.details_scroll_max(), page, action);
            }
        },
        Action::Left => left(s),
        Action::Right => right(s),
        Action::Toggle => toggle(s),
        Action::ExpandSubtree => {
            let plane = plane_at(&s.registry, s.plane);
            s.view.expand_subtree(plane, s.tree.selected);
        }
        Action::CollapseAll => {
            let entry = s.selected_entry();
            let plane = plane_at(&s.registry, s.plane);
            s.view.collapse_all(plane);
            // Stay on the top-level ancestor of what was selected.
            let mut top = entry;
            while let Some(p) = top.and_then(|t| plane.parent(t)) {
                top = Some(p);
            }
            s.tree.selected = top.and_then(|t| s.view.row_of(t)).unwrap_or(0);
        }
        Action::NextAppearance => next_appearance(s),
        Action::FocusNext => s.focus = s.focus.next(),
        Action::FocusPrev => s.focus = s.focus.prev(),
        Action::PlanePicker => s.mode = Mode::Planes { selected: s.plane },
        Action::SearchStart if s.focus == Focus::Properties => prop_pane::start_filter(s),
        Action::SearchStart => reveal::begin_search(s),
        Action::SortProps => prop_pane::toggle_key_order(s),
        Action::CycleView => prop_pane::cycle_view(s),
        Action::GoBack => prop_pane::go_back(s),
        Action::Zoom => s.zoom = !s.zoom,
        Action::JumpStart => start_prompt(s, PromptKind::Jump),
        Action::ExplainStart => start_prompt(s, PromptKind::Explain),
        Action::Export => start_prompt(s, PromptKind::Export),
        Action::NextMatch | Action::PrevMatch => next_match(s, action == Action::NextMatch),
        Action::ToggleFilter => toggle_filter(s),
        Action::Copy => return copy(s),
        Action::Refresh => return vec![Effect::Refresh],
        Action::Help => s.mode = Mode::Help { scroll: 0 },
        Action::LoadReport => s.mode = Mode::Report { scroll: 0 },
        Action::Quit => return vec![Effect::Quit],
        Action::Back => {
            if !s.prop_view.filter.is_empty() {
                prop_pane::set_filter(s, String::new());
            } else if s.view.is_filtered() {
                leave_filter(s);
            } else if s.search.is_active() {
                s.search.query.clear();
                s.search.reset_matches();
            } else {
                // Esc never quits: a stray Esc (or one too many) must not end the session.
                s.message = Some("nothing to leave: q quits".into());
            }
        }
        Action::Suspend => return vec![Effect::Suspend],
        Action::Retain => return lab(s, LabOp::Retain),
        Action::Release => return lab(s, LabOp::Release),
        Action::Obtain => return lab(s, LabOp::Obtain),
        Action::HandleTable => {
            if !s.has_handles {
                s.message = Some(NO_HANDLES.into());
                return Vec::new();
            }
            s.mode = Mode::Handles {
                selected: 0,
                sort: Default::default(),
            };
            return vec![Effect::ProbeAll];
        }
        Action::TogglePlug => match (s.has_handles, s.selected_entry()) {
            (true, Some(id)) => return vec![Effect::TogglePlug(id)],
            _ => s.message = Some("unplugging needs the demo kernel".into()),
        },
        Action::Click { x, y } => click(s, x, y),
        Action::Wheel { x, y, down } => wheel(s, x, y, down),
        Action::Classes => leak::open_classes(s),
        Action::Clients => leak::open_clients(s),
        Action::Ports => super::ports::start(s),
        Action::Baseline if s.loading.is_some() => {
            s.message = Some("still loading: b marks a baseline once the registry is here".into());
        }
        Action::Baseline => {
            leak::mark_baseline(s, "baseline".into());
            s.message = Some(format!(
                "baseline marked at {}: re-walks are compared with it; d shows the changes, ]/[ jump",
                clock()
            ));
        }
        Action::ChangesFilter => leak::toggle_changes(s),
        Action::NextChange | Action::PrevChange => {
            leak::jump_change(s, action == Action::NextChange)
        }
        Action::Timeline => return vec![Effect::Timeline],
        Action::Accept
        | Action::Backspace
        | Action::SortNext
        | Action::Input(_)
        | Action::PlayPause
        | Action::Faster
        | Action::Slower => {}
    }
    Vec::new()
}

fn left(s: &mut State) {
    match s.focus {
        Focus::Properties => {
            let Some(row) = s.props.get(s.prop.selected) else {
                return;
            };
            if row.expanded {
                let path = row.path.clone();
                s.prop_expansion.0.remove(&path);
                s.rebuild_props();
            } else if let Some(parent) = s.props[..s.prop.selected]
                .iter()
                .rposition(|r| r.depth < row.depth)
            {
                s.prop.selected = parent;
            }
            keep_prop_visible(s);
        }
        _ => {
            if !s.view.collapse(s.tree.selected) {
                if let Some(parent) = s.view.parent_row(s.tree.selected) {
                    s.tree.selected = parent;
                }
            }
        }
    }
}

fn right(s: &mut State) {
    match s.focus {
        Focus::Properties => {
            let Some(row) = s.props.get(s.prop.selected) else {
                return;
            };
            if row.members.is_some_and(|n| n > 0) && !row.expanded {
                let path = row.path.clone();
                s.prop_expansion.0.insert(path);
                s.rebuild_props();
            } else if row.expanded {
                s.prop.selected = cursor::step(s.prop.selected, s.props.len(), 1, Action::Down);
            }
            keep_prop_visible(s);
        }
        _ => {
            let plane = plane_at(&s.registry, s.plane);
            let Some(row) = s.view.row(s.tree.selected).copied() else {
                return;
            };
            if !s.view.expand(plane, s.tree.selected)
                && s.view.is_expanded(row.id)
                && row.children > 0
            {
                s.tree.selected += 1;
            }
        }
    }
}

fn toggle(s: &mut State) {
    match s.focus {
        Focus::Properties => {
            if prop_pane::open_value(s) {
                return;
            }
            let Some(row) = s.props.get(s.prop.selected) else {
                return;
            };
            let path = row.path.clone();
            if row.expanded {
                s.prop_expansion.0.remove(&path);
            } else if row.members.is_some() {
                s.prop_expansion.0.insert(path);
            }
            s.rebuild_props();
        }
        _ => {
            let plane = plane_at(&s.registry, s.plane);
            if !s.view.collapse(s.tree.selected) {
                s.view.expand(plane, s.tree.selected);
            }
        }
    }
}

fn keep_prop_visible(s: &mut State) {
    let page = usize::from(s.geometry.props.height);
    s.prop.keep_visible(s.props.len(), page);
}

pub(super) fn start_prompt(s: &mut State, kind: PromptKind) {
    s.mode = Mode::Prompt {
        kind,
        input: String::new(),
    };
}

fn prompt(s: &mut State, kind: PromptKind, mut input: String, action: Action) -> Vec<Effect> {
    match action {
        Action::Input(c) => input.push(c),
        Action::Backspace => {
            input.pop();
        }
        Action::Up if kind == PromptKind::Search => input.clone_from(&s.search.previous),
        Action::Back => {
            match kind {
                PromptKind::Search => {
                    s.search.query.clear();
                    s.search.reset_matches();
                    if s.view.is_filtered() {
                        leave_filter(s);
                    }
                    reveal::back_to_origin(s);
                }
                PromptKind::PropFilter => prop_pane::set_filter(s, String::new()),
                PromptKind::Jump | PromptKind::Explain | PromptKind::Export => {}
                PromptKind::Ports => {}
            }
            s.mode = Mode::Normal;
            return Vec::new();
        }
        Action::Accept if kind == PromptKind::Ports => {
            s.mode = Mode::Normal;
            return super::ports::accept(s, &input);
        }
        Action::Accept => {
            s.mode = Mode::Normal;
            accept(s, kind, &input);
            return Vec::new();
        }
        _ => return Vec::new(),
    }
    match kind {
        PromptKind::Search => {
            s.search.query = input.clone();
            run_search(s);
            match s.search.best() {
                Some(best) => reveal::reveal_match(s, best),
                // Nothing matches (yet): the view goes back to where the search began.
                None => reveal::back_to_origin_keeping_it(s),
            }
        }
        PromptKind::PropFilter => prop_pane::set_filter(s, input.clone()),
        PromptKind::Jump | PromptKind::Explain | PromptKind::Export | PromptKind::Ports => {}
    }
    s.mode = Mode::Prompt { kind, input };
    Vec::new()
}

/// Recomputes the matches (and the filtered view, when filtering).
pub(crate) fn run_search(s: &mut State) {
    s.ensure_index();
    let index = s.index.as_ref().expect("index just built");
    let plane = plane_at(&s.registry, s.plane);
    s.search.update(index, plane);
    if s.view.is_filtered() {
        apply_filter(s);
    }
}

fn accept(s: &mut State, kind: PromptKind, input: &str) {
    match kind {
        PromptKind::Search => {
            let n = s.search.matches().len();
            s.search_origin = None;
            if !input.trim().is_empty() {
                s.search.previous = input.to_string();
                s.message = Some(format!("{n} matches for “{}”", input.trim()));
            }
        }
        PromptKind::PropFilter => {
            let top = s.props.iter().filter(|r| r.depth == 0).count();
            if !input.is_empty() {
                s.message = Some(format!(
                    "{top} properties match “{input}” (Esc clears the filter)"
                ));
            }
        }
        PromptKind::Jump => match jump::resolve(&s.registry, s.plane, input) {
            Ok((plane, entry)) => {
                if plane != s.plane {
                    switch_plane(s, plane);
                }
                if s.view.is_filtered() && !s.select_entry(entry) {
                    leave_filter(s);
                }
                s.select_entry(entry);
                s.focus = Focus::Tree;
            }
            Err(e) => s.message = Some(e.to_string()),
        },
        PromptKind::Export => s.message = Some(super::export::run(s, input)),
        // Handled before (it needs the session): `ports::accept`.
        PromptKind::Ports => {}
        PromptKind::Explain => match KernReturn::parse(input) {
            // The decoder `ioscope explain` prints with: one table for the whole program.
            Ok(code) => {
                s.mode = Mode::Explained {
                    lines: code
                        .explain()
                        .details()
                        .lines()
                        .map(str::to_owned)
                        .collect(),
                }
            }
            Err(e) => {
                s.message = Some(format!("{e} (try 0x10000003, -536870212 or kIOReturnBusy)"))
            }
        },
    }
}

fn next_match(s: &mut State, forward: bool) {
    if !s.search.is_active() {
        s.message = Some("no search: press / first".into());
        return;
    }
    match s.search.next_after(s.selected_entry(), forward) {
        Some(id) => reveal::reveal_match(s, id),
        None => s.message = Some("no matches".into()),
    }
}

fn toggle_filter(s: &mut State) {
    if s.view.is_filtered() {
        leave_filter(s);
        return;
    }
    if !s.search.is_active() {
        s.message = Some("filter shows search matches: press / first".into());
        return;
    }
    enter_filter(s);
}

/// Turns filter mode on, saving the expansion to restore when it ends.
pub(crate) fn enter_filter(s: &mut State) {
    s.filter_saved = Some(s.view.expansion());
    apply_filter(s);
}

/// Shows only matches and their ancestors, all expanded.
fn apply_filter(s: &mut State) {
    s.leak.filter = None;
    let entry = s.selected_entry();
    let plane = plane_at(&s.registry, s.plane);
    let keep = s.search.filter_set(plane, s.registry.len());
    show_only(s, keep);
    reselect(s, entry);
}

/// Shows only the entries set in `keep` (indexed by entry), all expanded.
pub(super) fn show_only(s: &mut State, keep: Vec<bool>) {
    let plane = plane_at(&s.registry, s.plane);
    let open: Vec<EntryId> = keep
        .iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| EntryId(i as u32))
        .collect();
    s.view.mark_expanded(open);
    s.view.set_filter(plane, Some(keep));
}

pub(super) fn leave_filter(s: &mut State) {
    s.leak.filter = None;
    super::ports::filter_left(s);
    let entry = s.selected_entry();
    let plane = plane_at(&s.registry, s.plane);
    if let Some(saved) = s.filter_saved.take() {
        s.view.set_expansion(saved);
    }
    s.view.set_filter(plane, None);
    reselect(s, entry);
}

/// Selects `entry` again after the rows changed, or the first row.
pub(super) fn reselect(s: &mut State, entry: Option<EntryId>) {
    let found = entry.is_some_and(|e| s.select_entry(e));
    if !found {
        s.tree.selected = 0;
        s.tree.offset = 0;
    }
}

/// Shows another plane, keeping expansion (by entry) and the selection where it exists.
pub(crate) fn switch_plane(s: &mut State, plane_index: usize) {
    let entry = s.selected_entry();
    if s.view.is_filtered() {
        leave_filter(s);
    }
    s.plane = plane_index.min(s.registry.planes().len().saturating_sub(1));
    let plane = plane_at(&s.registry, s.plane);
    s.view.rebuild(plane);
    if s.view.len() == 1 {
        s.view.expand(plane, 0);
    }
    s.index = None;
    if s.search.is_active() {
        s.search.reset_matches();
        run_search(s);
    }
    reselect(s, entry);
}

/// The plane picker's switch (`p`): as [`switch_plane`], saying so when the selected entry
/// is not in the new plane (rather than silently selecting its root).
fn pick_plane(s: &mut State, plane_index: usize) {
    let entry = s.selected_entry();
    switch_plane(s, plane_index);
    if let Some(e) = entry
        && s.selected_entry() != Some(e)
    {
        s.message = Some(not_in_plane_message(s, e));
    }
}

/// Said when a plane switch cannot keep the selection: which entry, which plane, what is
/// selected instead and the planes the entry is in (escaped where the status line draws it).
fn not_in_plane_message(s: &State, e: EntryId) -> String {
    let r = &s.registry;
    let name = r.entry(e).name.to_string_lossy().into_owned();
    let plane = s.plane().name().to_owned();
    let elsewhere: Vec<String> = r
        .planes()
        .iter()
        .filter(|p| p.contains(e))
        .map(|p| p.name().to_owned())
        .collect();
    let instead = match s.selected_entry() {
        Some(id) => format!(
            "selected {} instead",
            r.name_in(s.plane(), id).to_string_lossy()
        ),
        None => "nothing selected".into(),
    };
    let inn = if elsewhere.is_empty() {
        String::new()
    } else {
        format!(" (it is in {})", elsewhere.join(", "))
    };
    format!("{name} is not in the {plane} plane{inn}: {instead}")
}

fn copy(s: &mut State) -> Vec<Effect> {
    let text = match s.focus {
        Focus::Properties => match (s.props_for, s.props.get(s.prop.selected)) {
            (Some(entry), Some(row)) => super::props::copy_text_at(&s.registry, entry, &row.at),
            _ => None,
        },
        _ => s
            .selected_entry()
            .and_then(|id| s.registry.path_in(plane_at(&s.registry, s.plane), id)),
    };
    match text {
        Some(t) => {
            // The terminal loop says where the text went once it has sent it.
            s.message = Some(format!("copying: {}", preview(&t)));
            vec![Effect::Copy(t)]
        }
        None => {
            if s.focus != Focus::Properties && s.selected_entry().is_some() {
                s.message =
                    Some("nothing to copy: Root has no path (the kernel gives it none)".into());
            }
            Vec::new()
        }
    }
}

/// The start of a copied text, for the status line (`… (12345 bytes)` when longer).
pub(crate) fn preview(text: &str) -> String {
    const SHOWN: usize = 60;
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(SHOWN).collect();
    if chars.next().is_some() {
        format!("{head}… ({} bytes)", text.len())
    } else {
        head
    }
}

fn lab(s: &mut State, op: LabOp) -> Vec<Effect> {
    match (s.has_handles, s.selected_entry()) {
        (true, Some(id)) => vec![Effect::Lab(id, op)],
        (false, _) => {
            s.message = Some(NO_HANDLES.into());
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn planes(s: &mut State, selected: usize, action: Action) -> Vec<Effect> {
    let n = s.registry.planes().len();
    match action {
        Action::Accept => {
            s.mode = Mode::Normal;
            if selected < n {
                pick_plane(s, selected);
            }
        }
        Action::Back | Action::Quit => s.mode = Mode::Normal,
        Action::Click { x, y } => {
            if let Some(i) = list_hit(s, x, y) {
                s.mode = Mode::Normal;
                if i < n {
                    pick_plane(s, i);
                }
            }
        }
        _ => {
            let page = s.geometry.list.page();
            s.mode = Mode::Planes {
                selected: cursor::step(selected, n, page, action),
            }
        }
    }
    Vec::new()
}

fn list_hit(s: &State, x: u16, y: u16) -> Option<usize> {
    let area = s.geometry.list;
    area.contains(x, y)
        .then(|| s.geometry.list_offset + area.line(y))
}

fn help(s: &mut State, scroll: u16, action: Action) -> Vec<Effect> {
    if let Some(scroll) = scrolled(s, scroll, action) {
        s.mode = Mode::Help { scroll };
    } else {
        s.mode = Mode::Normal;
    }
    Vec::new()
}

fn report(s: &mut State, scroll: u16, action: Action) -> Vec<Effect> {
    if let Some(scroll) = scrolled(s, scroll, action) {
        s.mode = Mode::Report { scroll };
    } else {
        s.mode = Mode::Normal;
    }
    Vec::new()
}

/// A scrolling text popup (help, load report): the new scroll position, or `None` to close.
fn scrolled(s: &State, scroll: u16, action: Action) -> Option<u16> {
    let page = s.geometry.list.page();
    let max = s.geometry.help_scroll_max;
    let movement = match action {
        Action::Back | Action::Help | Action::Quit => return None,
        Action::Down | Action::Wheel { down: true, .. } => Action::Down,
        Action::Up | Action::Wheel { down: false, .. } => Action::Up,
        Action::PageDown | Action::PageUp => action,
        // Other keys leave it where it is (inside the text at this size).
        _ => Action::Toggle,
    };
    Some(cursor::scroll_text(scroll, max, page, movement))
}

fn handle_table(
    s: &mut State,
    selected: usize,
    sort: super::state::HandleSort,
    action: Action,
) -> Vec<Effect> {
    let n = s.probes.len();
    match action {
        Action::Back | Action::Quit => s.mode = Mode::Normal,
        Action::SortNext => {
            s.mode = Mode::Handles {
                selected: 0,
                sort: sort.next(),
            }
        }
        Action::Accept | Action::Click { .. } => {
            let pick = match action {
                Action::Click { x, y } => list_hit(s, x, y),
                _ => Some(selected),
            };
            let entry = pick.and_then(|i| handles::rows(s, sort).get(i).map(|r| r.0));
            if let Some(id) = entry {
                s.mode = Mode::Normal;
                jump_to_entry(s, id);
            }
        }
        _ => {
            let page = s.geometry.list.page();
            s.mode = Mode::Handles {
                selected: cursor::step(selected, n, page, action),
                sort,
            }
        }
    }
    Vec::new()
}

/// Selects `id`, switching to a plane that holds it if the current one does not.
pub(crate) fn jump_to_entry(s: &mut State, id: EntryId) {
    if !plane_at(&s.registry, s.plane).contains(id) {
        if let Some(p) = s.registry.planes().iter().position(|p| p.contains(id)) {
            switch_plane(s, p);
        }
    }
    if !s.select_entry(id) && s.view.is_filtered() {
        leave_filter(s);
        s.select_entry(id);
    }
    s.focus = Focus::Tree;
}

fn click(s: &mut State, x: u16, y: u16) {
    let g = s.geometry.clone();
    if g.tree.contains(x, y) {
        s.focus = Focus::Tree;
        let row = s.tree.offset + g.tree.line(y);
        let Some(r) = s.view.row(row).copied() else {
            return;
        };
        s.tree.selected = row;
        let marker = g
            .tree_markers
            .get(g.tree.line(y))
            .copied()
            .unwrap_or(g.tree.x + 2 * r.depth.min(1000));
        if r.children > 0 && (x == marker || x == marker + 1) {
            toggle(s);
        }
    } else if g.props.contains(x, y) {
        s.focus = Focus::Properties;
        if let Some(&i) = g.prop_lines.get(g.props.line(y)) {
            let was = s.prop.selected;
            s.prop.selected = i;
            let depth = s.props.get(i).map_or(0, |r| r.depth);
            let marker = g.props.x + 2 * depth;
            if was == i || x == marker || x == marker + 1 {
                toggle(s);
            }
        }
    } else if g.details.contains(x, y) {
        s.focus = Focus::Details;
    }
}

fn wheel(s: &mut State, x: u16, y: u16, down: bool) {
    const STEP: usize = 3;
    let g = &s.geometry;
    if g.props.contains(x, y) {
        // The pane always shows the selected row: the cursor carries it along, or the
        // drawing would scroll straight back to it.
        let page = usize::from(g.props.height);
        s.prop.scroll(down, STEP, s.props.len(), page);
        return;
    }
    if g.details.contains(x, y) {
        let line = if down { Action::Down } else { Action::Up };
        s.details_scroll = cursor::scroll_text(s.details_scroll, s.details_scroll_max(), 1, line);
        return;
    }
    let page = s.page();
    s.tree.scroll(down, STEP, s.view.len(), page);
}

/// `a`: moves to the selected entry's appearance under its next parent (wrapping), revealing
/// it; says so when the entry has one parent only.
fn next_appearance(s: &mut State) {
    let Some(&row) = s.view.row(s.tree.selected) else {
        return;
    };
    let plane = plane_at(&s.registry, s.plane);
    let parents: Vec<EntryId> = plane.parents(row.id).collect();
    if parents.len() < 2 {
        s.message = Some("this entry has one parent in this plane".into());
        return;
    }
    let here = row
        .parent
        .and_then(|p| parents.iter().position(|&q| q == p))
        .unwrap_or(0);
    let k = (here + 1) % parents.len();
    match s.view.reveal_under(plane, row.id, parents[k]) {
        Some(index) => {
            s.tree.selected = index;
            s.message = Some(format!(
                "appearance {} of {} (under {})",
                k + 1,
                parents.len(),
                s.registry.label_in(plane, parents[k])
            ));
        }
        None => s.message = Some("that appearance is hidden by the filter".into()),
    }
}

/// The wall-clock time of day (UTC), `10:31:02`, to label a baseline.
fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02} UTC", day / 3600, day / 60 % 60, day % 60)
}
