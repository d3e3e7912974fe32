//! Every colour and text attribute the explorer uses, in one place.
//!
//! Only the 16 basic ANSI colours are used, so 16-colour terminals look as intended.
//! With `NO_COLOR` set (any non-empty value, see no-color.org) the theme uses
//! modifiers only: bold, reversed, underlined, dim.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub text: Style,
    pub dim: Style,
    pub class: Style,
    pub guide: Style,
    pub selected: Style,
    pub selected_unfocused: Style,
    pub matched: Style,
    pub stale: Style,
    /// An entry published since the last walk (live changes).
    pub new: Style,
    /// A terminated entry, lingering until the next walk.
    pub gone: Style,
    pub error: Style,
    pub title: Style,
    pub title_focused: Style,
    pub border: Style,
    pub border_focused: Style,
    pub label: Style,
    pub value: Style,
    pub number: Style,
    pub status: Style,
    pub status_source: Style,
    pub key: Style,
    pub note: Style,
    /// Property values by kind (the properties pane and the hex view).
    pub kind_string: Style,
    pub kind_number: Style,
    pub kind_bool: Style,
    pub kind_data: Style,
    pub kind_date: Style,
    pub kind_container: Style,
}

impl Theme {
    /// The style of a property value of `kind`.
    pub(crate) fn kind(&self, kind: crate::app::props::ValueKind) -> Style {
        use crate::app::props::ValueKind as K;
        match kind {
            K::String => self.kind_string,
            K::Number => self.kind_number,
            K::Bool => self.kind_bool,
            K::Data => self.kind_data,
            K::Date => self.kind_date,
            K::Container => self.kind_container,
            K::Raw => self.value,
        }
    }

    /// The theme for this process: colourless when `NO_COLOR` is set and not empty.
    pub(crate) fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if no_color {
            Theme::mono()
        } else {
            Theme::colored()
        }
    }

    pub fn colored() -> Theme {
        let s = Style::default();
        Theme {
            color: true,
            text: s,
            dim: s.fg(Color::DarkGray),
            class: s.fg(Color::DarkGray),
            guide: s.fg(Color::DarkGray),
            selected: s
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            selected_unfocused: s.bg(Color::DarkGray).fg(Color::White),
            matched: s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            stale: s.fg(Color::Red).add_modifier(Modifier::BOLD),
            new: s.fg(Color::Green).add_modifier(Modifier::BOLD),
            gone: s.fg(Color::Magenta).add_modifier(Modifier::CROSSED_OUT),
            error: s.fg(Color::Red),
            title: s.fg(Color::Gray),
            title_focused: s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: s.fg(Color::DarkGray),
            border_focused: s.fg(Color::Cyan),
            label: s.fg(Color::Cyan),
            value: s,
            number: s.fg(Color::Green),
            status: s.bg(Color::DarkGray).fg(Color::White),
            status_source: s
                .bg(Color::Cyan)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            key: s.fg(Color::Yellow),
            note: s.fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
            kind_string: s.fg(Color::Green),
            kind_number: s.fg(Color::Magenta),
            kind_bool: s.fg(Color::Yellow),
            kind_data: s.fg(Color::Blue),
            kind_date: s.fg(Color::LightCyan),
            kind_container: s.fg(Color::DarkGray),
        }
    }

    pub fn mono() -> Theme {
        let s = Style::default();
        let bold = s.add_modifier(Modifier::BOLD);
        Theme {
            color: false,
            text: s,
            dim: s.add_modifier(Modifier::DIM),
            class: s.add_modifier(Modifier::DIM),
            guide: s,
            selected: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            selected_unfocused: s.add_modifier(Modifier::REVERSED),
            matched: s.add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
            stale: s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            new: s.add_modifier(Modifier::BOLD | Modifier::ITALIC),
            gone: s.add_modifier(Modifier::CROSSED_OUT | Modifier::DIM),
            error: bold,
            title: s,
            title_focused: bold.add_modifier(Modifier::UNDERLINED),
            border: s,
            border_focused: bold,
            label: bold,
            value: s,
            number: s,
            status: s.add_modifier(Modifier::REVERSED),
            status_source: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            key: bold,
            note: s.add_modifier(Modifier::ITALIC),
            // Without colour the text tells the kinds apart: quotes, 0x…, Yes/No, <…>, UTC, {…}.
            kind_string: s,
            kind_number: s,
            kind_bool: s,
            kind_data: s,
            kind_date: s,
            kind_container: s.add_modifier(Modifier::DIM),
        }
    }
}

/// A row drawn on the selection bar. Dark grey text (classes, guides, child counts, dimmed
/// values) takes the bar's foreground: on the grey bar of an unfocused pane it would be
/// grey on grey, invisible, and it is hard to read on the blue one. Other colours
/// (matches, stale and new entries, labels) keep theirs.
pub(crate) fn on_selection(line: Line<'_>, bar: Style) -> Line<'_> {
    let mut line = line.patch_style(bar);
    for span in &mut line.spans {
        if span.style.fg == Some(Color::DarkGray) {
            span.style.fg = bar.fg;
        }
    }
    line
}
