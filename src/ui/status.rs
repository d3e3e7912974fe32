//! The status bar (source, plane, entries, matches, stale count, key hints) and the
//! line under it (prompt, message, or loading progress).

use super::sanitize::{sanitize, sanitize_clipped};
use super::theme::Theme;
use crate::app::Action;
use crate::app::keymap::{Context, keys_for};
use crate::app::state::{Focus, Mode, PromptKind, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

pub(crate) fn draw_bar(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let width = usize::from(area.width);
    // The file name gives way to the hints: at most a quarter of the bar.
    let source = format!(
        " {} ",
        sanitize_clipped(state.source.label(), (width / 4).max(8))
    );
    let mut spans = vec![
        Span::styled(source, theme.status_source),
        Span::styled(
            format!(" {} ", sanitize_clipped(state.plane().name(), 16)),
            theme.status,
        ),
        Span::styled(
            format!("│ {} entries ", state.registry.len() - state.leak.ghosts()),
            theme.status,
        ),
    ];
    if state.search.is_active() {
        spans.push(Span::styled(
            format!("│ {} ", match_position(state)),
            theme.status,
        ));
    }
    if state.view.is_filtered() {
        spans.push(Span::styled("│ filter ", theme.status));
    }
    if let Some(diff) = state.leak.summary() {
        spans.push(Span::styled(
            format!("│ {} ", sanitize_clipped(&diff, 40)),
            theme.status,
        ));
    }
    if state.zoom {
        spans.push(Span::styled("│ zoom ", theme.status));
    }
    if state.has_handles {
        let stale = state.stale_count();
        let style = if stale > 0 {
            theme.stale.patch(theme.status)
        } else {
            theme.status
        };
        spans.push(Span::styled(
            format!("│ {stale} stale "),
            if stale > 0 { theme.stale } else { style },
        ));
    }
    if let n @ 1.. = state.registry.report.problem_count() {
        let s = if n == 1 { "" } else { "s" };
        spans.push(Span::styled(format!("│ i: {n} warning{s} "), theme.stale));
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let mut hint = String::from("│");
    for (keys, word) in hints(state) {
        let item = format!(" {keys} {word}");
        if used + hint.width() + item.width() > width {
            continue;
        }
        hint.push_str(&item);
    }
    spans.push(Span::styled(hint, theme.status));
    frame.buffer_mut().set_style(area, theme.status);
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// `7/21 matches` (the selection's place among the matches), or `21 matches`.
pub(crate) fn match_position(state: &State) -> String {
    let n = state.search.matches().len();
    match state
        .selected_entry()
        .and_then(|id| state.search.position(id))
    {
        Some(i) => format!("{}/{n} matches", i + 1),
        None => format!("{n} matches"),
    }
}

/// The key of the property the search matched in the selected entry, cut for the line.
fn matched_key(state: &State) -> Option<String> {
    let id = state.selected_entry()?;
    if !state.search.is_match(id) {
        return None;
    }
    let p = state.search.hit(state.index.as_ref()?, id).property?;
    let (key, _) = state.registry.entry(id).properties.get(p)?;
    Some(sanitize_clipped(&key.to_string_lossy(), 40).into_owned())
}

/// The key hints for what the user is doing, most useful first; the bar shows those that fit.
fn hints(state: &State) -> Vec<(String, &'static str)> {
    let main = |a: Action| keys_for(Context::Main, a);
    let list = |a: Action| keys_for(Context::List, a);
    let mut out: Vec<(String, &'static str)> = Vec::new();
    match &state.mode {
        Mode::Prompt { kind, .. } => {
            out.push(("Enter".into(), "accept"));
            out.push(("Esc".into(), "back"));
            if *kind == PromptKind::Search {
                out.push(("↑".into(), "last search"));
                out.push(("class: name: key: value: id: \"…\"".into(), ""));
            }
        }
        Mode::Hex { .. } => {
            out.push((list(Action::Down), "scroll"));
            out.push((
                format!("{}/{}", list(Action::PageUp), list(Action::PageDown)),
                "page",
            ));
            out.push(("Esc".into(), "close"));
        }
        Mode::Normal => {
            out.push((main(Action::Help), "help"));
            if state.focus == Focus::Properties {
                out.push((main(Action::SearchStart), "filter"));
                out.push((main(Action::SortProps), "key order"));
                match state.props.get(state.prop.selected) {
                    Some(r) if r.data_len.is_some() => out.push(("Enter".into(), "hex view")),
                    Some(r) if r.members.is_some() => out.push(("Enter".into(), "open")),
                    _ => {}
                }
                out.push((main(Action::Copy), "copy value"));
            } else {
                out.push((main(Action::SearchStart), "search"));
                if state.search.is_active() {
                    out.push((
                        format!("{}/{}", main(Action::NextMatch), main(Action::PrevMatch)),
                        "next",
                    ));
                    out.push((main(Action::ToggleFilter), "filter"));
                }
                out.push((main(Action::Copy), "copy path"));
            }
            out.push((main(Action::FocusNext), "pane"));
            out.push((main(Action::JumpStart), "jump"));
            out.push((main(Action::PlanePicker), "plane"));
            if state.has_handles {
                out.push((main(Action::HandleTable), "handles"));
            }
            out.push((
                main(Action::Zoom),
                if state.zoom { "unzoom" } else { "zoom" },
            ));
            out.push((main(Action::Quit), "quit"));
        }
        _ => out.push(("Esc".into(), "close")),
    }
    // `q quit` is worth keeping on a narrow bar: second after help.
    if let Some(q) = out.iter().position(|(_, w)| *w == "quit") {
        let quit = out.remove(q);
        out.insert(1.min(out.len()), quit);
    }
    out
}

pub(crate) fn draw_message(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = match &state.mode {
        Mode::Prompt { kind, input } => {
            let mut spans = vec![
                Span::styled(kind.sigil(), theme.key),
                Span::raw(sanitize_clipped(input, usize::from(area.width)).into_owned()),
                Span::styled("█", theme.dim),
            ];
            if *kind == PromptKind::Search && state.search.is_active() {
                spans.push(Span::styled(
                    format!("   {}", match_position(state)),
                    theme.dim,
                ));
                if let Some(key) = matched_key(state) {
                    spans.push(Span::styled(" · in ", theme.dim));
                    spans.push(Span::styled(key, theme.matched));
                }
            }
            Line::from(spans)
        }
        _ => match (&state.loading, &state.message) {
            (Some(l), _) => Line::styled(
                format!("{}… {}", sanitize(&l.what), l.progress_line()),
                theme.note,
            ),
            (None, Some(m)) => Line::styled(
                sanitize_clipped(m, usize::from(area.width)).into_owned(),
                theme.text,
            ),
            (None, None) => Line::default(),
        },
    };
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
}
