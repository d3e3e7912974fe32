//! The properties pane's rows: one entry's property tree, flattened through the
//! containers the user expanded, and the text each value is shown (and copied) as.
//!
//! Rows can be put in key order and filtered (`/` while the pane has focus); each row
//! carries the index path of its value, so that views of it (the hex view, and following
//! a reference in a later version) find the value itself.

use crate::registry::{Date, EntryId, Integer, Registry, Value};
use crate::values::{self, View};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// How many bytes of a data value are shown as hex lines under it; Enter opens all of them.
const DATA_SHOWN: usize = 64;
/// Most bytes of a value's one-line form: a pane shows at most a few thousand characters,
/// and a huge value must not cost its size on every frame.
pub(crate) const SUMMARY_CAP: usize = 16 * 1024;

/// Bytes of a data value looked at to tell text from binary.
const TEXT_PROBE: usize = 64 * 1024;

/// The kind of a value, for its colour in the pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    String,
    Number,
    Bool,
    Data,
    Date,
    Container,
    /// Kept as read: the reader could not type it.
    Raw,
}

impl ValueKind {
    pub(crate) fn of(v: &Value) -> ValueKind {
        match v {
            Value::Dict(_) | Value::Array(_) | Value::Set(_) => ValueKind::Container,
            Value::String(_) => ValueKind::String,
            Value::Integer(_) | Value::Real(_) => ValueKind::Number,
            Value::Bool(_) => ValueKind::Bool,
            Value::Data(_) => ValueKind::Data,
            Value::Date(_) => ValueKind::Date,
            Value::Raw { .. } => ValueKind::Raw,
        }
    }
}

/// One property (or container member) in the pane.
#[derive(Debug, Clone, PartialEq)]
pub struct PropRow {
    /// `/`-joined keys and indices from the top, used to remember expansion across entries.
    pub path: String,
    /// Index of the value at each level from the entry's properties down (file order).
    pub at: Vec<usize>,
    pub depth: u16,
    pub key: String,
    /// The value's one-line form (containers: `{3}` / `[2]`), at most [`SUMMARY_CAP`] bytes.
    pub summary: String,
    /// Extra lines under the key (hex dump of data); long strings are wrapped when drawn.
    pub extra: Vec<String>,
    /// Number of members, for containers.
    pub members: Option<usize>,
    pub expanded: bool,
    pub kind: ValueKind,
    /// Bytes of a data value (Enter shows them all in the hex view).
    pub data_len: Option<usize>,
    /// `raw` or `raw, clipped`, for values the reader could not type.
    pub mark: Option<&'static str>,
    /// The typed views of a data value, best first, hex last ([`crate::values`]).
    pub views: Vec<View>,
    /// The view shown (an index into `views`): the best, or the one chosen with `v`.
    pub view: usize,
    /// What the value points at (a path, a registry ID, a phandle's entry): Enter follows it.
    pub link: Option<String>,
}

impl PropRow {
    /// The entry's property this row is (or is inside), by file order.
    pub(crate) fn top(&self) -> usize {
        self.at[0]
    }
}

/// Expansion of property containers, by path, remembered across entries.
#[derive(Debug, Default, Clone)]
pub struct PropExpansion(pub HashSet<String>);

/// How the pane orders and filters rows (`s`, and `/` while it has focus).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PropView {
    /// Key order (case-insensitive) instead of the order the source gave.
    pub by_key: bool,
    /// Rows whose key or value holds this text (ASCII case-insensitive), with their containers.
    pub filter: String,
    /// The view chosen with `v`, by key, for the session.
    pub chosen: HashMap<String, &'static str>,
    /// Entries left by following a reference (Enter), most recent last: Backspace or `'`
    /// returns to them.
    pub back: Vec<EntryId>,
}

