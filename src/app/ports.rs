//! The ports view (`P`): another process's IOKit send rights by kernel object type and class,
//! as `ioscope ports PID` prints them, with the growth since the view opened; Enter on a
//! class filters the tree to the registry entries the process holds of it, and the tree
//! marks every entry the process holds with its names and user references.
//!
//! The census is [`crate::kernel::ports::census`] (one sample: [`PortCensus::take`],
//! the view's rows and growth: [`PortsView`]); this module keeps it in the state. The samples
//! themselves are taken by [`super::App`], which holds the session's port spaces.

use super::state::{Mode, PromptKind, State};
use super::update::{Effect, start_prompt, switch_plane};
use super::{Action, cursor};
use crate::census::clients::{self, ProcessClients};
use crate::kernel::ports::census::{Access, PortCensus, PortsView, Target, ViewRow};
use crate::registry::EntryId;
use crate::registry::escape::for_terminal;
use std::collections::HashMap;

/// The process the ports view shows.
#[derive(Debug, Clone)]
pub struct Ports {
    pub target: Target,
    /// The first sample (taken when the view opened) and the latest.
    pub view: PortsView,
    /// Per registry ID: the names and user references the process holds on the entry.
    pub held: HashMap<u64, (u32, u64)>,
    /// The (type, class) row the tree is filtered to (Enter), applied again after a re-walk.
    pub filter: Option<(String, String)>,
    /// When the read port was refused: the user clients the process opened, from the
    /// registry on screen (`IOUserClientCreator`), which needs no task port.
    pub fallback: Option<ProcessClients>,
}

impl Ports {
    pub(crate) fn open(target: Target, first: PortCensus) -> Self {
        let held = first.held_entries();
        Ports {
            target,
            view: PortsView::open(first),
            held,
            filter: None,
            fallback: None,
        }
    }

    /// Whether the kernel refused the names (only the fallback and the table size are known).
    pub(crate) fn refused(&self) -> bool {
        matches!(self.view.now.access, Access::Inspect | Access::None)
    }

    /// `LeakyApp (pid 501)`, escaped for the screen.
    pub(crate) fn who(&self) -> String {
        format!(
            "{} (pid {})",
            for_terminal(&self.view.now.process),
            self.view.now.pid
        )
    }

    /// The rows on screen, most grown first.
    pub(crate) fn rows(&self) -> Vec<ViewRow> {
        self.view.rows()
    }
}

/// `P`: asks for the process, with the one shown already typed in (Enter keeps its growth).
pub(crate) fn start(s: &mut State) {
    start_prompt(s, PromptKind::Ports);
    if let (Some(p), Mode::Prompt { input, .. }) = (&s.ports, &mut s.mode) {
        *input = p.view.now.pid.to_string();
    }
}

/// Enter in the `P` prompt: the session opens the view (it holds the port spaces).
pub(crate) fn accept(s: &mut State, input: &str) -> Vec<Effect> {
    if input.trim().is_empty() {
        s.message = Some("ports: give a PID or a process name".into());
        return Vec::new();
    }
    vec![Effect::Ports(input.trim().to_owned())]
}

/// Shows the first sample of `target` (or keeps the view when it already shows that process).
pub(crate) fn install(s: &mut State, target: Target, first: PortCensus) {
    match &s.ports {
        Some(p) if p.target == target => {}
        _ => {
            let mut ports = Ports::open(target, first);
            ports.fallback = fallback(s, &ports);
            s.ports = Some(ports);
        }
    }
    s.mode = Mode::Ports { selected: 0 };
}

/// A new sample of the process shown (every tick while it is shown, and after a re-walk).
pub(crate) fn update(s: &mut State, now: PortCensus) {
    let Some(p) = &mut s.ports else { return };
    p.held = now.held_entries();
    p.view.update(now);
    let fallback = s.ports.as_ref().and_then(|p| fallback(s, p));
    if let Some(p) = &mut s.ports {
        p.fallback = fallback;
    }
}

fn fallback(s: &State, p: &Ports) -> Option<ProcessClients> {
    if !p.refused() {
        return None;
    }
    clients::census(&s.registry)
        .into_iter()
        .find(|c| i64::from(c.pid) == i64::from(p.view.now.pid))
}

/// Keys in the ports view.
pub(crate) fn keys(s: &mut State, selected: usize, action: Action) -> Vec<Effect> {
    let n = s.ports.as_ref().map_or(0, |p| p.rows().len());
    match action {
        Action::Back | Action::Quit => close(s),
        Action::Ports => start(s),
        // Not bound in lists; the view samples every second anyway (tests ask for a re-walk).
        Action::Refresh => return vec![Effect::Refresh],
        Action::Accept => {
            s.mode = Mode::Normal;
            filter_to_class(s, selected);
        }
        _ => {
            let page = s.geometry.list.page();
            s.mode = Mode::Ports {
                selected: cursor::step(selected, n, page, action),
            }
        }
    }
    Vec::new()
}

