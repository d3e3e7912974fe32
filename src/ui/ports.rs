//! Drawing the ports view (`P`): a process's IOKit names per kernel object type and class,
//! with the growth since the view opened; when its task port is refused, the one-line reason
//! and what needs no task port (the user clients it opened).

use super::popup::{centered, frame_block, items_in};
use super::sanitize::sanitize_clipped;
use super::theme::Theme;
use crate::app::ports::Ports;
use crate::app::state::State;
use crate::kernel::ports::census::Access;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

const CLASS_W: usize = 40;

fn signed(d: i64) -> String {
    if d == 0 { "0".into() } else { format!("{d:+}") }
}

fn how(access: Access) -> &'static str {
    match access {
        Access::Read => "read task port",
        Access::SelfTask => "our own task",
        Access::Lsmp => "lsmp file",
        Access::Inspect => "inspect port only",
        Access::None => "no task port",
    }
}

/// The ports view; returns its rows' area and the first row shown.
pub(crate) fn table(
    frame: &mut Frame,
    screen: Rect,
    state: &State,
    selected: usize,
    theme: &Theme,
) -> (Rect, usize) {
    let Some(p) = &state.ports else {
        return (Rect::default(), 0);
    };
    if p.refused() {
        return (refused(frame, screen, state, p, theme), 0);
    }
    let rows = p.rows();
    let c = &p.view.now;
    let header = format!(
        " Ports of {}: {} — {} IOKit names — {} — Enter shows the entries held ",
        p.who(),
        how(c.access),
        c.iokit_names(),
        crate::app::cursor::position(selected, rows.len()),
    );
    let mut notes = Vec::new();
    let mut summary = String::from(" growth since the view opened");
    if let Some(total) = c.total_names {
        summary.push_str(&format!(" · {total} names in its space"));
    }
    if let (Some(now), Some(first)) = (c.space, p.view.first.space) {
        summary.push_str(&format!(
            " · port table {} of {} slots in use ({})",
            now.table_inuse,
            now.table_size,
            signed(i64::from(now.table_inuse) - i64::from(first.table_inuse))
        ));
    }
    notes.push(Line::styled(summary, theme.dim));
    if c.classless() {
        notes.push(Line::styled(
            " this kernel is older than macOS 10.15.5: it gives the type of each IOKit name, not its class or entry",
            theme.key,
        ));
    }
    // The class column as wide as the longest class (5 to CLASS_W columns).
    let cw = rows
        .iter()
        .map(|r| sanitize_clipped(&r.row.class, CLASS_W).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, CLASS_W);
    let items: Vec<Line> = rows
        .iter()
        .map(|r| {
            let grew = r.names_growth > 0 || r.urefs_growth > 0;
            let style = if grew || r.row.saturated > 0 {
                theme.stale
            } else {
                theme.text
            };
            Line::styled(
                format!(
                    " {:<13} {:<cw$} {:>6} {:>7} {:>7} {:>7} {:>9} {:>5}",
                    sanitize_clipped(&r.row.type_name, 13),
                    sanitize_clipped(&r.row.class, cw),
                    r.row.names,
                    signed(r.names_growth),
                    r.row.urefs,
                    signed(r.urefs_growth),
                    r.row.saturated,
                    r.row.dead,
                ),
                style,
            )
        })
        .collect();
    let title = format!(
        " {:<13} {:<cw$} {:>6} {:>7} {:>7} {:>7} {:>9} {:>5}",
        "type", "class", "names", "+names", "urefs", "+urefs", "saturated", "dead"
    );
    let widest = notes
        .iter()
        .map(Line::width)
        .chain([header.chars().count(), cw + 64])
        .max()
        .unwrap_or(0);
    let w = screen.width.saturating_sub(4).min((widest + 2) as u16);
    let h = (items.len().max(1) as u16)
        .saturating_add(3 + notes.len() as u16)
        .min(screen.height.saturating_sub(2));
    let area = centered(screen, w, h);
    let inner = super::popup::empty_box(frame, area, header, theme);
    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    for line in notes.iter().chain([&Line::styled(title, theme.label)]) {
        if y >= bottom {
            return (Rect::new(inner.x, y, inner.width, 0), 0);
        }
        frame.buffer_mut().set_line(inner.x, y, line, inner.width);
        y += 1;
    }
    let list = Rect::new(inner.x, y, inner.width, bottom - y);
    if items.is_empty() {
        if list.height > 0 {
            frame
                .buffer_mut()
                .set_string(list.x, list.y, " no IOKit send rights", theme.dim);
        }
        return (list, 0);
    }
    let offset = items_in(frame, list, items, selected, theme);
    (list, offset)
}

/// The refused view: why, what would allow it, and the user clients the process opened.
fn refused(frame: &mut Frame, screen: Rect, state: &State, p: &Ports, theme: &Theme) -> Rect {
    let c = &p.view.now;
    let header = format!(" Ports of {}: {} ", p.who(), how(c.access));
    let mut lines = vec![Line::styled(
        sanitize_clipped(
            c.refusal.as_deref().unwrap_or("the task port was refused"),
            600,
        )
        .into_owned(),
        theme.stale,
    )];
    if let (Some(now), Some(first)) = (c.space, p.view.first.space) {
        lines.push(Line::styled(
            format!(
                "port table (task_inspect_for_pid): {} names in use ({} since the view opened)",
                now.table_inuse,
                signed(i64::from(now.table_inuse) - i64::from(first.table_inuse))
            ),
            theme.value,
        ));
    }
    lines.push(Line::raw(""));
    match &p.fallback {
        Some(clients) => {
            lines.push(Line::styled(
                format!(
                    "{} user clients opened by this process (IOUserClientCreator, needs no task port):",
                    clients.clients
                ),
                theme.label,
            ));
            for (class, n) in &clients.classes {
                lines.push(Line::styled(
                    format!("  {:<CLASS_W$} {n:>6}", sanitize_clipped(class, CLASS_W)),
                    theme.text,
                ));
            }
        }
        None => lines.push(Line::styled(
            format!(
                "no user clients in the {} registry name this process as creator (IOUserClientCreator)",
                sanitize_clipped(state.source.label(), 40)
            ),
            theme.dim,
        )),
    }
    lines.push(Line::styled("Esc closes, P another process", theme.dim));
    let w = screen.width.saturating_sub(4).min(100);
    let text_w = usize::from(w.saturating_sub(2)).max(1);
    let wrapped: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(text_w).max(1))
        .sum();
    let h = (wrapped as u16)
        .saturating_add(2)
        .min(screen.height.saturating_sub(2));
    let area = centered(screen, w, h);
    frame.render_widget(Clear, area);
    let block = frame_block(header, theme);
    let inner = block.inner(area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
    inner
}
