//! The tree pane: only the rows in the window are built, whatever the registry's size, and
//! each row reads only the characters it shows (a 100 MB name costs one screen line).
//!
//! A deep row never loses its name: when the guides would take the width, the leading ones
//! collapse into `…7│` (seven levels left out) so that the name and class stay visible.
//! Search matches show the part that matched.

use super::sanitize::sanitize_clipped;
use super::theme::Theme;
use crate::app::state::{Flash, Focus, State};
use crate::app::tree_view::Row;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// The first row to show so that the selection is on screen, and no rows stay hidden
/// above while the pane has room below (after the terminal grew, or rows were collapsed).
pub(crate) fn window_start(state: &State, height: usize) -> usize {
    let mut tree = state.tree;
    tree.keep_visible(state.view.len(), height);
    tree.offset
}

/// Draws the pane; returns the inner row area and the column of each drawn row's `▸`/`▾`.
pub(crate) fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
) -> (Rect, Vec<u16>) {
    let focused = state.focus == Focus::Tree && state.mode == crate::app::Mode::Normal;
    let filter = if state.view.is_filtered() {
        " filtered"
    } else {
        ""
    };
    let title = format!(
        " {} — {} rows{filter} ",
        sanitize_clipped(state.plane().name(), 40),
        state.view.len()
    );
    let position = crate::app::cursor::position(state.tree.selected, state.view.len());
    let block = super::frame::pane(title, Some(position), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return (inner, Vec::new());
    }
    let mut markers = Vec::new();
    let offset = window_start(state, usize::from(inner.height));
    let end = (offset + usize::from(inner.height)).min(state.view.len());
    let width = usize::from(inner.width);
    let window: Vec<(Row, RowParts)> = state.view.rows()[offset..end]
        .iter()
        .map(|row| (*row, RowParts::new(state, row, width, theme)))
        .collect();
    let hidden = window_hidden(&window, width);
    let buf = frame.buffer_mut();
    for (i, (row, parts)) in window.into_iter().enumerate() {
        let row = &row;
        let index = offset + i;
        let (mut line, marker) = row_line(state, row, parts, hidden, width, theme);
        markers.push(inner.x + marker as u16);
        if index == state.tree.selected {
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
    (inner, markers)
}

/// Columns of the class a row keeps before its guides collapse: a class longer than this
/// may end in `…` instead.
const CLASS_KEPT: usize = 8;

/// The guides before a row's marker: `│ ` or two spaces per level, then `├─`/`└─`; the
/// first `hidden` levels (at most the row's own) are replaced by `…N│`.
fn guides(row: &Row, hidden: usize) -> String {
    let levels = usize::from(row.depth.saturating_sub(1));
    let hidden = hidden.min(levels);
    let mut prefix = String::new();
    if hidden > 0 {
        prefix.push_str(&format!("…{hidden}│"));
    }
    for l in hidden + 1..=levels {
        let more = l < 64 && row.guides & (1u64 << l) != 0;
        prefix.push_str(if more { "│ " } else { "  " });
    }
    if row.depth > 0 {
        prefix.push_str(if row.last { "└─" } else { "├─" });
    }
    prefix
}

/// Columns of a row's guides with `hidden` levels collapsed.
fn guides_width(row: &Row, hidden: usize) -> usize {
    let levels = usize::from(row.depth.saturating_sub(1));
    let hidden = hidden.min(levels);
    let mark = if hidden > 0 { 2 + digits(hidden) } else { 0 };
    mark + 2 * (levels - hidden) + if row.depth > 0 { 2 } else { 0 }
}

/// The fewest levels to collapse so that a row whose marker, label and count take `tail`
/// columns fits `width` columns; `None` when even collapsing every level is not enough.
fn hidden_needed(row: &Row, tail: usize, width: usize) -> Option<usize> {
    let levels = usize::from(row.depth.saturating_sub(1));
    (0..=levels).find(|&h| guides_width(row, h) + tail <= width)
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

/// What one row shows after its guides, each part cut to the pane's width (so that nothing
/// longer than a screen line is ever read).
struct RowParts {
    marker: &'static str,
    marks: Vec<Span<'static>>,
    label: String,
    count: String,
    class: Option<String>,
}

impl RowParts {
    fn new(state: &State, row: &Row, width: usize, theme: &Theme) -> RowParts {
        let registry = &state.registry;
        let plane = state.plane();
        let expanded = state.view.row_expanded(row);
        let mut marks = Vec::new();
        if state.is_stale(row.id) {
            marks.push(Span::styled("✗ ", theme.stale));
        }
        if row.later {
            // A later appearance of an entry with several parents (`a` moves between them).
            marks.push(Span::styled("↪ ", theme.dim));
        }
        if let Some((mark, _)) = super::leak::tree_mark(state, row.id, theme) {
            marks.push(mark);
        }
        match state.flash(row.id) {
            Some(Flash::New { .. }) => marks.push(Span::styled("+ ", theme.new)),
            Some(Flash::Gone) => marks.push(Span::styled("− ", theme.gone)),
            None => {}
        }
        // `P`: the names and urefs the process shown holds on this entry (digits only).
        if let Some(held) = crate::app::ports::held_label(state, row.id) {
            marks.push(Span::styled(format!("{held} "), theme.key));
        }
        let name = registry.name_in(plane, row.id).to_string_lossy();
        let mut label = sanitize_clipped(&name, width).into_owned();
        if let Some(loc) = registry.location_in(plane, row.id) {
            if label.width() < width {
                label.push('@');
                label.push_str(&sanitize_clipped(&loc.to_string_lossy(), width));
            }
        }
        RowParts {
            marker: match (row.children > 0, expanded) {
                (false, _) => "─ ",
                (true, false) => "▸ ",
                (true, true) => "▾ ",
            },
            marks,
            label,
            count: if row.children > 0 && !expanded {
                format!(" ({})", row.children)
            } else {
                String::new()
            },
            class: registry
                .class_name(row.id)
                .map(|c| sanitize_clipped(c, width).into_owned()),
        }
    }

    /// Columns the row needs after its guides to show its name and count, and with
    /// `class` the first [`CLASS_KEPT`] columns of its class.
    fn tail(&self, class: bool) -> usize {
        let marks: usize = self.marks.iter().map(|s| s.content.width()).sum();
        let class = match (&self.class, class) {
            (Some(c), true) => 2 + c.width().min(CLASS_KEPT),
            _ => 0,
        };
        2 + marks + self.label.width() + self.count.width() + class
    }

    /// The levels this row needs collapsed to show its name and class, else its name; `None`
    /// when its name is too long for the pane whatever is collapsed (it will end in `…`).
    fn hidden_needed(&self, row: &Row, width: usize) -> Option<usize> {
        hidden_needed(row, self.tail(true), width)
            .or_else(|| hidden_needed(row, self.tail(false), width))
    }
}

/// How many leading guide levels the rows of the window collapse: the most any of them
/// needs, so that the guides of rows at one depth stay in one column.
fn window_hidden(rows: &[(Row, RowParts)], width: usize) -> usize {
    rows.iter()
        .filter_map(|(row, parts)| parts.hidden_needed(row, width))
        .max()
        .unwrap_or(0)
}

/// `│ ├─▸ name@loc (3)  Class`: guides (the first `hidden` levels collapsed), marker, label,
/// child count, class, fitted to `width` columns; also returns the marker's column.
fn row_line<'a>(
    state: &'a State,
    row: &Row,
    parts: RowParts,
    hidden: usize,
    width: usize,
    theme: &Theme,
) -> (Line<'a>, usize) {
    let stale = state.is_stale(row.id);
    let matched = state.search.is_match(row.id);
    let flash = state.flash(row.id);
    let base_style = if let Some(f) = flash {
        match f {
            Flash::New { .. } => theme.new,
            Flash::Gone => theme.gone,
        }
    } else if stale {
        theme.stale
    } else if let Some((_, style)) = super::leak::tree_mark(state, row.id, theme) {
        style
    } else {
        theme.text
    };
    let RowParts {
        marker,
        marks,
        mut label,
        count,
        class,
    } = parts;
    let marks_w: usize = marks.iter().map(|s| s.content.width()).sum();
    let prefix = guides(row, hidden);
    // What is left after the guides: the label first, then the count, then the class.
    let mut room = width.saturating_sub(prefix.width() + 2 + marks_w);
    if label.width() > room {
        label = sanitize_clipped(&label, room).into_owned();
    }
    room = room.saturating_sub(label.width());
    let count = if count.width() <= room {
        count
    } else {
        String::new()
    };
    room = room.saturating_sub(count.width());
    let class = class.filter(|_| room > 2).map(|c| {
        if c.width() + 2 > room {
            sanitize_clipped(&c, room - 2).into_owned()
        } else {
            c
        }
    });
    let hit = if matched {
        state
            .index
            .as_ref()
            .map(|index| (index, state.search.hit(index, row.id)))
    } else {
        None
    };
    let marker_col = prefix.width();
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
    spans.extend(marks);
    match &hit {
        Some((index, h)) if !h.label.is_empty() => {
            highlighted(
                &mut spans,
                label,
                index.label(row.id),
                &h.label,
                base_style,
                theme.matched,
            );
        }
        _ => spans.push(Span::styled(
            label,
            if matched && flash.is_none() && !stale {
                theme.matched
            } else {
                base_style
            },
        )),
    }
    if !count.is_empty() {
        spans.push(Span::styled(count, theme.dim));
    }
    if let Some(class) = class {
        spans.push(Span::raw("  "));
        match &hit {
            Some((index, h)) if !h.class.is_empty() => {
                highlighted(
                    &mut spans,
                    class,
                    index.class(row.id),
                    &h.class,
                    theme.class,
                    theme.matched,
                );
            }
            _ => spans.push(Span::styled(class, theme.class)),
        }
    }
    (Line::from(spans).style(Style::default()), marker_col)
}

/// Pushes `shown` with the byte `ranges` of `raw` in `hit` style. Drawn text that is not
/// `raw` as it is (escaped, or cut before a range) keeps the ranges that still line up.
fn highlighted(
    spans: &mut Vec<Span<'_>>,
    shown: String,
    raw: &str,
    ranges: &[std::ops::Range<usize>],
    style: Style,
    hit: Style,
) {
    let text = shown.strip_suffix('…').unwrap_or(&shown);
    if !raw.starts_with(text) {
        spans.push(Span::styled(shown, style));
        return;
    }
    let mut at = 0;
    for r in ranges {
        let (start, end) = (r.start.max(at), r.end.min(text.len()));
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if start > at {
            spans.push(Span::styled(text[at..start].to_string(), style));
        }
        spans.push(Span::styled(text[start..end].to_string(), hit));
        at = end;
    }
    spans.push(Span::styled(shown[at..].to_string(), style));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::EntryId;

    fn row(depth: u16, guides: u64) -> Row {
        Row {
            id: EntryId(0),
            depth,
            last: false,
            children: 0,
            guides,
            parent: None,
            later: false,
        }
    }

    #[test]
    fn guides_collapse_when_the_row_needs_the_room() {
        let deep = row(12, !0);
        assert_eq!(guides(&deep, 0), "│ ".repeat(11) + "├─");
        assert_eq!(guides(&deep, 8), "…8││ │ │ ├─");
        assert_eq!(guides(&deep, 20), "…11│├─", "at most the row's own levels");
        assert_eq!(guides(&row(0, 0), 3), "");
        // 11 levels take 22 columns and the connector 2 more: with a tail of 20 columns,
        // 32 leave room for 12 columns of guides: `…8│`, three levels and `├─`.
        assert_eq!(hidden_needed(&deep, 20, 80), Some(0));
        assert_eq!(hidden_needed(&deep, 20, 32), Some(8));
        assert_eq!(hidden_needed(&deep, 40, 32), None);
        assert_eq!(guides_width(&deep, 8), 3 + 6 + 2);
    }
}
