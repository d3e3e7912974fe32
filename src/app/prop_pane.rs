//! The properties pane's own keys: `/` filters its rows, `s` puts them in key order, Enter
//! on a data value opens the hex view (the hook for following references), and the hex
//! view itself.

use super::action::Action;
use super::cursor::Cursor;
use super::state::{Mode, PromptKind, State};
use super::update::Effect;
use crate::registry::EntryId;

/// `/` while the pane has focus: the filter prompt, holding the filter to edit.
pub fn start_filter(s: &mut State) {
    s.mode = Mode::Prompt {
        kind: PromptKind::PropFilter,
        input: s.prop_view.filter.clone(),
    };
}

/// `s`: key order, or file order again; the selected row stays selected.
pub fn toggle_key_order(s: &mut State) {
    s.prop_view.by_key = !s.prop_view.by_key;
    let top = s.props.get(s.prop.selected).map(|r| r.at.clone());
    s.rebuild_props();
    if let Some(i) = top.and_then(|at| s.props.iter().position(|r| r.at == at)) {
        s.prop.selected = i;
    }
    s.prop
        .keep_visible(s.props.len(), usize::from(s.geometry.props.3));
    s.message = Some(
        if s.prop_view.by_key {
            "properties in key order (s: file order)"
        } else {
            "properties in file order (s: key order)"
        }
        .into(),
    );
}

/// Filters the properties pane's rows (`/` while it has focus).
pub fn set_filter(s: &mut State, filter: String) {
    s.prop_view.filter = filter;
    s.rebuild_props();
    s.prop.selected = 0;
    s.prop.offset = 0;
}

/// Enter on a property value that has a view of its own: a data value opens the hex view.
/// Returns whether one opened (containers toggle instead).
///
/// The hook for following references (a path, an ID, a device-tree phandle: issue 21 §2):
/// a value that names another entry is to be followed here first, the hex view then being
/// one of its views.
pub fn open_value(s: &mut State) -> bool {
    match s.props.get(s.prop.selected) {
        Some(row) if row.data_len.is_some() => {
            open_hex(s);
            true
        }
        _ => false,
    }
}

/// Opens the hex view on the selected data value.
fn open_hex(s: &mut State) {
    let (Some(entry), Some(row)) = (s.props_for, s.props.get(s.prop.selected)) else {
        return;
    };
    s.mode = Mode::Hex {
        entry,
        at: row.at.clone(),
        cursor: Cursor::default(),
    };
}

/// The hex view: every line of the value, scrolled with the movement keys.
pub fn hex_view(
    s: &mut State,
    entry: EntryId,
    at: Vec<usize>,
    mut cursor: Cursor,
    action: Action,
) -> Vec<Effect> {
    let len = match super::props::value_at(&s.registry, entry, &at) {
        Some(crate::registry::Value::Data(d)) => d.len().div_ceil(16),
        _ => 0,
    };
    let page = usize::from(s.geometry.list.3).max(1);
    match action {
        Action::Back | Action::Quit | Action::Accept => {
            s.mode = Mode::Normal;
            return Vec::new();
        }
        Action::Wheel { down, .. } => cursor.scroll(down, 3, len, page),
        other => {
            cursor.apply(other, len, page);
        }
    }
    s.mode = Mode::Hex { entry, at, cursor };
    Vec::new()
}
