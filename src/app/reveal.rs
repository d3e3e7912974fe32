//! Where a search takes the user: the match revealed (ancestors expanded) with the property
//! that matched selected in the properties pane, and Esc in the prompt back to where `/`
//! began.

use super::cursor::Cursor;
use super::state::{Mode, PromptKind, SearchOrigin, State, plane_at};
use super::update::reselect;
use crate::registry::EntryId;

/// `/` outside the properties pane: remembers where the search began and opens the prompt.
pub(crate) fn begin_search(s: &mut State) {
    s.search_origin = Some(SearchOrigin {
        entry: s.selected_entry(),
        offset: s.tree.offset,
        expansion: s.view.expansion(),
        filtered: s.view.is_filtered(),
        prop_selected: s.prop.selected,
    });
    s.mode = Mode::Prompt {
        kind: PromptKind::Search,
        input: String::new(),
    };
}

/// Selects a match, expanding its ancestors, and in the properties pane the property that
/// matched, scrolled into view.
pub(crate) fn reveal_match(s: &mut State, id: EntryId) {
    if !s.select_entry(id) {
        return;
    }
    let Some(index) = s.index.as_ref() else {
        return;
    };
    let Some(p) = s.search.hit(index, id).property else {
        return;
    };
    if let Some(row) = s.props.iter().position(|r| r.depth == 0 && r.top() == p) {
        // A little context above the row, when there is some.
        s.prop = Cursor {
            selected: row,
            offset: row.saturating_sub(2),
        };
    }
}

/// Esc in the search prompt: the selection, scroll and expansion from before `/`.
pub(crate) fn back_to_origin(s: &mut State) {
    let Some(origin) = s.search_origin.take() else {
        return;
    };
    let plane = plane_at(&s.registry, s.plane);
    // Begun in filter mode, the expansion to go back to is the one from before the filter,
    // which leaving the filter has put back already.
    if !origin.filtered && origin.expansion.len() == s.view.expansion().len() {
        s.view.set_expansion(origin.expansion);
        s.view.rebuild(plane);
    }
    reselect(s, origin.entry);
    s.tree.offset = origin.offset;
    s.clamp();
    s.prop.selected = origin.prop_selected;
    s.prop.clamp(s.props.len());
}

/// While typing a query that matches nothing: back where the search began, still searching.
pub(crate) fn back_to_origin_keeping_it(s: &mut State) {
    if let Some(origin) = s.search_origin.clone() {
        back_to_origin(s);
        s.search_origin = Some(origin);
    }
}