/// Esc: the view closes, the process is forgotten (no more marks), its filter left.
fn close(s: &mut State) {
    s.mode = Mode::Normal;
    let filtered = s.ports.as_ref().is_some_and(|p| p.filter.is_some());
    if filtered && s.view.is_filtered() {
        super::update::leave_filter(s);
    }
    s.ports = None;
}

/// The entries of the registry on screen the process holds names on in a (type, class) row.
fn held_of(s: &State, type_name: &str, class: &str) -> Vec<EntryId> {
    let Some(p) = &s.ports else {
        return Vec::new();
    };
    p.view
        .entries_of(type_name, class)
        .into_iter()
        .filter_map(|id| s.registry.find_by_id(id))
        .filter(|&e| !s.registry.entry(e).synthetic)
        .collect()
}

/// Enter on a class row: the tree shows only the entries the process holds of that class.
fn filter_to_class(s: &mut State, selected: usize) {
    let Some(p) = &s.ports else { return };
    let who = p.who();
    let Some(row) = p.rows().into_iter().nth(selected).map(|r| r.row) else {
        return;
    };
    let (ty, class) = (row.type_name, row.class);
    let wanted = held_of(s, &ty, &class);
    let what = format!("{} ({ty})", for_terminal(&class));
    if wanted.is_empty() {
        s.message = Some(format!(
            "{who} holds no entry of {what} in this registry (no registry ID: a kernel before \
             10.15.5, dead names, or an entry the walk has not seen yet)"
        ));
        return;
    }
    show(s, &wanted);
    if let Some(p) = &mut s.ports {
        p.filter = Some((ty, class));
    }
    s.message = Some(format!(
        "showing {} entries {who} holds of {what} and their ancestors (Esc shows everything)",
        wanted.len()
    ));
}

fn show(s: &mut State, wanted: &[EntryId]) -> bool {
    if !wanted.iter().any(|&e| s.plane().contains(e))
        && let Some(p) = s
            .registry
            .planes()
            .iter()
            .position(|p| wanted.iter().any(|&e| p.contains(e)))
    {
        switch_plane(s, p);
    }
    s.leak.filter = None;
    super::leak::show_entries(s, wanted)
}

/// After a re-walk: the class filter applied to the new registry (entries the process
/// gained since are shown too).
pub(crate) fn reapply(s: &mut State) {
    let Some((ty, class)) = s.ports.as_ref().and_then(|p| p.filter.clone()) else {
        return;
    };
    if s.leak.filter.is_some() {
        return;
    }
    let wanted = held_of(s, &ty, &class);
    if !show(s, &wanted)
        && let Some(p) = &mut s.ports
    {
        p.filter = None;
    }
}

/// The tree left its filter (Esc, another filter): the class filter is gone too.
pub(crate) fn filter_left(s: &mut State) {
    if let Some(p) = &mut s.ports {
        p.filter = None;
    }
}

