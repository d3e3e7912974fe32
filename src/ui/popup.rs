//! Windows over the main screen: help, plane picker, handle table, a decoded code, loading.

use super::sanitize::{sanitize, sanitize_clipped};
use super::theme::Theme;
use crate::app::cursor::Cursor;
use crate::app::handles;
use crate::app::state::{HandleSort, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// A centred rectangle of at most `w`×`h` inside `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub(super) fn frame_block<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focused)
        .title(Span::styled(title, theme.title_focused))
}

/// Clears `area` and draws an empty popup frame titled `title` on it; returns the inner area.
pub(super) fn empty_box(frame: &mut Frame, area: Rect, title: String, theme: &Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = frame_block(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// Draws `lines` in a box; returns the inner area.
fn boxed(
    frame: &mut Frame,
    area: Rect,
    title: String,
    lines: Vec<Line<'_>>,
    scroll: u16,
    theme: &Theme,
) -> Rect {
    frame.render_widget(Clear, area);
    let block = frame_block(title, theme);
    let inner = block.inner(area);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
    inner
}

/// Draws the help; returns its inner area and the furthest it scrolls.
pub(crate) fn help(frame: &mut Frame, screen: Rect, scroll: u16, theme: &Theme) -> (Rect, u16) {
    let lines = super::help::lines(theme);
    let h = lines.len() as u16 + 2;
    let area = centered(screen, 76, h);
    let max = h.saturating_sub(area.height);
    let shown = area.height.saturating_sub(2);
    let scroll = scroll.min(max);
    // Where the window is, and whether there is more below: the help scrolls.
    let more = if scroll < max { " ↓ more" } else { "" };
    let title = if max > 0 {
        format!(
            " Keys — lines {}–{} of {}{more} — ? or Esc closes ",
            scroll + 1,
            scroll + shown,
            h - 2
        )
    } else {
        " Keys — ? or Esc closes ".into()
    };
    let inner = boxed(frame, area, title, lines, scroll, theme);
    (inner, max)
}

/// Draws the load report (`i`); returns its inner area and the furthest it scrolls.
pub(crate) fn load_report(
    frame: &mut Frame,
    screen: Rect,
    state: &State,
    scroll: u16,
    theme: &Theme,
) -> (Rect, u16) {
    let width = screen.width.saturating_sub(4).min(110);
    let lines: Vec<Line> = crate::app::report::lines(&state.registry)
        .into_iter()
        .map(|l| {
            let style = if l.warn { theme.error } else { theme.value };
            Line::from(vec![
                Span::styled(format!("{:<11}", l.label), theme.label),
                Span::styled(sanitize(&l.text).into_owned(), style),
            ])
        })
        .flat_map(|l| super::wrap::wrap_line(l, usize::from(width.saturating_sub(2))))
        .collect();
    let h = (lines.len() as u16).saturating_add(2);
    let area = centered(screen, width, h);
    let max = h.saturating_sub(area.height);
    let inner = boxed(
        frame,
        area,
        " Load report — i or Esc closes ".into(),
        lines,
        scroll.min(max),
        theme,
    );
    (inner, max)
}

/// A list with a selection in a box; returns the inner area and the first item shown.
fn list(
    frame: &mut Frame,
    area: Rect,
    title: String,
    items: Vec<Line<'_>>,
    selected: usize,
    theme: &Theme,
) -> (Rect, usize) {
    let inner = empty_box(frame, area, title, theme);
    let offset = items_in(frame, inner, items, selected, theme);
    (inner, offset)
}

/// Draws the window of `items` that keeps `selected` visible; returns the first shown.
pub(super) fn items_in(
    frame: &mut Frame,
    inner: Rect,
    items: Vec<Line<'_>>,
    selected: usize,
    theme: &Theme,
) -> usize {
    let mut cursor = Cursor {
        selected,
        offset: 0,
    };
    cursor.keep_visible(items.len(), usize::from(inner.height));
    let offset = cursor.offset;
    let buf = frame.buffer_mut();
    for (i, item) in items
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(usize::from(inner.height))
    {
        let y = inner.y + (i - offset) as u16;
        let item = if i == selected {
            super::theme::on_selection(item, theme.selected)
        } else {
            item
        };
        if i == selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), theme.selected);
        }
        buf.set_line(inner.x, y, &item, inner.width);
    }
    offset
}

