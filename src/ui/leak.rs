//! Drawing leak hunting: the marks of the comparison with the baseline in the tree, the
//! property diff in the details pane, the classes and clients tables, the timeline bar.

use super::popup::{Rows, frame_block, table};
use super::sanitize::sanitize_clipped;
use super::theme::Theme;
use crate::app::leak::{ClassSort, Mark, sorted_classes};
use crate::app::state::State;
use crate::census::diff::PathStep;
use crate::registry::EntryId;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Clear;

/// The mark before a tree row's name and the row's style, for an entry that differs from
/// the baseline: `+` added, `−` removed (a ghost), `~` changed.
pub(crate) fn tree_mark(
    state: &State,
    id: EntryId,
    theme: &Theme,
) -> Option<(Span<'static>, ratatui::style::Style)> {
    match state.leak.mark(id)? {
        Mark::Added => Some((Span::styled("+ ", theme.new), theme.new)),
        Mark::Ghost => Some((Span::styled("− ", theme.gone), theme.gone)),
        Mark::Changed(_) => Some((Span::styled("~ ", theme.key), theme.key)),
    }
}

const VALUE_CAP: usize = 60;

fn step_text(path: &[PathStep]) -> String {
    path.iter()
        .map(|p| match p {
            PathStep::Key(k) => k.clone(),
            PathStep::Index(i) => format!("[{i}]"),
        })
        .collect::<Vec<_>>()
        .join(" › ")
}

fn value_text(v: &Option<String>) -> String {
    match v {
        Some(v) => sanitize_clipped(v, VALUE_CAP).into_owned(),
        None => "(absent)".into(),
    }
}

/// The details pane's lines on how the entry differs from the baseline.
pub(crate) fn detail_lines(state: &State, id: EntryId, theme: &Theme) -> Vec<Line<'static>> {
    let label = |t: &str| Span::styled(format!("{t:<9} "), theme.label);
    let Some(mark) = state.leak.mark(id) else {
        return Vec::new();
    };
    let base = state
        .leak
        .baseline
        .as_ref()
        .filter(|b| b.label != "baseline")
        .map_or(String::new(), |b| {
            format!(" ({})", sanitize_clipped(&b.label, 40))
        });
    match mark {
        Mark::Added => vec![Line::from(vec![
            label("Diff"),
            Span::styled(format!("+ added since the baseline{base}"), theme.new),
        ])],
        Mark::Ghost => vec![Line::from(vec![
            label("Diff"),
            Span::styled(
                format!("− removed since the baseline{base}: a ghost, not in the registry now"),
                theme.gone.remove_modifier(Modifier::CROSSED_OUT),
            ),
        ])],
        Mark::Changed(_) => {
            let Some(c) = state.leak.changed(id) else {
                return Vec::new();
            };
            let mut out = vec![Line::from(vec![
                label("Diff"),
                Span::styled(format!("~ changed since the baseline{base}"), theme.key),
            ])];
            if let Some((a, b)) = c.retain {
                let t = |v: Option<u32>| v.map_or("—".into(), |n| n.to_string());
                let delta = match (a, b) {
                    (Some(a), Some(b)) => format!(" ({:+})", i64::from(b) - i64::from(a)),
                    _ => String::new(),
                };
                out.push(Line::from(vec![
                    label("  retain"),
                    Span::styled(format!("{} → {}{delta}", t(a), t(b)), theme.value),
                ]));
            }
            if let Some((a, b)) = &c.state {
                out.push(Line::from(vec![
                    label("  state"),
                    Span::styled(format!("{a} → {b}"), theme.value),
                ]));
            }
            for p in &c.properties {
                let key = sanitize_clipped(&step_text(&p.path), 48).into_owned();
                let (sign, style) = match (&p.before, &p.after) {
                    (None, _) => ("+", theme.new),
                    (_, None) => ("−", theme.gone.remove_modifier(Modifier::CROSSED_OUT)),
                    _ => ("~", theme.key),
                };
                out.push(Line::from(vec![
                    Span::styled(format!("  {sign} "), style),
                    Span::styled(key, theme.label),
                    Span::raw(": "),
                    Span::styled(value_text(&p.before), theme.dim),
                    Span::raw(" → "),
                    Span::styled(value_text(&p.after), theme.value),
                ]));
            }
            out
        }
    }
}

fn signed(v: Option<i64>) -> String {
    match v {
        Some(0) => "0".into(),
        Some(d) => format!("{d:+}"),
        None => String::new(),
    }
}

