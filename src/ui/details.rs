//! The details pane: identity, state, both counts and the handle block of the selection.

use super::sanitize::{join_clipped, sanitize, sanitize_clipped};

/// Most columns of one field read (names, paths): a pane never shows more, and a huge name
/// must not cost its size on every frame.
const FIELD_CAP: usize = 4096;
use super::theme::Theme;
use crate::app::state::{Flash, Focus, State};
use crate::kernel::{HandleProbe, HandleState};
use crate::registry::{EntryId, ServiceState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The note on the observer effect (IOJones silently subtracts 1; we show the raw count).
pub(crate) const OBSERVER_NOTE: &str =
    "note: our own handle (+1) and the call in progress (+1) add to the kernel count; shown raw";

fn field<'a>(theme: &Theme, label: &'a str, value: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<9} "), theme.label),
        Span::styled(value, theme.value),
    ])
}

/// Whether the path of `id` (its names and locations up the first parents) stays within
/// `max` bytes, so that building it costs what the pane shows (a 100 MB name would
/// otherwise be copied on every frame).
fn path_fits(
    r: &crate::registry::Registry,
    plane: &crate::registry::Plane,
    id: EntryId,
    max: usize,
) -> bool {
    let mut total = 0usize;
    let mut cur = Some(id);
    while let Some(c) = cur {
        total += r.name_in(plane, c).len() + r.location_in(plane, c).map_or(0, |l| l.len() + 1) + 1;
        if total > max {
            return false;
        }
        cur = plane.parent(c);
    }
    true
}

/// The lines of the pane (also used to size it).
pub(crate) fn lines<'a>(state: &'a State, theme: &Theme) -> Vec<Line<'a>> {
    let Some(id) = state.selected_entry() else {
        return vec![Line::styled("nothing selected", theme.dim)];
    };
    let r = &state.registry;
    let plane = state.plane();
    let e = r.entry(id);
    let mut out = vec![field(
        theme,
        "Name",
        sanitize_clipped(&r.name_in(plane, id).to_string_lossy(), FIELD_CAP).into_owned(),
    )];
    let chain = r.class_chain(id);
    if !chain.is_empty() {
        out.push(field(
            theme,
            "Class",
            sanitize_clipped(&join_clipped(&chain, " → ", FIELD_CAP), FIELD_CAP).into_owned(),
        ));
    }
    out.push(field(
        theme,
        "ID",
        e.id.map_or_else(|| "—".into(), |v| format!("{v:#x}")),
    ));
    if let Some(loc) = r.location_in(plane, id) {
        out.push(field(
            theme,
            "Location",
            sanitize_clipped(&loc.to_string_lossy(), FIELD_CAP).into_owned(),
        ));
    }
    if !path_fits(r, plane, id, FIELD_CAP) {
        out.push(field(
            theme,
            "Path",
            "(longer than the pane can show: y copies it)".into(),
        ));
    } else if let Some(path) = r.path_in(plane, id) {
        out.push(field(
            theme,
            "Path",
            sanitize_clipped(&path, FIELD_CAP).into_owned(),
        ));
    }
    // An entry with several parents: the others, by path (`a` moves to its next appearance).
    let parents: Vec<_> = plane.parents(id).collect();
    if parents.len() > 1 {
        for (i, &p) in parents.iter().enumerate().skip(1) {
            let shown = r.path_in(plane, p).unwrap_or_else(|| r.label_in(plane, p));
            let label = if i == 1 { "Also under" } else { "" };
            out.push(field(theme, label, sanitize(&shown).into_owned()));
        }
    }
    planes_block(state, id, theme, &mut out);
    linked_from_block(state, theme, &mut out);
    let terminated = matches!(state.flash(id), Some(Flash::Gone))
        || state
            .probes
            .get(&id)
            .is_some_and(|p| p.state == HandleState::DeadName);
    match e.state {
        ServiceState::Service(info) => {
            let mut words = info.state_words();
            if terminated {
                words.push_str(" — terminated");
            }
            out.push(field(theme, "State", words));
            let busy = match (info.busy, info.busy_time_ns) {
                (Some(b), Some(t)) => format!("{b} ({} ms)", t / 1_000_000),
                (Some(b), None) => b.to_string(),
                _ => "—".into(),
            };
            out.push(field(theme, "Busy", busy));
        }
        ServiceState::NotService => out.push(field(theme, "State", "not a service".into())),
        ServiceState::Unknown => {}
    }
    match state.flash(id) {
        Some(Flash::New { .. }) => out.push(Line::from(vec![
            Span::styled(format!("{:<9} ", "Change"), theme.label),
            Span::styled("+ published since the last walk", theme.new),
        ])),
        Some(Flash::Gone) => out.push(Line::from(vec![
            Span::styled(format!("{:<9} ", "Change"), theme.label),
            Span::styled(
                "− terminated: gone at the next walk (r)",
                theme
                    .gone
                    .remove_modifier(ratatui::style::Modifier::CROSSED_OUT),
            ),
        ])),
        None => {}
    }
    out.extend(super::leak::detail_lines(state, id, theme));
    handle_block(state, id, theme, &mut out);
    out
}

