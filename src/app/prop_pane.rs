//! The properties pane's own keys: `/` filters its rows, `s` puts them in key order, `v`
//! cycles the typed views of a value, Enter follows a reference (`IOService:/…`) or opens
//! the hex view of data, Backspace or `'` comes back; and the hex view itself.

use super::action::Action;
use super::cursor::Cursor;
use super::state::{Mode, PromptKind, State};
use super::update::Effect;
use crate::registry::EntryId;

/// `/` while the pane has focus: the filter prompt, holding the filter to edit.
pub(crate) fn start_filter(s: &mut State) {
    s.mode = Mode::Prompt {
        kind: PromptKind::PropFilter,
        input: s.prop_view.filter.clone(),
    };
}

/// `s`: key order, or file order again; the selected row stays selected.
pub(crate) fn toggle_key_order(s: &mut State) {
    s.prop_view.by_key = !s.prop_view.by_key;
    let top = s.props.get(s.prop.selected).map(|r| r.at.clone());
    s.rebuild_props();
    if let Some(i) = top.and_then(|at| s.props.iter().position(|r| r.at == at)) {
        s.prop.selected = i;
    }
    s.prop
        .keep_visible(s.props.len(), usize::from(s.geometry.props.height));
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
pub(crate) fn set_filter(s: &mut State, filter: String) {
    s.prop_view.filter = filter;
    s.rebuild_props();
    s.prop.selected = 0;
    s.prop.offset = 0;
}

/// Enter on a property value that has a view of its own: a reference is followed (the
/// entry it names is selected, and Backspace or `'` comes back); a data value opens the
/// hex view. Returns whether either happened (containers toggle instead).
pub(crate) fn open_value(s: &mut State) -> bool {
    match s.props.get(s.prop.selected) {
        Some(row) if row.link.is_some() && !matches!(row.members, Some(n) if n > 0) => {
            let target = row.link.clone().unwrap_or_default();
            follow(s, &target);
            true
        }
        Some(row) if row.data_len.is_some() => {
            open_hex(s);
            true
        }
        _ => false,
    }
}

/// Jumps to the entry `target` names (a path, as `Registry::resolve` reads it), keeping
/// where we were for [`go_back`].
fn follow(s: &mut State, target: &str) {
    let from = s.props_for;
    match s.registry.resolve(s.plane, target) {
        Ok((_, id)) => {
            if let Some(from) = from {
                s.prop_view.back.push(from);
            }
            super::update::jump_to_entry(s, id);
            s.message = Some(format!(
                "followed {}  (Backspace or ' returns)",
                crate::registry::escape::for_terminal(target)
            ));
        }
        Err(e) => {
            s.message = Some(format!(
                "{}: {e}",
                crate::registry::escape::for_terminal(target)
            ))
        }
    }
}

/// Backspace or `'`: back to the entry the last followed reference was on.
pub(crate) fn go_back(s: &mut State) {
    match s.prop_view.back.pop() {
        Some(id) if id.index() < s.registry.len() => {
            super::update::jump_to_entry(s, id);
            s.focus = super::state::Focus::Properties;
            s.message = Some("back".into());
        }
        _ => s.message = Some("nothing to go back to (Enter on a reference follows it)".into()),
    }
}

/// `v`: the next view of the selected value; the choice is remembered for its key.
pub(crate) fn cycle_view(s: &mut State) {
    let Some(row) = s.props.get(s.prop.selected) else {
        return;
    };
    if row.views.len() < 2 {
        s.message = Some("this value has one view".into());
        return;
    }
    let next = &row.views[(row.view + 1) % row.views.len()];
    let (key, name) = (row.key.clone(), next.name);
    s.prop_view.chosen.insert(key.clone(), name);
    s.rebuild_props();
    s.message = Some(format!(
        "{}: {name} view (v: next)",
        crate::registry::escape::for_terminal(&key)
    ));
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
pub(crate) fn hex_view(
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
    let page = s.geometry.list.page();
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
