//! What `y` copies: the selected entry's path, or the selected property's value. A dict,
//! array or set is copied as `ioreg` prints it (the dump writer's value text), not as the
//! `{1398 keys}` summary the pane shows.

use super::props::PropRow;
use crate::registry::{EntryId, Registry, Value};

/// The index a row has in its parent container (or among the entry's properties): the
/// number its path component starts with (`…/12:key`).
fn index_in_parent(row: &PropRow, parent: Option<&PropRow>) -> Option<usize> {
    let own = match parent {
        Some(p) => row.path.strip_prefix(p.path.as_str())?.strip_prefix('/')?,
        None => row.path.as_str(),
    };
    own.split(':').next()?.parse().ok()
}

/// The value the property row `at` shows, found through its ancestor rows.
pub fn row_value<'r>(
    registry: &'r Registry,
    entry: EntryId,
    rows: &[PropRow],
    at: usize,
) -> Option<&'r Value> {
    let row = rows.get(at)?;
    // The chain of ancestors, nearest last: the closest row above with depth − 1, and so on.
    let mut chain = vec![at];
    let mut depth = row.depth;
    for i in (0..at).rev() {
        if depth == 0 {
            break;
        }
        if rows[i].depth == depth - 1 {
            chain.push(i);
            depth -= 1;
        }
    }
    chain.reverse();
    let mut value: Option<&Value> = None;
    let mut parent: Option<&PropRow> = None;
    for &i in &chain {
        let index = index_in_parent(&rows[i], parent)?;
        value = Some(match value {
            None => &registry.entry(entry).properties.get(index)?.1,
            Some(Value::Dict(kv)) => &kv.get(index)?.1,
            Some(Value::Array(items) | Value::Set(items)) => items.get(index)?,
            Some(_) => return None,
        });
        parent = Some(&rows[i]);
    }
    value
}

/// The text `y` copies for property row `at`: containers as `ioreg` prints them, other
/// values as the row's own copy text (a string without quotes, data as hex, a number).
pub fn property_text(
    registry: &Registry,
    entry: EntryId,
    rows: &[PropRow],
    at: usize,
) -> Option<String> {
    let row = rows.get(at)?;
    match row_value(registry, entry, rows, at) {
        Some(v @ (Value::Dict(_) | Value::Array(_) | Value::Set(_))) => {
            Some(String::from_utf8_lossy(&crate::dump::text::value_text(v, false)).into_owned())
        }
        _ => Some(row.copy.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::props::{PropExpansion, rows};
    use crate::registry::{Entry, Integer, Text};

    fn registry() -> (Registry, EntryId) {
        let mut r = Registry::new();
        let inner = Value::Dict(vec![
            (Text::from("a/b"), Value::Integer(Integer::unsigned(1, 32))),
            (
                Text::from("list"),
                Value::Array(vec![Value::String(Text::from("x")), Value::Bool(true)]),
            ),
        ]);
        let id = r.add_entry(Entry {
            name: Text::from("e"),
            properties: vec![
                (Text::from("first"), Value::String(Text::from("plain"))),
                (Text::from("IOPowerManagement"), inner),
            ],
            ..Entry::default()
        });
        (r, id)
    }

    #[test]
    fn a_container_is_copied_as_ioreg_prints_it_not_as_its_summary() {
        let (r, id) = registry();
        let rs = rows(&r, id, &PropExpansion::default());
        assert_eq!(
            property_text(&r, id, &rs, 1).as_deref(),
            Some(r#"{"a/b"=1,"list"=("x",Yes)}"#)
        );
        assert_eq!(property_text(&r, id, &rs, 0).as_deref(), Some("plain"));
    }

    #[test]
    fn a_nested_container_is_found_through_its_ancestors() {
        let (r, id) = registry();
        let mut exp = PropExpansion::default();
        let top = rows(&r, id, &exp);
        exp.0.insert(top[1].path.clone());
        let rs = rows(&r, id, &exp);
        let list = rs.iter().position(|row| row.key == "list").unwrap();
        assert_eq!(
            property_text(&r, id, &rs, list).as_deref(),
            Some(r#"("x",Yes)"#)
        );
        // A key with `/` in it does not confuse the lookup.
        let ab = rs.iter().position(|row| row.key == "a/b").unwrap();
        assert!(matches!(
            row_value(&r, id, &rs, ab),
            Some(Value::Integer(_))
        ));
    }
}
