//! The bordered frame of the main panes (tree, details, properties): the title on the left,
//! the position (`7/21`) on the right, both styled by whether the pane has the focus.
//! Popups over the screen use `popup::frame_block`.

use super::theme::Theme;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

/// The frame of a main pane: `title` on the left, `position` (if any) on the right.
pub(crate) fn pane<'a>(
    title: String,
    position: Option<String>,
    focused: bool,
    theme: &Theme,
) -> Block<'a> {
    let (border, title_style) = if focused {
        (theme.border_focused, theme.title_focused)
    } else {
        (theme.border, theme.title)
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, title_style));
    match position {
        Some(p) => block.title_top(Line::styled(format!(" {p} "), theme.title).right_aligned()),
        None => block,
    }
}