/// The entries that point at this one (`IOAccelTypes` of a framebuffer names the
/// accelerator), with the key: `Linked    AppleIntelFramebuffer@0 (IOAccelTypes), …`.
fn linked_from_block(state: &State, theme: &Theme, out: &mut Vec<Line<'_>>) {
    let Some(links) = state.linked_from.as_ref().filter(|l| !l.is_empty()) else {
        return;
    };
    let r = &state.registry;
    let plane = state.plane();
    let names: Vec<String> = links
        .iter()
        .map(|(from, key)| {
            let p = if plane.contains(*from) {
                plane
            } else {
                r.planes()
                    .iter()
                    .find(|p| p.contains(*from))
                    .unwrap_or(plane)
            };
            format!(
                "{} ({})",
                sanitize_clipped(&r.label_in(p, *from), 64),
                sanitize_clipped(key, 64)
            )
        })
        .collect();
    let more = if links.len() >= 8 { ", …" } else { "" };
    out.push(field(
        theme,
        "Linked",
        format!("{}{more}", names.join(", ")),
    ));
}

/// Every plane the entry is in, the shown one marked `●`, with the entry's name and
/// location where they differ from the shown plane's (a device-tree node and its service
/// differ; `.ioreg` documents record each plane's), e.g.
/// `● IOService, IODeviceTree: cpu0@0, IOPower`. Only when the registry has several planes.
fn planes_block(state: &State, id: EntryId, theme: &Theme, out: &mut Vec<Line<'_>>) {
    let r = &state.registry;
    if r.planes().len() < 2 {
        return;
    }
    let shown = r.label_in(state.plane(), id);
    let mut spans = vec![Span::styled(format!("{:<9} ", "Planes"), theme.label)];
    for (i, p) in r
        .planes()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.contains(id))
    {
        if spans.len() > 1 {
            spans.push(Span::raw(", "));
        }
        if i == state.plane {
            spans.push(Span::styled("● ", theme.value));
        }
        spans.push(Span::styled(sanitize(p.name()).into_owned(), theme.value));
        let label = r.label_in(p, id);
        if label != shown || !state.plane().contains(id) {
            spans.push(Span::styled(format!(": {}", sanitize(&label)), theme.value));
        }
    }
    if spans.len() == 1 {
        spans.push(Span::styled("in no plane", theme.dim));
    }
    out.push(Line::from(spans));
}

fn handle_block<'a>(state: &'a State, id: EntryId, theme: &Theme, out: &mut Vec<Line<'a>>) {
    let captured = state.registry.entry(id).retain;
    if !state.has_handles {
        if let Some(n) = captured {
            out.push(field(
                theme,
                "Retain",
                format!("{n} (kernel count when the dump was taken)"),
            ));
        }
        out.push(Line::from(vec![
            Span::styled(format!("{:<9} ", "Handle"), theme.label),
            Span::styled(
                match state.source {
                    crate::app::SourceKind::File(_) => "saved dump: no live handles",
                    _ => "no kernel session: no live handles",
                },
                theme.note,
            ),
        ]));
        return;
    }
    match state.probes.get(&id) {
        None => out.push(field(theme, "Handle", "none held for this entry".into())),
        Some(p) => probe_lines(p, theme, out),
    }
}

/// A count, or the short name of why there is none (`— KERN_INVALID_NAME`).
fn count(r: &Result<u32, crate::kernel::KernReturn>) -> String {
    match r {
        Ok(n) => n.to_string(),
        Err(code) => {
            let name = code.explain().names().into_iter().next();
            format!("— {}", name.unwrap_or_else(|| code.to_string()))
        }
    }
}

fn probe_lines(p: &HandleProbe, theme: &Theme, out: &mut Vec<Line<'_>>) {
    let stale = p.state.is_stale();
    let style = if stale { theme.stale } else { theme.value };
    let state = if stale {
        Span::styled(format!("✗ {}", p.state.label()), theme.stale)
    } else {
        Span::styled(p.state.label(), theme.value)
    };
    out.push(Line::from(vec![
        Span::styled(format!("{:<9} ", "Handle"), theme.label),
        Span::styled(format!("port {:#x}", p.port), style),
        Span::raw("  "),
        state,
    ]));
    out.push(Line::from(vec![
        Span::styled(format!("{:<9} ", "  counts"), theme.label),
        Span::styled("send refs ", theme.label),
        Span::styled(count(&p.send_refs), style),
        Span::raw("  "),
        Span::styled("dead-name refs ", theme.label),
        Span::styled(count(&p.dead_refs), style),
        Span::raw("  "),
        Span::styled("kernel retain ", theme.label),
        Span::styled(
            p.kernel_retain
                .map_or_else(|| "—".into(), |n| n.to_string()),
            if p.kernel_retain.is_some() {
                theme.number
            } else {
                style
            },
        ),
    ]));
    let last = match &p.last_error {
        Some((call, code)) => Span::styled(
            format!("{} → {}", sanitize(call), code.explain()),
            theme.error,
        ),
        None => Span::styled("none", theme.dim),
    };
    out.push(Line::from(vec![
        Span::styled(format!("{:<9} ", "  error"), theme.label),
        last,
    ]));
    out.push(Line::styled(OBSERVER_NOTE, theme.note));
}

/// The pane's lines wrapped at the inner width.
pub(crate) fn wrapped(state: &State, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    lines(state, theme)
        .into_iter()
        .flat_map(|l| super::wrap::wrap_line(l, usize::from(width)))
        .collect()
}

/// Screen lines the pane needs at this inner width.
pub(crate) fn height(state: &State, theme: &Theme, width: u16) -> u16 {
    wrapped(state, theme, width)
        .len()
        .min(usize::from(u16::MAX)) as u16
}

pub(crate) fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> Rect {
    let focused = state.focus == Focus::Details && state.mode == crate::app::Mode::Normal;
    let block = super::frame::pane(" Details ".into(), None, focused, theme);
    let inner = block.inner(area);
    let para = Paragraph::new(wrapped(state, theme, inner.width))
        .block(block)
        .scroll((state.details_scroll, 0));
    frame.render_widget(para, area);
    inner
}