/// The classes table (`c`); returns its rows' area and the first row shown.
pub(crate) fn classes_table(
    frame: &mut Frame,
    screen: Rect,
    state: &State,
    selected: usize,
    sort: ClassSort,
    theme: &Theme,
) -> (Rect, usize) {
    let rows = sorted_classes(state, sort);
    let with_base = state.leak.baseline.is_some();
    let kernel = rows.iter().any(|c| c.kernel.is_some());
    let header = format!(
        " Classes: {} — {} — sorted by {} (s), Enter shows the instances ",
        rows.len(),
        crate::app::cursor::position(selected, rows.len()),
        sort.label()
    );
    let items: Vec<Line> = rows
        .iter()
        .map(|c| {
            let style = match c.delta {
                Some(d) if d > 0 => theme.stale,
                Some(d) if d < 0 => theme.new,
                _ => theme.text,
            };
            let mut t = format!(
                " {:<40.40} {:>9} {:>9}",
                sanitize_clipped(&c.class, 40),
                c.instances,
                c.kernel.map_or("—".into(), |k| k.to_string()),
            );
            if with_base {
                t.push_str(&format!(
                    " {:>9} {:>8}",
                    c.baseline.map_or(String::new(), |b| b.to_string()),
                    signed(c.delta)
                ));
            }
            t.push_str(&format!(
                "  {}",
                sanitize_clipped(c.superclass.as_deref().unwrap_or(""), 30)
            ));
            Line::styled(t, style)
        })
        .collect();
    let mut title = format!(
        " {:<40} {:>9} {:>9}",
        "class",
        "instances",
        if kernel { "kernel" } else { "kernel —" }
    );
    if with_base {
        title.push_str(&format!(" {:>9} {:>8}", "baseline", "delta"));
    }
    title.push_str("  superclass");
    let rows = Rows {
        items,
        selected,
        empty: " none in this registry",
    };
    table(frame, screen, header, title, rows, theme)
}

/// The user clients per process (`u`); returns its rows' area and the first row shown.
pub(crate) fn clients_table(
    frame: &mut Frame,
    screen: Rect,
    state: &State,
    selected: usize,
    theme: &Theme,
) -> (Rect, usize) {
    let rows = &state.leak.client_rows;
    let with_base = state.leak.baseline.is_some();
    let header = format!(
        " User clients by process: {} — {} — Enter shows its clients ",
        rows.len(),
        crate::app::cursor::position(selected, rows.len()),
    );
    let items: Vec<Line> = rows
        .iter()
        .map(|p| {
            let style = match p.growth {
                Some(g) if g > 0 => theme.stale,
                _ => theme.text,
            };
            let mut t = format!(
                " {:>6} {:<24.24} {:>7}",
                p.pid,
                sanitize_clipped(&p.process, 24),
                p.clients
            );
            if with_base {
                t.push_str(&format!(" {:>7}", signed(p.growth)));
            }
            let classes: Vec<String> = p
                .classes
                .iter()
                .map(|(c, n)| format!("{} {n}", sanitize_clipped(c, 40)))
                .collect();
            let services: Vec<String> = p
                .services
                .iter()
                .map(|(c, n)| format!("{} {n}", sanitize_clipped(c, 40)))
                .collect();
            t.push_str(&format!(
                "  {} · on {}",
                classes.join(", "),
                services.join(", ")
            ));
            Line::styled(t, style)
        })
        .collect();
    let mut title = format!(" {:>6} {:<24} {:>7}", "pid", "process", "clients");
    if with_base {
        title.push_str(&format!(" {:>7}", "growth"));
    }
    title.push_str("  classes · opened on");
    let rows = Rows {
        items,
        selected,
        empty: " none in this registry",
    };
    table(frame, screen, header, title, rows, theme)
}

/// The timeline bar (`t`) at the bottom of the main area.
pub(crate) fn timeline(frame: &mut Frame, screen: Rect, state: &State, theme: &Theme) {
    let Some(t) = &state.timeline else { return };
    let h = 4.min(screen.height);
    let area = Rect::new(screen.x, screen.y + screen.height - h, screen.width, h);
    frame.render_widget(Clear, area);
    let n = t.moments.len();
    let header = format!(
        " Timeline: {:.1} s of {:.1} s — moment {} — {} {}× ",
        t.t_ms() as f64 / 1000.0,
        t.duration_ms() as f64 / 1000.0,
        crate::app::cursor::position(t.index, n),
        if t.playing {
            "▶ playing"
        } else {
            "⏸ paused"
        },
        t.speed()
    );
    let block = frame_block(header, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 4 {
        return;
    }
    let width = usize::from(inner.width);
    let cells: String = (0..width)
        .map(|x| {
            let at = if width > 1 {
                (t.duration_ms() as u128 * x as u128 / (width as u128 - 1)) as u64
            } else {
                0
            };
            if at <= t.t_ms() { '━' } else { '─' }
        })
        .collect();
    let buf = frame.buffer_mut();
    buf.set_string(inner.x, inner.y, cells, theme.label);
    if inner.height > 1 {
        let m = t.moments.get(t.index);
        let what = m.map_or(String::new(), |m| {
            format!(
                "+{} published −{} terminated ~{} changed",
                m.published, m.terminated, m.changed
            )
        });
        let line = Line::from(vec![
            Span::styled(format!(" {what} "), theme.value),
            Span::styled(
                "│ ←/→ step  PgUp/PgDn ±10  Home/End  Space play  +/- speed  b baseline  Esc close",
                theme.dim,
            ),
        ]);
        buf.set_line(inner.x, inner.y + 1, &line, inner.width);
    }
}
