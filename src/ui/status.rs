//! The status bar (source, plane, entries, matches, stale count, key hints) and the
//! line under it (prompt, message, or loading progress).

use super::sanitize::sanitize;
use super::theme::Theme;
use crate::app::Action;
use crate::app::keymap::{Context, keys_for};
use crate::app::state::{Mode, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub fn draw_bar(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let source = format!(" {} ", sanitize(state.source.label()));
    let mut spans = vec![
        Span::styled(source, theme.status_source),
        Span::styled(
            format!(" {} ", sanitize(state.plane().name())),
            theme.status,
        ),
        Span::styled(format!("│ {} entries ", state.registry.len()), theme.status),
    ];
    if state.search.is_active() {
        spans.push(Span::styled(
            format!("│ {} matches ", state.search.matches().len()),
            theme.status,
        ));
    }
    if state.view.is_filtered() {
        spans.push(Span::styled("│ filter ", theme.status));
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
    let hints = [
        (Action::Help, "help"),
        (Action::SearchStart, "search"),
        (Action::PlanePicker, "plane"),
        (Action::HandleTable, "handles"),
        (Action::Quit, "quit"),
    ];
    let mut hint = String::from("│");
    for (action, word) in hints {
        hint.push_str(&format!(" {} {word}", keys_for(Context::Main, action)));
    }
    spans.push(Span::styled(hint, theme.status));
    frame.buffer_mut().set_style(area, theme.status);
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &Line::from(spans), area.width);
}

pub fn draw_message(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = match &state.mode {
        Mode::Prompt { kind, input } => {
            let mut spans = vec![
                Span::styled(kind.sigil(), theme.key),
                Span::raw(sanitize(input).into_owned()),
                Span::styled("█", theme.dim),
            ];
            if *kind == crate::app::state::PromptKind::Search && state.search.is_active() {
                spans.push(Span::styled(
                    format!("   {} matches", state.search.matches().len()),
                    theme.dim,
                ));
            }
            Line::from(spans)
        }
        _ => match (&state.loading, &state.message) {
            (Some(l), _) => Line::styled(
                format!("{}… {}", sanitize(&l.what), l.progress_line()),
                theme.note,
            ),
            (None, Some(m)) => Line::styled(sanitize(m).into_owned(), theme.text),
            (None, None) => Line::default(),
        },
    };
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
}