/// The rows for `entry`'s properties.
pub(crate) fn rows(
    registry: &Registry,
    entry: EntryId,
    expansion: &PropExpansion,
    view: &PropView,
) -> Vec<PropRow> {
    let props = &registry.entry(entry).properties;
    let mut out = Vec::new();
    let filter = view.filter.to_ascii_lowercase();
    let ctx = Ctx {
        exp: expansion,
        by_key: view.by_key,
        filter: &filter,
        cx: values::Context::of(registry, entry),
        chosen: &view.chosen,
        registry,
    };
    let members: Vec<(String, &Value)> = props.iter().map(|(k, v)| (key_text(k), v)).collect();
    for (i, (key, v)) in ordered(members, view.by_key) {
        let path = format!("{i}:{key}");
        push(&mut out, path, vec![i], 0, key, v, &ctx);
    }
    if !filter.is_empty() {
        out = filtered(out, &filter);
    }
    out
}

/// A key as the pane holds it: at most [`SUMMARY_CAP`] bytes (a cut ends in `…`).
fn key_text(k: &crate::registry::Text) -> String {
    capped(&k.to_string_lossy())
}

/// The value at `at` (see [`PropRow::at`]) among `entry`'s properties.
pub(crate) fn value_at<'a>(
    registry: &'a Registry,
    entry: EntryId,
    at: &[usize],
) -> Option<&'a Value> {
    let (first, rest) = at.split_first()?;
    let mut v = &registry.entry(entry).properties.get(*first)?.1;
    for &i in rest {
        v = match v {
            Value::Dict(kv) => &kv.get(i)?.1,
            Value::Array(items) | Value::Set(items) => items.get(i)?,
            _ => return None,
        };
    }
    Some(v)
}

struct Ctx<'a> {
    exp: &'a PropExpansion,
    by_key: bool,
    filter: &'a str,
    /// What the decoders need of the entry (its parent's cells).
    cx: values::Context,
    chosen: &'a HashMap<String, &'static str>,
    registry: &'a Registry,
}

/// Members with their file-order index, in key order when asked.
fn ordered(mut members: Vec<(String, &Value)>, by_key: bool) -> Vec<(usize, (String, &Value))> {
    let mut out: Vec<(usize, (String, &Value))> = members.drain(..).enumerate().collect();
    if by_key {
        out.sort_by_cached_key(|(_, (k, _))| k.to_lowercase());
    }
    out
}

/// The rows that match `filter`, and the containers above them.
fn filtered(rows: Vec<PropRow>, filter: &str) -> Vec<PropRow> {
    let mut keep = vec![false; rows.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        stack.truncate(usize::from(row.depth));
        let hit = row.key.to_ascii_lowercase().contains(filter)
            || (row.members.is_none() && row.summary.to_ascii_lowercase().contains(filter))
            || row.mark == Some(INNER_MATCH);
        if hit {
            keep[i] = true;
            for &a in &stack {
                keep[a] = true;
            }
        }
        stack.push(i);
    }
    rows.into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(mut r, _)| {
            if r.mark == Some(INNER_MATCH) {
                r.mark = None;
            }
            r
        })
        .collect()
}

/// Marks (while filtering) a collapsed container whose members hold the filter text.
const INNER_MATCH: &str = "inner match";

