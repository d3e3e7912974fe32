//! The hex view of a data value: every byte, 16 a line with offsets, drawn for the lines on
//! screen only, so a value of any size costs what the window shows.

use super::sanitize::sanitize_clipped;
use super::theme::Theme;
use crate::app::cursor::{Cursor, position};
use crate::app::props::{hex_line, value_at};
use crate::app::state::State;
use crate::registry::{EntryId, Value};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Clear;

/// Draws the view over `screen`; returns its line area (for page sizes).
pub(crate) fn draw(
    frame: &mut Frame,
    screen: Rect,
    state: &State,
    entry: EntryId,
    at: &[usize],
    cursor: Cursor,
    theme: &Theme,
) -> Rect {
    let bytes: &[u8] = match value_at(&state.registry, entry, at) {
        Some(Value::Data(d)) => d,
        _ => &[],
    };
    let lines = bytes.len().div_ceil(16);
    let key = state
        .props
        .iter()
        .find(|r| r.at == at)
        .map_or_else(String::new, |r| sanitize_clipped(&r.key, 40).into_owned());
    // 8 offset digits, 16 bytes in hex with a gap, the ASCII column and the border.
    let width = if bytes.len() > 0xffff_ffff { 88 } else { 80 };
    let area = super::popup::centered(screen, width, screen.height);
    frame.render_widget(Clear, area);
    let more = if cursor.offset + usize::from(area.height.saturating_sub(2)) < lines {
        " ↓ more"
    } else {
        ""
    };
    let title = format!(
        " {key} — {} bytes — line {}{more} — Esc closes ",
        bytes.len(),
        position(cursor.selected, lines)
    );
    let block = super::popup::frame_block(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height);
    let mut view = cursor;
    view.keep_visible(lines, height);
    let buf = frame.buffer_mut();
    for row in 0..height {
        let n = view.offset + row;
        if n >= lines {
            break;
        }
        let chunk = &bytes[n * 16..(n * 16 + 16).min(bytes.len())];
        let style = if n == view.selected {
            theme.selected
        } else {
            theme.kind_data
        };
        let y = inner.y + row as u16;
        if n == view.selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
        }
        buf.set_line(
            inner.x,
            y,
            &Line::styled(hex_line(n * 16, chunk), style),
            inner.width,
        );
    }
    if lines == 0 {
        buf.set_string(inner.x, inner.y, "(no bytes)", theme.dim);
    }
    inner
}
