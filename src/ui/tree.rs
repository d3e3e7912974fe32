//! The tree pane: only the rows in the window are built, whatever the registry's size.

use super::sanitize::sanitize;
use super::theme::Theme;
use crate::app::state::{Flash, Focus, State};
use crate::app::tree_view::Row;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

/// The first row to show so that the selection is on screen, and no rows stay hidden
/// above while the pane has room below (after the terminal grew, or rows were collapsed).
pub fn window_start(state: &State, height: usize) -> usize {
    let height = height.max(1);
    let mut offset = state.offset.min(state.view.len().saturating_sub(height));
    if state.selected < offset {
        offset = state.selected;
    } else if state.selected >= offset + height {
        offset = state.selected + 1 - height;
    }
    offset
}

/// Draws the pane; returns the inner row area.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> Rect {
    let focused = state.focus == Focus::Tree && state.mode == crate::app::Mode::Normal;
    let filter = if state.view.is_filtered() {
        " filtered"
    } else {
        ""
    };
    let title = format!(
        " {} — {} rows{filter} ",
        sanitize(state.plane().name()),
        state.view.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(Span::styled(
            title,
            if focused {
                theme.title_focused
            } else {
                theme.title
            },
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return inner;
    }
    let offset = window_start(state, usize::from(inner.height));
    let end = (offset + usize::from(inner.height)).min(state.view.len());
    let buf = frame.buffer_mut();
    for (i, row) in state.view.rows()[offset..end].iter().enumerate() {
        let index = offset + i;
        let mut line = row_line(state, row, theme);
        if index == state.selected {
            let style = if focused {
                theme.selected
            } else {
                theme.selected_unfocused
            };
            line = super::theme::on_selection(line, style);
            // Fill the whole width so the selection bar is visible.
            buf.set_style(
                Rect::new(inner.x, inner.y + i as u16, inner.width, 1),
                style,
            );
        }
        buf.set_line(inner.x, inner.y + i as u16, &line, inner.width);
    }
    if state.view.is_empty() {
        // While the first load runs the plane is not empty, just not there yet.
        let msg = if state.loading.is_some() {
            "loading…"
        } else if state.view.is_filtered() {
            "no matches"
        } else {
            "(empty plane)"
        };
        buf.set_string(inner.x, inner.y, msg, theme.dim);
    }
    inner
}

/// `│ ├─▸ name@loc (3)  Class`: guides, marker, label, child count, class.
fn row_line<'a>(state: &'a State, row: &Row, theme: &Theme) -> Line<'a> {
    let registry = &state.registry;
    let plane = state.plane();
    let mut prefix = String::new();
    for level in 1..row.depth {
        let more = level < 64 && row.guides & (1u64 << level) != 0;
        prefix.push_str(if more { "│ " } else { "  " });
    }
    if row.depth > 0 {
        prefix.push_str(if row.last { "└─" } else { "├─" });
    }
    let expanded = state.view.row_expanded(row);
    let marker = match (row.children > 0, expanded) {
        (false, _) => "─ ",
        (true, false) => "▸ ",
        (true, true) => "▾ ",
    };
    let stale = state.is_stale(row.id);
    let matched = state.search.is_match(row.id);
    let flash = state.flash(row.id);
    let label_style = if let Some(f) = flash {
        match f {
            Flash::New { .. } => theme.new,
            Flash::Gone => theme.gone,
        }
    } else if stale {
        theme.stale
    } else if matched {
        theme.matched
    } else {
        theme.text
    };
    let mut spans = vec![
        Span::styled(prefix, theme.guide),
        Span::styled(
            marker,
            if row.children > 0 {
                theme.text
            } else {
                theme.guide
            },
        ),
    ];
    if stale {
        spans.push(Span::styled("✗ ", theme.stale));
    }
    if row.later {
        // A later appearance of an entry with several parents (`a` moves between them).
        spans.push(Span::styled("↪ ", theme.dim));
    }
    match flash {
        Some(Flash::New { .. }) => spans.push(Span::styled("+ ", theme.new)),
        Some(Flash::Gone) => spans.push(Span::styled("− ", theme.gone)),
        None => {}
    }
    spans.push(Span::styled(
        sanitize(&registry.label_in(plane, row.id)).into_owned(),
        label_style,
    ));
    if row.children > 0 && !expanded {
        spans.push(Span::styled(format!(" ({})", row.children), theme.dim));
    }
    if let Some(class) = registry.class_name(row.id) {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(sanitize(class).into_owned(), theme.class));
    }
    Line::from(spans).style(Style::default())
}