pub(crate) fn planes(
    frame: &mut Frame,
    screen: Rect,
    state: &State,
    selected: usize,
    theme: &Theme,
) -> (Rect, usize) {
    let items: Vec<Line> = state
        .registry
        .planes()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mark = if i == state.plane { "● " } else { "  " };
            Line::from(vec![
                Span::raw(mark),
                Span::raw(format!("{:<20}", sanitize(p.name()))),
                Span::styled(format!("{:>9} entries", p.len()), theme.dim),
            ])
        })
        .collect();
    let area = centered(screen, 44, items.len() as u16 + 2);
    list(
        frame,
        area,
        " Plane — Enter picks ".into(),
        items,
        selected,
        theme,
    )
}

pub(crate) fn handle_table(
    frame: &mut Frame,
    screen: Rect,
    state: &State,
    selected: usize,
    sort: HandleSort,
    theme: &Theme,
) -> (Rect, usize) {
    let rows = handles::rows(state, sort);
    let stale = rows.iter().filter(|r| r.1.state.is_stale()).count();
    let header = format!(
        " Handles: {} held, {stale} stale — {} — sorted by {} (s), Enter jumps ",
        rows.len(),
        crate::app::cursor::position(selected, rows.len()),
        sort.label()
    );
    let mut items = Vec::with_capacity(rows.len() + 1);
    for (id, p) in &rows {
        let style = if p.state.is_stale() {
            theme.stale
        } else {
            theme.text
        };
        let refs = p.send_refs.map_or_else(|_| "—".into(), |n| n.to_string());
        let err = p
            .last_error
            .as_ref()
            .map(|(_, c)| c.explain().to_string())
            .unwrap_or_default();
        let name =
            sanitize_clipped(&state.registry.entry(*id).name.to_string_lossy(), 24).into_owned();
        let class = sanitize_clipped(state.registry.class_name(*id).unwrap_or(""), 22);
        let mark = if p.state.is_stale() { "✗" } else { " " };
        items.push(Line::styled(
            format!(
                "{mark}{:>8} {:<24.24} {:<22.22} {:>5} {:>6}  {:<16} {err}",
                format!("{:#x}", p.port),
                name,
                class,
                refs,
                p.kernel_retain
                    .map_or_else(|| "—".into(), |n| n.to_string()),
                p.state.label()
            ),
            style,
        ));
    }
    let columns = format!(
        " {:>8} {:<24} {:<22} {:>5} {:>6}  {:<16} last error",
        "port", "entry", "class", "urefs", "kernel", "state"
    );
    let rows = Rows {
        items,
        selected,
        empty: " no handles held",
    };
    table(frame, screen, header, columns, rows, theme)
}

/// The rows of a [`table`]: the items, the selected one and what to say when there are none.
pub(super) struct Rows<'a> {
    pub items: Vec<Line<'a>>,
    pub selected: usize,
    pub empty: &'static str,
}

/// A table popup: `header` in the frame, `columns` as its first line, then the rows with a
/// selection. Returns the rows' area and the first row shown.
pub(super) fn table(
    frame: &mut Frame,
    screen: Rect,
    header: String,
    columns: String,
    rows: Rows<'_>,
    theme: &Theme,
) -> (Rect, usize) {
    let w = screen.width.saturating_sub(4).min(140);
    let h = (rows.items.len() as u16)
        .saturating_add(3)
        .min(screen.height.saturating_sub(2));
    let area = centered(screen, w, h);
    let inner = empty_box(frame, area, header, theme);
    if inner.height == 0 {
        return (inner, 0);
    }
    frame.buffer_mut().set_line(
        inner.x,
        inner.y,
        &Line::styled(columns, theme.label),
        inner.width,
    );
    let rows_area = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    if rows.items.is_empty() && rows_area.height > 0 {
        frame
            .buffer_mut()
            .set_string(rows_area.x, rows_area.y, rows.empty, theme.dim);
        return (rows_area, 0);
    }
    let offset = items_in(frame, rows_area, rows.items, rows.selected, theme);
    (rows_area, offset)
}

pub(crate) fn explained(frame: &mut Frame, screen: Rect, lines: &[String], theme: &Theme) {
    let body: Vec<Line> = lines
        .iter()
        .map(|l| Line::raw(sanitize(l).into_owned()))
        .collect();
    let area = centered(screen, 90, body.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let block = frame_block(" Code — Esc closes ".into(), theme);
    frame.render_widget(
        Paragraph::new(body).block(block).wrap(Wrap { trim: false }),
        area,
    );
}

pub(crate) fn loading(frame: &mut Frame, screen: Rect, state: &State, theme: &Theme) {
    let Some(l) = &state.loading else { return };
    let text = vec![
        Line::raw(sanitize(&l.what).into_owned()),
        Line::styled(l.progress_line(), theme.dim),
    ];
    let area = centered(screen, 60, 4);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(text).block(frame_block(" Loading ".into(), theme)),
        area,
    );
}
