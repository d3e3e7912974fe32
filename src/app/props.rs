//! The properties pane's rows: one entry's property tree, flattened through the
//! containers the user expanded, and the text each value is shown (and copied) as.

use crate::registry::{Date, EntryId, Integer, Registry, Value};
use std::collections::HashSet;
use std::fmt::Write;

/// How many bytes of a data value are shown as hex lines.
const DATA_SHOWN: usize = 256;

/// One property (or container member) in the pane.
#[derive(Debug, Clone, PartialEq)]
pub struct PropRow {
    /// `/`-joined keys and indices from the top, used to remember expansion across entries.
    pub path: String,
    pub depth: u16,
    pub key: String,
    /// The value's one-line form (containers: `{3}` / `[2]`).
    pub summary: String,
    /// Extra lines under the key (hex dump of data); long strings are wrapped when drawn.
    pub extra: Vec<String>,
    /// Number of members, for containers.
    pub members: Option<usize>,
    pub expanded: bool,
    /// `raw` or `raw, clipped`, for values the reader could not type.
    pub mark: Option<&'static str>,
    /// The text `y` copies.
    pub copy: String,
}

/// Expansion of property containers, by path, remembered across entries.
#[derive(Debug, Default, Clone)]
pub struct PropExpansion(pub HashSet<String>);

/// The rows for `entry`'s properties.
pub fn rows(registry: &Registry, entry: EntryId, expansion: &PropExpansion) -> Vec<PropRow> {
    let mut out = Vec::new();
    for (i, (k, v)) in registry.entry(entry).properties.iter().enumerate() {
        let key = k.to_string_lossy().into_owned();
        let path = format!("{i}:{key}");
        push(&mut out, path, 0, key, v, expansion);
    }
    out
}

fn push(
    out: &mut Vec<PropRow>,
    path: String,
    depth: u16,
    key: String,
    v: &Value,
    exp: &PropExpansion,
) {
    let members: Option<Vec<(String, &Value)>> = match v {
        Value::Dict(kv) => Some(
            kv.iter()
                .map(|(k, v)| (k.to_string_lossy().into_owned(), v))
                .collect(),
        ),
        Value::Array(items) | Value::Set(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("[{i}]"), v))
                .collect(),
        ),
        _ => None,
    };
    let expanded = members.is_some() && exp.0.contains(&path);
    out.push(PropRow {
        path: path.clone(),
        depth,
        key,
        summary: summary(v),
        extra: extra_lines(v),
        members: members.as_ref().map(Vec::len),
        expanded,
        mark: match v {
            Value::Raw { clipped: true, .. } => Some("raw, clipped"),
            Value::Raw { .. } => Some("raw"),
            _ => None,
        },
        copy: copy_text(v),
    });
    if expanded {
        for (i, (k, v)) in members.into_iter().flatten().enumerate() {
            push(out, format!("{path}/{i}:{k}"), depth + 1, k, v, exp);
        }
    }
}

/// `0x1f (31)`, `-1 (0xffffffff)`.
pub fn integer(i: &Integer) -> String {
    let v = i.value();
    let mask = if i.width >= 64 {
        u64::MAX
    } else {
        (1u64 << i.width) - 1
    };
    let hex = (v as i64 as u64) & mask;
    if v < 0 {
        format!("{v} ({hex:#x})")
    } else {
        format!("{hex:#x} ({v})")
    }
}

/// `1 item`, `2 items`: counts in summaries read as English.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The one-line form of a value.
pub fn summary(v: &Value) -> String {
    match v {
        Value::Dict(kv) => format!("{{{}}}", count(kv.len(), "key", "keys")),
        Value::Array(items) => format!("[{}]", count(items.len(), "item", "items")),
        Value::Set(items) => format!("set [{}]", count(items.len(), "item", "items")),
        Value::String(t) => format!("\"{}\"", t.to_string_lossy()),
        Value::Integer(i) => integer(i),
        Value::Bool(b) => if *b { "Yes" } else { "No" }.into(),
        Value::Data(d) => format!("<{}>", count(d.len(), "byte", "bytes")),
        Value::Date(d) => date(*d),
        Value::Real(r) => format!("{r}"),
        Value::Raw { text, .. } => text.to_string_lossy().into_owned(),
    }
}

