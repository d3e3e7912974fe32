//! Drawing the explorer from its state (ratatui), and running it in a terminal.

pub(crate) mod clipboard;
pub(crate) mod details;
pub(crate) mod error;
pub(crate) mod frame;
pub(crate) mod help;
pub(crate) mod hexview;
pub(crate) mod leak;
pub(crate) mod popup;
pub(crate) mod ports;
pub(crate) mod properties;
pub(crate) mod sanitize;
pub(crate) mod status;
pub mod svg;
pub(crate) mod terminal;
pub mod theme;
pub(crate) mod tree;
pub(crate) mod wrap;

use crate::app::state::{Area, Focus, Geometry, Mode, State};
use crate::app::{App, AppOptions};
pub(crate) use error::Error;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use std::io::IsTerminal;
use std::process::ExitCode;
use theme::Theme;

/// Below this size the screen says "terminal too small" instead of drawing panes.
pub(crate) const MIN_WIDTH: u16 = 40;
pub(crate) const MIN_HEIGHT: u16 = 10;

/// Opens the explorer with the options the command line built. What is left to the terminal
/// is filled in here, once the screen can be had: the session when none is given and no file
/// is (the live kernel on macOS, the demo elsewhere; the leaky demo with `demo_leak`), and the
/// waker that wakes the terminal loop when a background load is done.
pub fn run_explorer(mut options: AppOptions) -> Result<ExitCode, Error> {
    if let Some(path) = &options.file {
        // Fail before taking over the screen when the file cannot even be opened.
        std::fs::File::open(path).map_err(|error| Error::Open {
            path: path.clone(),
            error,
        })?;
    }
    if !std::io::stdout().is_terminal() {
        return Err(Error::NotATerminal);
    }
    if options.file.is_none() && options.session.is_none() {
        options.session = Some(if options.demo_leak {
            Box::new(crate::kernel::sim::demo_leak_session())
        } else {
            crate::kernel::default_session()
        });
    }
    let wakeups = terminal::Wakeups::new();
    options.waker = Some(wakeups.waker());
    terminal::run(App::start(options), Theme::from_env(), wakeups)
}

/// `ioscope --diff A B`: both read before the screen is taken, B shown compared with A.
pub fn run_diff(a: &std::path::Path, b: &std::path::Path) -> Result<ExitCode, Error> {
    if !std::io::stdout().is_terminal() {
        return Err(Error::NotATerminal);
    }
    let before = crate::formats::load_file(a)?;
    let after = crate::formats::load_file(b)?;
    let name = |p: &std::path::Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let wakeups = terminal::Wakeups::new();
    let app = App::with_baseline(
        crate::app::SourceKind::File(name(b)),
        before,
        name(a),
        after,
    );
    terminal::run(app, Theme::from_env(), wakeups)
}

/// Draws one frame from the state; returns where things were drawn.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) -> Geometry {
    let area = frame.area();
    let mut geometry = Geometry::default();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return geometry;
    }
    let [main, bar, message] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if state.zoom {
        // `Z`: the focused pane alone; the others are not drawn (and take no clicks).
        match state.focus {
            Focus::Tree => {
                let (tree, markers) = tree::draw(frame, main, state, theme);
                geometry.tree = rect(tree);
                geometry.tree_markers = markers;
            }
            Focus::Details => {
                geometry.details_lines =
                    details::height(state, theme, main.width.saturating_sub(2));
                geometry.details = rect(details::draw(frame, main, state, theme));
            }
            Focus::Properties => {
                let (props, lines) = properties::draw(frame, main, state, theme);
                geometry.props = rect(props);
                geometry.prop_lines = lines;
            }
        }
    } else {
        let tree_share = if area.width >= 120 { 50 } else { 55 };
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(tree_share), Constraint::Fill(1)])
                .areas(main);
        let text_lines = details::height(state, theme, right.width.saturating_sub(2));
        geometry.details_lines = text_lines;
        let detail_height = text_lines
            .saturating_add(2)
            .min(right.height * 7 / 10)
            .max(3);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(detail_height), Constraint::Fill(1)]).areas(right);
        let (tree, markers) = tree::draw(frame, left, state, theme);
        geometry.tree = rect(tree);
        geometry.tree_markers = markers;
        geometry.details = rect(details::draw(frame, top, state, theme));
        let (props, lines) = properties::draw(frame, bottom, state, theme);
        geometry.props = rect(props);
        geometry.prop_lines = lines;
    }
    status::draw_bar(frame, bar, state, theme);
    status::draw_message(frame, message, state, theme);
    // The list popups: their rows' area and the first row shown, for clicks and paging.
    let list = match &state.mode {
        Mode::Planes { selected } => Some(popup::planes(frame, main, state, *selected, theme)),
        Mode::Handles { selected, sort } => Some(popup::handle_table(
            frame, main, state, *selected, *sort, theme,
        )),
        Mode::Classes { selected, sort } => Some(leak::classes_table(
            frame, main, state, *selected, *sort, theme,
        )),
        Mode::Clients { selected } => {
            Some(leak::clients_table(frame, main, state, *selected, theme))
        }
        Mode::Ports { selected } => Some(ports::table(frame, main, state, *selected, theme)),
        _ => None,
    };
    if let Some((r, offset)) = list {
        geometry.list = rect(r);
        geometry.list_offset = offset;
    }
    match &state.mode {
        Mode::Help { scroll } => {
            let (r, max) = popup::help(frame, main, *scroll, theme);
            geometry.list = rect(r);
            geometry.help_scroll_max = max;
        }
        Mode::Report { scroll } => {
            let (r, max) = popup::load_report(frame, main, state, *scroll, theme);
            geometry.list = rect(r);
            geometry.help_scroll_max = max;
        }
        Mode::Timeline => leak::timeline(frame, main, state, theme),
        Mode::Explained { lines } => popup::explained(frame, main, lines, theme),
        Mode::Hex { entry, at, cursor } => {
            let r = hexview::draw(frame, main, state, *entry, at, *cursor, theme);
            geometry.list = rect(r);
        }
        Mode::Planes { .. }
        | Mode::Handles { .. }
        | Mode::Classes { .. }
        | Mode::Clients { .. }
        | Mode::Ports { .. }
        | Mode::Normal
        | Mode::Prompt { .. } => {}
    }
    if state.loading.is_some() && state.registry.is_empty() {
        popup::loading(frame, main, state, theme);
    }
    geometry
}

fn rect(r: Rect) -> Area {
    Area {
        x: r.x,
        y: r.y,
        width: r.width,
        height: r.height,
    }
}

fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = format!("terminal too small (need {MIN_WIDTH}×{MIN_HEIGHT})");
    let lines: Vec<Line> = if area.width as usize >= text.chars().count() {
        vec![Line::styled(text, theme.error)]
    } else {
        // Wrap word by word so that the message fits narrow terminals.
        text.split(' ')
            .map(|w| Line::styled(w.to_string(), theme.error))
            .collect()
    };
    let y0 = area.height.saturating_sub(lines.len() as u16) / 2;
    for (i, line) in lines.iter().enumerate() {
        let y = area.y + y0 + i as u16;
        if y >= area.y + area.height {
            break;
        }
        frame.buffer_mut().set_line(area.x, y, line, area.width);
    }
}