fn push(
    out: &mut Vec<PropRow>,
    path: String,
    at: Vec<usize>,
    depth: u16,
    key: String,
    v: &Value,
    ctx: &Ctx,
) {
    let members: Option<Vec<(String, &Value)>> = match v {
        Value::Dict(kv) => Some(kv.iter().map(|(k, v)| (key_text(k), v)).collect()),
        Value::Array(items) | Value::Set(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("[{i}]"), v))
                .collect(),
        ),
        _ => None,
    };
    let expanded = members.is_some() && ctx.exp.0.contains(&path);
    let inner_match = members.is_some() && !expanded && !ctx.filter.is_empty() && {
        let mut text = String::new();
        nested_text(v, &mut text, super::search::VALUE_CAP);
        text.make_ascii_lowercase();
        text.contains(ctx.filter)
    };
    let views = match v {
        Value::Data(d) => values::data_views(&key, d, &ctx.cx),
        _ => Vec::new(),
    };
    let view = ctx
        .chosen
        .get(&key)
        .and_then(|name| views.iter().position(|w| w.name == *name))
        .unwrap_or(0);
    // A typed view stands in for the hex lines (`v` brings them back).
    let mut extra = match views.get(view) {
        Some(w) if w.name != "hex" && w.name != "strings" => Vec::new(),
        _ => extra_lines(v),
    };
    if let Value::Integer(i) = v {
        if let Some(bits) = values::integer_views(&key, i)
            .into_iter()
            .find(|w| w.name == "bits")
        {
            extra.insert(0, bits.text);
        }
    }
    let link = values::link(ctx.registry, &key, v);
    out.push(PropRow {
        path: path.clone(),
        at: at.clone(),
        depth,
        summary: match views.get(view) {
            // Text is shown as `ioreg` prints it (`<"disp0,t8112">`), as search finds it.
            Some(w) if w.name != "hex" && w.name != "strings" => capped(&w.display()),
            _ => summary(v),
        },
        key,
        extra,
        views,
        view,
        link,
        members: members.as_ref().map(Vec::len),
        expanded,
        kind: ValueKind::of(v),
        data_len: match v {
            Value::Data(d) => Some(d.len()),
            _ => None,
        },
        mark: match v {
            Value::Raw { clipped: true, .. } => Some("raw, clipped"),
            Value::Raw { .. } => Some("raw"),
            _ if inner_match => Some(INNER_MATCH),
            _ => None,
        },
    });
    if expanded {
        let sortable = matches!(v, Value::Dict(_)) && ctx.by_key;
        for (i, (k, v)) in ordered(members.unwrap_or_default(), sortable) {
            let mut at = at.clone();
            at.push(i);
            push(out, format!("{path}/{i}:{k}"), at, depth + 1, k, v, ctx);
        }
    }
}

/// The keys and values inside a container, as search sees them.
fn nested_text(v: &Value, out: &mut String, cap: usize) {
    search_text(v, out, cap);
}

/// Appends the text `v` is shown as, for search, stopping after about `cap` bytes:
/// strings, numbers in decimal and hex, `yes`/`no`, dates as shown, data as `ioreg`
/// prints it (its strings when it is text, hex otherwise), containers as `key=value`.
pub(crate) fn search_text(v: &Value, out: &mut String, cap: usize) {
    if out.len() >= cap {
        return;
    }
    match v {
        Value::String(t) => push_cut(out, &t.to_string_lossy(), cap),
        Value::Integer(i) => {
            let _ = write!(out, "{} {:#x}", i.value(), i.ioreg_bits());
        }
        Value::Bool(b) => out.push_str(if *b { "yes" } else { "no" }),
        Value::Raw { text, .. } => push_cut(out, &text.to_string_lossy(), cap),
        Value::Real(r) => {
            let _ = write!(out, "{r}");
        }
        Value::Date(d) => out.push_str(&date(*d)),
        Value::Data(d) => match data_strings(d, cap.saturating_sub(out.len())) {
            Some(text) => out.push_str(&text),
            None => {
                let shown = d.len().min(cap.saturating_sub(out.len()) / 2);
                out.push_str(&hex_text(&d[..shown]));
            }
        },
        Value::Dict(kv) => {
            for (k, v) in kv {
                if out.len() >= cap {
                    return;
                }
                push_cut(out, &k.to_string_lossy(), cap);
                out.push('=');
                search_text(v, out, cap);
                out.push(' ');
            }
        }
        Value::Array(items) | Value::Set(items) => {
            for v in items {
                if out.len() >= cap {
                    return;
                }
                search_text(v, out, cap);
                out.push(' ');
            }
        }
    }
}

/// Appends as much of `text` as fits in `cap` bytes of `out`.
fn push_cut(out: &mut String, text: &str, cap: usize) {
    let room = cap.saturating_sub(out.len());
    if text.len() <= room {
        out.push_str(text);
        return;
    }
    let mut end = room;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&text[..end]);
}