fn extra_lines(v: &Value) -> Vec<String> {
    match v {
        Value::Data(d) => hex_lines(d),
        _ => Vec::new(),
    }
}

/// `0000  de ad be ef …  |....|`, 16 bytes a line, at most [`DATA_SHOWN`] bytes.
pub fn hex_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = bytes
        .chunks(16)
        .take(DATA_SHOWN / 16)
        .enumerate()
        .map(|(n, chunk)| {
            let mut s = format!("{:04x} ", n * 16);
            for (i, b) in chunk.iter().enumerate() {
                if i == 8 {
                    s.push(' ');
                }
                let _ = write!(s, " {b:02x}");
            }
            let pad = (16 - chunk.len()) * 3 + usize::from(chunk.len() <= 8);
            s.push_str(&" ".repeat(pad));
            s.push_str("  |");
            s.extend(chunk.iter().map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            }));
            s.push('|');
            s
        })
        .collect();
    if bytes.len() > DATA_SHOWN {
        lines.push(format!("… {} more bytes", bytes.len() - DATA_SHOWN));
    }
    lines
}

fn copy_text(v: &Value) -> String {
    match v {
        Value::String(t) => t.to_string_lossy().into_owned(),
        Value::Data(d) => d.iter().map(|b| format!("{b:02x}")).collect(),
        Value::Integer(i) => i.value().to_string(),
        _ => summary(v),
    }
}

/// A CFDate as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn date(d: Date) -> String {
    const EPOCH_2001: i64 = 978_307_200;
    if !d.0.is_finite() || d.0.abs() > 1e13 {
        return format!("date {}", d.0);
    }
    let secs = d.0.floor() as i64 + EPOCH_2001;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Entry;

    #[test]
    fn values_are_shown_in_hex_and_decimal() {
        assert_eq!(integer(&Integer::unsigned(31, 32)), "0x1f (31)");
        assert_eq!(integer(&Integer::signed(-1, 32)), "-1 (0xffffffff)");
        assert_eq!(date(Date(0.0)), "2001-01-01 00:00:00 UTC");
        assert_eq!(
            date(Date(86_400.0 * 366.0 + 61.0)),
            "2002-01-02 00:01:01 UTC"
        );
        let short = &hex_lines(b"ABC\x00")[0];
        assert!(short.starts_with("0000  41 42 43 00 ") && short.ends_with("  |ABC.|"));
        let full = &hex_lines(b"0123456789abcdefXY");
        assert_eq!(full.len(), 2);
        assert_eq!(full[0].find('|'), short.find('|'), "ASCII columns line up");
        assert!(full[0].contains("37  38"), "gap after 8 bytes: {}", full[0]);
    }

    #[test]
    fn containers_expand_by_path() {
        let mut r = Registry::new();
        let e = r.add_entry(Entry {
            properties: vec![(
                "IOPowerManagement".into(),
                Value::Dict(vec![("CurrentPowerState".into(), Value::u64(2))]),
            )],
            ..Entry::named("x")
        });
        let mut exp = PropExpansion::default();
        let rows0 = rows(&r, e, &exp);
        assert_eq!(rows0.len(), 1);
        assert_eq!(rows0[0].members, Some(1));
        exp.0.insert(rows0[0].path.clone());
        let rows1 = rows(&r, e, &exp);
        assert_eq!(rows1.len(), 2);
        assert_eq!(rows1[1].summary, "0x2 (2)");
        assert_eq!(rows0[0].summary, "{1 key}");
    }

    #[test]
    fn counts_of_one_are_singular() {
        assert_eq!(summary(&Value::Array(vec![Value::u64(1)])), "[1 item]");
        assert_eq!(summary(&Value::Array(vec![])), "[0 items]");
        assert_eq!(summary(&Value::Data(vec![0].into())), "<1 byte>");
        assert_eq!(summary(&Value::Data(vec![0, 1].into())), "<2 bytes>");
    }
}
