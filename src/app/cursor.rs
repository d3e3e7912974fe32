//! The one cursor type of the scrolling panes: the selected line and the first line shown,
//! moved by the same keys everywhere, and the position every pane shows (`7/21`).

use super::action::Action;

/// A selection in a list of lines and the first line on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

/// The index after a movement key in a list of `len` items showing `page` at a time.
pub(crate) fn step(cur: usize, len: usize, page: usize, action: Action) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Up => cur.saturating_sub(1),
        Action::Down => (cur + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => cur.saturating_sub(page),
        Action::PageDown => (cur + page).min(last),
        _ => cur,
    }
}

/// A pane of text with no selection (details, help, load report) moves its first line shown
/// by the same keys, within `0..=max` (past `max` the pane would only go blank).
pub(crate) fn scroll_text(top: u16, max: u16, page: usize, action: Action) -> u16 {
    let positions = usize::from(max) + 1;
    step(usize::from(top), positions, page, action).min(usize::from(max)) as u16
}

/// `7/21`: the 1-based place of `selected` among `len` lines (`0/0` for none).
pub(crate) fn position(selected: usize, len: usize) -> String {
    if len == 0 {
        "0/0".into()
    } else {
        format!("{}/{len}", selected.min(len - 1) + 1)
    }
}

impl Cursor {
    /// Applies a movement key; returns whether it was one.
    pub(crate) fn apply(&mut self, action: Action, len: usize, page: usize) -> bool {
        let moves = matches!(
            action,
            Action::Up
                | Action::Down
                | Action::Top
                | Action::Bottom
                | Action::PageUp
                | Action::PageDown
        );
        if moves {
            self.selected = step(self.selected, len, page, action);
            self.keep_visible(len, page);
        }
        moves
    }

    /// Scrolls by `lines` without moving the selection off screen (the mouse wheel).
    pub(crate) fn scroll(&mut self, down: bool, lines: usize, len: usize, page: usize) {
        let page = page.max(1);
        self.offset = if down {
            (self.offset + lines).min(len.saturating_sub(page))
        } else {
            self.offset.saturating_sub(lines)
        };
        self.selected = self
            .selected
            .clamp(self.offset, self.offset + page - 1)
            .min(len.saturating_sub(1));
    }

    /// Keeps the selection inside the lines and on a screen of `page` lines, with no
    /// lines hidden above while there is room below.
    pub(crate) fn keep_visible(&mut self, len: usize, page: usize) {
        let page = page.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(len.saturating_sub(page));
    }

    /// Selects `index`; when it is off screen, scrolls so that it shows a third of the way
    /// down a screen of `page` lines (a jump keeps some context above its target).
    pub(crate) fn reveal(&mut self, index: usize, page: usize) {
        self.selected = index;
        if index < self.offset || index >= self.offset + page {
            self.offset = index.saturating_sub(page / 3);
        }
    }

    /// The first of `len` items to draw when item `i` takes `lines(i)` screen lines (wrapped
    /// values) and `page` lines are shown: the kept offset, moved only as far as the
    /// selection needs to be on screen.
    pub(crate) fn first_shown(
        &self,
        len: usize,
        page: usize,
        lines: impl Fn(usize) -> usize,
    ) -> usize {
        let mut offset = self.offset.min(len.saturating_sub(1)).min(self.selected);
        // Lines before the selection may push it off screen: start later until it fits.
        while offset < self.selected && (offset..=self.selected).map(&lines).sum::<usize>() > page {
            offset += 1;
        }
        offset
    }

    /// Keeps the selection inside `len` lines, leaving the first line shown as it is.
    pub(crate) fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// `7/21`.
    pub(crate) fn position(&self, len: usize) -> String {
        position(self.selected, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_keep_the_selection_on_screen() {
        let mut c = Cursor::default();
        assert!(c.apply(Action::PageDown, 100, 10));
        assert_eq!((c.selected, c.offset), (10, 1));
        c.apply(Action::Bottom, 100, 10);
        assert_eq!((c.selected, c.offset), (99, 90));
        assert_eq!(c.position(100), "100/100");
        c.apply(Action::Top, 100, 10);
        assert_eq!((c.selected, c.offset), (0, 0));
        assert!(!c.apply(Action::Toggle, 100, 10));
        c.scroll(true, 3, 100, 10);
        assert_eq!((c.selected, c.offset), (3, 3));
        c.keep_visible(5, 10);
        assert_eq!((c.selected, c.offset), (3, 0), "the list shrank");
        assert_eq!(position(0, 0), "0/0");
    }

    #[test]
    fn text_panes_scroll_within_their_text() {
        assert_eq!(scroll_text(0, 5, 10, Action::Up), 0);
        assert_eq!(scroll_text(4, 5, 10, Action::Down), 5);
        assert_eq!(
            scroll_text(5, 5, 10, Action::Down),
            5,
            "stops at the last position"
        );
        assert_eq!(
            scroll_text(9, 5, 10, Action::Toggle),
            5,
            "pulled back after a resize"
        );
        assert_eq!(scroll_text(2, 50, 10, Action::PageDown), 12);
    }

    #[test]
    fn a_jump_keeps_context_and_tall_items_push_the_window() {
        let mut c = Cursor::default();
        c.reveal(50, 30);
        assert_eq!((c.selected, c.offset), (50, 40), "a third down the page");
        c.reveal(45, 30);
        assert_eq!(c.offset, 40, "already on screen: no scroll");
        c.clamp(10);
        assert_eq!(c.selected, 9);
        // Three items of 4 lines each on a 10-line screen: the selection (item 2) needs
        // the window to start at item 1.
        let c = Cursor {
            selected: 2,
            offset: 0,
        };
        assert_eq!(c.first_shown(5, 10, |_| 4), 1);
        assert_eq!(c.first_shown(5, 12, |_| 4), 0);
    }
}