/// The mark beside a tree row the process holds names on: `⟨2 names, 7 urefs⟩`.
pub(crate) fn held_label(s: &State, id: EntryId) -> Option<String> {
    let p = s.ports.as_ref()?;
    let registry_id = s.registry.entry(id).id?;
    let &(names, urefs) = p.held.get(&registry_id)?;
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    Some(format!(
        "⟨{}, {}⟩",
        plural(u64::from(names), "name", "names"),
        plural(urefs, "uref", "urefs")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::update::update;
    use crate::kernel::KernelSession;
    use crate::kernel::session::LiveSession;
    use crate::kernel::sim::SimKernel;
    use crate::kernel::sim::leaky::{LEAK_CLASS, LEAK_SERVICE, LEAKER_PID};
    use crate::registry::Origin;
    use std::sync::Arc;

    /// The demo after `steps` leaks, walked, with the leaker's census open in the view.
    fn opened(steps: u32) -> (Arc<SimKernel>, State) {
        let sim = Arc::new(SimKernel::new());
        sim.spawn_leaker(steps);
        let mut session = KernelSession::new(sim.clone(), Origin::Demo);
        let registry = session.walk(&mut |_| {}).unwrap();
        let mut s = State::new(super::super::SourceKind::Demo, registry);
        let first = PortCensus::take(&*sim, Target::Pid(LEAKER_PID), "LeakyApp", None);
        install(&mut s, Target::Pid(LEAKER_PID), first);
        drop(session);
        (sim, s)
    }

    fn row_of(s: &State, class: &str) -> usize {
        s.ports
            .as_ref()
            .unwrap()
            .rows()
            .iter()
            .position(|r| r.row.class == class)
            .unwrap()
    }

    #[test]
    fn p_asks_for_the_process_and_enter_asks_the_session_to_open_it() {
        let (_, mut s) = opened(0);
        s.ports = None;
        s.mode = Mode::Normal;
        update(&mut s, Action::Ports);
        assert!(matches!(
            s.mode,
            Mode::Prompt {
                kind: PromptKind::Ports,
                ..
            }
        ));
        for c in "LeakyApp".chars() {
            update(&mut s, Action::Input(c));
        }
        let effects = update(&mut s, Action::Accept);
        assert_eq!(effects, vec![Effect::Ports("LeakyApp".into())]);
        assert_eq!(s.mode, Mode::Normal);
    }

    #[test]
    fn p_again_offers_the_process_shown() {
        let (_, mut s) = opened(1);
        update(&mut s, Action::Ports);
        assert_eq!(
            s.mode,
            Mode::Prompt {
                kind: PromptKind::Ports,
                input: LEAKER_PID.to_string()
            }
        );
    }

    #[test]
    fn enter_on_a_class_filters_the_tree_to_the_entries_held() {
        let (_, mut s) = opened(3);
        let i = row_of(&s, LEAK_CLASS);
        s.mode = Mode::Ports { selected: i };
        update(&mut s, Action::Accept);
        assert_eq!(s.mode, Mode::Normal);
        assert!(s.view.is_filtered());
        let shown: Vec<EntryId> = (0..s.view.len())
            .filter_map(|r| s.view.row(r).map(|r| r.id))
            .collect();
        let clients: Vec<EntryId> = shown
            .iter()
            .copied()
            .filter(|&e| s.registry.class_name(e) == Some(LEAK_CLASS))
            .collect();
        assert_eq!(clients.len(), 3, "the three clients the app holds");
        // Every other row is an ancestor of one of them (IOHIDSystem, IOResources, Root).
        let service = shown
            .iter()
            .find(|&&e| s.registry.entry(e).name == LEAK_SERVICE);
        assert!(service.is_some());
        assert_eq!(shown.len(), 3 + 3, "{shown:?}");
        let p = s.ports.as_ref().unwrap();
        assert_eq!(
            p.filter,
            Some(("IOKIT-CONNECT".to_string(), LEAK_CLASS.to_string()))
        );
        assert!(s.message.as_deref().unwrap().contains("showing 3 entries"));
        // Esc leaves the filter; the process stays shown (its marks stay).
        update(&mut s, Action::Back);
        assert!(!s.view.is_filtered());
        assert!(s.ports.as_ref().is_some_and(|p| p.filter.is_none()));
    }

    #[test]
    fn marks_count_the_names_and_urefs_held_on_each_entry() {
        let (_, s) = opened(2);
        let id = |name: &str| {
            s.registry
                .entries()
                .find(|(_, e)| e.name == name)
                .map(|(i, _)| i)
                .unwrap()
        };
        assert_eq!(
            held_label(&s, id(LEAK_SERVICE)).as_deref(),
            Some("⟨1 name, 16384 urefs⟩")
        );
        let client = s
            .registry
            .entries()
            .find(|(i, _)| s.registry.class_name(*i) == Some(LEAK_CLASS))
            .unwrap()
            .0;
        assert_eq!(held_label(&s, client).as_deref(), Some("⟨1 name, 1 uref⟩"));
        assert_eq!(held_label(&s, id("IOResources")), None);
    }

    #[test]
    fn a_new_sample_grows_the_class_and_esc_forgets_the_process() {
        let (sim, mut s) = opened(1);
        sim.leak_step().unwrap();
        sim.leak_step().unwrap();
        let memory = s.ports.as_ref().unwrap().view.memory().clone();
        let now = PortCensus::take(&*sim, Target::Pid(LEAKER_PID), "LeakyApp", Some(&memory));
        update_sample(&mut s, now);
        let rows = s.ports.as_ref().unwrap().rows();
        assert_eq!(rows[0].row.class, LEAK_CLASS);
        assert_eq!((rows[0].row.names, rows[0].names_growth), (3, 2));
        s.mode = Mode::Ports { selected: 0 };
        update(&mut s, Action::Back);
        assert!(s.ports.is_none());
        assert_eq!(s.mode, Mode::Normal);
    }

    fn update_sample(s: &mut State, now: PortCensus) {
        super::update(s, now);
    }

    #[test]
    fn a_refused_process_shows_its_user_clients_instead() {
        let sim = Arc::new(SimKernel::new());
        let mut session = KernelSession::new(sim.clone(), Origin::Demo);
        let registry = session.walk(&mut |_| {}).unwrap();
        let mut s = State::new(super::super::SourceKind::Demo, registry);
        // WindowServer (pid 161): SIP-protected, opened clients at boot.
        let first = PortCensus::take(&*sim, Target::Pid(161), "WindowServer", None);
        install(&mut s, Target::Pid(161), first);
        let p = s.ports.as_ref().unwrap();
        assert!(p.refused());
        assert!(p.view.now.refusal.as_deref().unwrap().contains("EPERM"));
        assert!(p.fallback.as_ref().is_some_and(|c| c.clients > 0));
        drop(session);
    }
}