/// Data that `ioreg` prints as text, as it prints it (`"a","b"`), at most `cap` bytes;
/// `None` for data it prints in hex.
pub(crate) fn data_strings(bytes: &[u8], cap: usize) -> Option<String> {
    // Judged on its first [`TEXT_PROBE`] bytes, so that a huge value costs no more.
    if !crate::formats::text::write::looks_like_text(&bytes[..bytes.len().min(TEXT_PROBE)]) {
        return None;
    }
    let mut out = Vec::new();
    crate::formats::text::write::quoted_strings(bytes, cap, &mut out);
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `0x1f (31)`, `-1 (0xffffffff)`.
pub(crate) fn integer(i: &Integer) -> String {
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

/// The one-line form of a value, at most about [`SUMMARY_CAP`] bytes (a cut ends in `…`).
pub(crate) fn summary(v: &Value) -> String {
    match v {
        Value::Dict(kv) => format!("{{{}}}", count(kv.len(), "key", "keys")),
        Value::Array(items) => format!("[{}]", count(items.len(), "item", "items")),
        Value::Set(items) => format!("set [{}]", count(items.len(), "item", "items")),
        Value::String(t) => format!("\"{}\"", capped(&t.to_string_lossy())),
        Value::Integer(i) => integer(i),
        Value::Bool(b) => if *b { "Yes" } else { "No" }.into(),
        Value::Data(d) => match data_strings(d, SUMMARY_CAP) {
            Some(text) => format!("<{}>", capped(&text)),
            None => format!("<{}>", count(d.len(), "byte", "bytes")),
        },
        Value::Date(d) => date(*d),
        Value::Real(r) => format!("{r}"),
        Value::Raw { text, .. } => capped(&text.to_string_lossy()),
    }
}

/// `text`, cut to [`SUMMARY_CAP`] bytes with `…` when longer.
fn capped(text: &str) -> String {
    let mut out = String::new();
    push_cut(&mut out, text, SUMMARY_CAP);
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn extra_lines(v: &Value) -> Vec<String> {
    match v {
        Value::Data(d) if data_strings(d, 0).is_none() => {
            let mut lines: Vec<String> = d
                .chunks(16)
                .take(DATA_SHOWN / 16)
                .enumerate()
                .map(|(n, chunk)| short_hex_line(n * 16, chunk))
                .collect();
            if d.len() > DATA_SHOWN {
                lines.push(format!(
                    "… {} more bytes: Enter shows them all",
                    d.len() - DATA_SHOWN
                ));
            }
            lines
        }
        _ => Vec::new(),
    }
}

/// `00000010  de ad be ef …  |....|`: one line of 16 bytes at `offset`, as `hexdump -C`
/// writes it (offsets of 8 hex digits, 16 once they need more).
pub(crate) fn hex_line(offset: usize, chunk: &[u8]) -> String {
    let digits = if offset > 0xffff_ffff { 16 } else { 8 };
    hex_line_with(format!("{offset:0digits$x} "), chunk)
}

/// The same with a 4-digit offset, for the first bytes shown under a value in a narrow pane.
fn short_hex_line(offset: usize, chunk: &[u8]) -> String {
    hex_line_with(format!("{offset:04x} "), chunk)
}

fn hex_line_with(mut s: String, chunk: &[u8]) -> String {
    for (i, b) in chunk.iter().enumerate() {
        if i == 8 {
            s.push(' ');
        }
        let _ = write!(s, " {b:02x}");
    }
    let pad = (16 - chunk.len().min(16)) * 3 + usize::from(chunk.len() <= 8);
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
}

/// The text `y` copies for the row at `at` of `entry` (made when asked: a value may be huge).
pub(crate) fn copy_text_at(registry: &Registry, entry: EntryId, at: &[usize]) -> Option<String> {
    value_at(registry, entry, at).map(copy_text)
}

/// A string without quotes, data as hex, a number; a dict, array or set as `ioreg` prints it
/// (the dump writer's value text), not as the `{1398 keys}` summary the pane shows.
fn copy_text(v: &Value) -> String {
    match v {
        Value::String(t) => t.to_string_lossy().into_owned(),
        Value::Data(d) => hex_text(d),
        Value::Integer(i) => i.value().to_string(),
        Value::Dict(_) | Value::Array(_) | Value::Set(_) => {
            String::from_utf8_lossy(&crate::formats::text::write::value_text(v, false)).into_owned()
        }
        _ => summary(v),
    }
}

/// Data in hex as `ioreg` prints it (`dead0001`).
fn hex_text(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    crate::formats::text::write::hex_digits(bytes, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A CFDate as `YYYY-MM-DD hh:mm:ss UTC`.
pub(crate) fn date(d: Date) -> String {
    if !d.0.is_finite() || d.0.abs() > 1e13 {
        return format!("date {}", d.0);
    }
    let t = crate::registry::Civil::from_cf_seconds(d.0.floor() as i64);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
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
        let short = hex_line(0, b"ABC\x00");
        assert!(short.starts_with("00000000  41 42 43 00 ") && short.ends_with("  |ABC.|"));
        let full = hex_line(16, b"0123456789abcdef");
        assert!(full.starts_with("00000010  30 31"), "{full}");
        assert_eq!(full.find('|'), short.find('|'), "ASCII columns line up");
        assert!(full.contains("37  38"), "gap after 8 bytes: {full}");
    }

    #[test]
    fn containers_expand_by_path() {
        let mut r = Registry::new();
        let e = r.add_entry(Entry {
            properties: vec![(
                "IOPowerManagement".into(),
                Value::Dict(vec![("CurrentPowerState".into(), Value::u64(2))]),
            )]
            .into(),
            ..Entry::named("x")
        });
        let mut exp = PropExpansion::default();
        let rows0 = rows(&r, e, &exp, &PropView::default());
        assert_eq!(rows0.len(), 1);
        assert_eq!(rows0[0].members, Some(1));
        exp.0.insert(rows0[0].path.clone());
        let rows1 = rows(&r, e, &exp, &PropView::default());
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

    #[test]
    fn data_that_is_text_reads_as_ioreg_prints_it() {
        let compatible = Value::Data(b"wlan-pcie,bcm4378\0wlan-pcie,bcm\0"[..].into());
        assert_eq!(
            summary(&compatible),
            "<\"wlan-pcie,bcm4378\",\"wlan-pcie,bcm\">"
        );
        let mut text = String::new();
        search_text(&compatible, &mut text, 1000);
        assert!(text.contains("bcm4378"), "{text}");
        let mut hex = String::new();
        search_text(&Value::Data(vec![0xde, 0xad, 0, 1].into()), &mut hex, 1000);
        assert_eq!(hex, "dead0001");
        let long = Value::Data(vec![7u8; 1000].into());
        let extra = extra_lines(&long);
        assert_eq!(extra.len(), DATA_SHOWN / 16 + 1);
        assert!(extra.last().unwrap().contains("936 more bytes"));
    }

    #[test]
    fn a_huge_string_is_cut_in_its_summary() {
        let big = Value::String("x".repeat(10 * SUMMARY_CAP).as_str().into());
        let s = summary(&big);
        assert!(
            s.len() < SUMMARY_CAP + 8 && s.ends_with("…\""),
            "{}",
            s.len()
        );
    }

    #[test]
    fn rows_sort_by_key_and_filter_with_their_containers() {
        let mut r = Registry::new();
        let e = r.add_entry(Entry {
            properties: vec![
                ("b".into(), Value::u64(1)),
                (
                    "IOPowerManagement".into(),
                    Value::Dict(vec![("CurrentPowerState".into(), Value::u64(2))]),
                ),
                ("a".into(), Value::string("hello")),
            ]
            .into(),
            ..Entry::named("x")
        });
        let exp = PropExpansion::default();
        let keys = |v: &PropView| -> Vec<String> {
            rows(&r, e, &exp, v).into_iter().map(|r| r.key).collect()
        };
        assert_eq!(keys(&PropView::default()), ["b", "IOPowerManagement", "a"]);
        let by_key = PropView {
            by_key: true,
            ..PropView::default()
        };
        assert_eq!(keys(&by_key), ["a", "b", "IOPowerManagement"]);
        let filter = |f: &str| PropView {
            filter: f.into(),
            ..PropView::default()
        };
        assert_eq!(keys(&filter("HELLO")), ["a"], "values match, any case");
        assert_eq!(
            keys(&filter("currentpower")),
            ["IOPowerManagement"],
            "inside a collapsed dict"
        );
        let mut open = PropExpansion::default();
        open.0.insert("1:IOPowerManagement".into());
        let rows = rows(&r, e, &open, &filter("currentpower"));
        assert_eq!(rows.len(), 2, "the member and the dict above it");
        assert_eq!(rows[1].at, [1, 0]);
        assert_eq!(value_at(&r, e, &rows[1].at), Some(&Value::u64(2)));
    }
}
