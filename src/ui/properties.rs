//! The properties pane: a collapsible tree of values, coloured by kind, each data value in
//! its best typed view (`le32 1/3` says which; `v` cycles); long strings wrap,
//! long keys end in `…` and keep ` = `. The title counts the entry's properties and says
//! where the selection is; the property a search matched is highlighted.

use super::sanitize::{sanitize, sanitize_clipped};
use super::theme::Theme;
use crate::app::state::{Focus, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// Draws the pane; returns the inner area and, per drawn line, the property row it shows.
pub(crate) fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
) -> (Rect, Vec<usize>) {
    let focused = state.focus == Focus::Properties && state.mode == crate::app::Mode::Normal;
    let count = state
        .props_for
        .map_or(0, |id| state.registry.entry(id).properties.len());
    let mut title = format!(" Properties ({count})");
    if state.prop_view.by_key {
        title.push_str(" by key");
    }
    if !state.prop_view.filter.is_empty() {
        // `/usb: 4`: the filter and how many properties pass it.
        let shown = state.props.iter().filter(|r| r.depth == 0).count();
        title.push_str(&format!(
            " /{}: {shown}",
            sanitize_clipped(&state.prop_view.filter, 16)
        ));
    }
    title.push(' ');
    let position = state.prop.position(state.props.len());
    let block = super::frame::pane(title, Some(position), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut map = Vec::new();
    let matched = matched_property(state);
    if inner.height == 0 || inner.width == 0 {
        return (inner, map);
    }
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    let offset = state.prop.first_shown(state.props.len(), height, |i| {
        item_lines(state, i, width, matched, theme).len()
    });
    let buf = frame.buffer_mut();
    let mut y = 0usize;
    for i in offset..state.props.len() {
        for mut line in item_lines(state, i, width, matched, theme) {
            if y >= height {
                return (inner, map);
            }
            if i == state.prop.selected {
                let style = if focused {
                    theme.selected
                } else {
                    theme.selected_unfocused
                };
                line = super::theme::on_selection(line, style);
            }
            buf.set_line(inner.x, inner.y + y as u16, &line, inner.width);
            map.push(i);
            y += 1;
        }
    }
    if state.props.is_empty() {
        let unavailable = state
            .props_for
            .and_then(|id| state.registry.entry(id).properties.unavailable());
        let note = match unavailable {
            // Properties left in a file that has changed since: never other values.
            Some(why) => format!("({count} properties unavailable: {})", sanitize(&why.0)),
            None if state.prop_view.filter.is_empty() => "(no properties)".to_owned(),
            None => "(no property matches the filter: Esc clears it)".to_owned(),
        };
        let style = if unavailable.is_some() {
            theme.error
        } else {
            theme.dim
        };
        buf.set_stringn(inner.x, inner.y, note, width, style);
    }
    (inner, map)
}

/// The property (file order) of the selected entry that the search matched.
fn matched_property(state: &State) -> Option<usize> {
    let id = state.selected_entry()?;
    if !state.search.is_match(id) {
        return None;
    }
    state.search.hit(state.index.as_ref()?, id).property
}

/// The screen lines of property row `i` at this width: key and value, wrapped, then extra lines.
fn item_lines<'a>(
    state: &'a State,
    i: usize,
    width: usize,
    matched: Option<usize>,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let row = &state.props[i];
    let indent = "  ".repeat(usize::from(row.depth).min(40));
    let marker = match (row.members, row.expanded) {
        (Some(n), false) if n > 0 => "▸ ",
        (Some(n), true) if n > 0 => "▾ ",
        _ => "  ",
    };
    let hit = matched == Some(row.top());
    // A key never pushes ` = ` off the line: it ends in `…` first.
    let key_room = width
        .saturating_sub(indent.len() + marker.width() + 3 + 1)
        .max(1);
    let key = sanitize_clipped(&row.key, key_room).into_owned();
    let head = format!("{indent}{marker}{key} = ");
    // At most the lines a wrapped value may take (64) of the widest pane.
    let value = sanitize_clipped(&row.summary, 64 * width.max(8)).into_owned();
    let mut lines = Vec::new();
    let rest = width.saturating_sub(indent.len() + 4).max(8);
    // In a narrow pane a long key leaves little room: rather than clip the value at the
    // edge, start it on the next line.
    let room = width.saturating_sub(head.width());
    let value_below = room < 8 && room < value.width();
    let first_room = if value_below { rest } else { room.max(1) };
    let pieces = wrap(&value, first_room, rest);
    let mark = row
        .mark
        .map(|m| Span::styled(format!("  ({m})"), theme.error));
    let value_style = if hit {
        theme.matched
    } else {
        theme.kind(row.kind)
    };
    let head_spans = vec![
        Span::styled(format!("{indent}{marker}"), theme.guide),
        Span::styled(key, if hit { theme.matched } else { theme.label }),
        Span::styled(" = ", theme.dim),
    ];
    if value_below {
        lines.push(Line::from(head_spans.clone()));
    }
    for (n, piece) in pieces.into_iter().enumerate() {
        let mut spans = if n == 0 && !value_below {
            head_spans.clone()
        } else {
            vec![Span::raw(format!("{indent}    "))]
        };
        spans.push(Span::styled(piece, value_style));
        lines.push(Line::from(spans));
    }
    if let (Some(mark), Some(last)) = (mark, lines.last_mut()) {
        last.spans.push(mark);
    }
    // Which view of a value with several (`le32 1/3`, `v` cycles), and a reference's arrow.
    let tag = match row.views.get(row.view) {
        Some(view) if row.views.len() > 1 && (row.view > 0 || view.name != "strings") => Some(
            format!("  {} {}/{}", view.name, row.view + 1, row.views.len()),
        ),
        _ => row.link.as_ref().map(|_| "  → Enter".to_owned()),
    };
    if let (Some(tag), Some(last)) = (tag, lines.last_mut()) {
        last.spans.push(Span::styled(tag, theme.dim));
    }
    for extra in &row.extra {
        lines.push(Line::from(vec![
            Span::raw(format!("{indent}    ")),
            Span::styled(sanitize(extra).into_owned(), theme.kind_data),
        ]));
    }
    lines
}

/// Splits `text` into pieces of at most `first` columns, then `rest` columns.
fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut room = first;
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            used = 0;
            room = rest;
            if out.len() >= 64 {
                out.push("…".into());
                return out;
            }
        }
        cur.push(c);
        used += w;
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_splits_long_values() {
        assert_eq!(super::wrap("abcdefgh", 3, 4), ["abc", "defg", "h"]);
        assert_eq!(super::wrap("", 3, 4), [""]);
    }
}
