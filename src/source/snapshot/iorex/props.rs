//! An entry's `properties`: an XML property list stored as bytes inside the archive.
//!
//! Parsed with the `plist` crate (XML has no shared references, so its size is linear in
//! the input) and converted to the model's values in their original key order. The crate's
//! values drop recursively, so whatever is left after a depth error is taken apart by hand.

use crate::registry::{Date, Integer, Properties, Text, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds from 1970-01-01 to 2001-01-01, the Core Foundation epoch.
const CF_EPOCH: f64 = 978_307_200.0;

/// A problem in the embedded XML: an offset into it and what went wrong.
#[derive(Debug)]
pub(crate) struct PropsError {
    pub offset: u64,
    pub message: String,
}

/// Parses an XML property list whose root is a dictionary, keeping key order.
pub(crate) fn parse(xml: &[u8], max_depth: usize) -> Result<Properties, PropsError> {
    // The crate builds and drops values recursively: refuse deep nesting before it starts.
    if let Some(offset) = too_deep(xml, max_depth) {
        return Err(PropsError {
            offset,
            message: format!("expected properties nested at most {max_depth} deep"),
        });
    }
    let value = plist::Value::from_reader_xml(xml).map_err(|e| PropsError {
        offset: plist_error_offset(&e).unwrap_or(0),
        message: format!("expected an XML property list ({e})"),
    })?;
    let plist::Value::Dictionary(dict) = value else {
        let found = kind(&value);
        dispose(value);
        return Err(PropsError {
            offset: 0,
            message: format!("expected a dictionary of properties, found {found}"),
        });
    };
    let mut out = Properties::with_capacity(dict.len());
    let mut rest = dict.into_iter();
    for (k, v) in rest.by_ref() {
        match convert(v, 1, max_depth) {
            Ok(v) => out.push((Text::from(k), v)),
            Err(e) => {
                rest.for_each(|(_, v)| dispose(v));
                return Err(e);
            }
        }
    }
    Ok(out)
}

fn convert(v: plist::Value, depth: usize, max: usize) -> Result<Value, PropsError> {
    if depth > max {
        dispose(v);
        return Err(PropsError {
            offset: 0,
            message: format!("expected properties nested at most {max} deep"),
        });
    }
    Ok(match v {
        plist::Value::Dictionary(d) => {
            let mut out = Vec::with_capacity(d.len());
            let mut rest = d.into_iter();
            for (k, v) in rest.by_ref() {
                match convert(v, depth + 1, max) {
                    Ok(v) => out.push((Text::from(k), v)),
                    Err(e) => {
                        rest.for_each(|(_, v)| dispose(v));
                        return Err(e);
                    }
                }
            }
            Value::Dict(out)
        }
        plist::Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            let mut rest = a.into_iter();
            for v in rest.by_ref() {
                match convert(v, depth + 1, max) {
                    Ok(v) => out.push(v),
                    Err(e) => {
                        rest.for_each(dispose);
                        return Err(e);
                    }
                }
            }
            Value::Array(out)
        }
        plist::Value::String(s) => Value::String(Text::from(s)),
        plist::Value::Boolean(b) => Value::Bool(b),
        plist::Value::Data(d) => Value::Data(d.into_boxed_slice()),
        plist::Value::Real(r) => Value::Real(r),
        plist::Value::Date(d) => Value::Date(Date(cf_seconds(d.into()))),
        plist::Value::Integer(i) => Value::Integer(integer(i)),
        // Not produced by the XML reader; kept rather than dropped.
        plist::Value::Uid(u) => Value::Raw {
            text: Text::from(format!("CF$UID {}", u.get())),
            clipped: false,
        },
        other => Value::Raw {
            text: Text::from(format!("{other:?}")),
            clipped: false,
        },
    })
}

/// IOKit numbers are unsigned 64-bit; a negative literal keeps its sign.
fn integer(i: plist::Integer) -> Integer {
    match (i.as_unsigned(), i.as_signed()) {
        (Some(u), _) => Integer::unsigned(u, 64),
        (None, Some(s)) => Integer::signed(s, 64),
        (None, None) => Integer::unsigned(0, 64),
    }
}

fn cf_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64() - CF_EPOCH,
        Err(e) => -e.duration().as_secs_f64() - CF_EPOCH,
    }
}

fn kind(v: &plist::Value) -> &'static str {
    match v {
        plist::Value::Array(_) => "an array",
        plist::Value::Dictionary(_) => "a dictionary",
        plist::Value::String(_) => "a string",
        plist::Value::Data(_) => "data",
        _ => "a scalar",
    }
}

/// Drops a value without recursion, so hostile nesting cannot overflow the stack.
fn dispose(v: plist::Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            plist::Value::Array(a) => stack.extend(a),
            plist::Value::Dictionary(d) => stack.extend(d.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// Where `<array>`/`<dict>` elements first nest deeper than `max` (plus the root), if they do.
/// Comments, CDATA, processing instructions and declarations are skipped.
fn too_deep(xml: &[u8], max: usize) -> Option<u64> {
    let find = |from: usize, pat: &[u8]| memchr::memmem::find(&xml[from..], pat).map(|p| from + p);
    let (mut depth, mut i) = (0usize, 0usize);
    while let Some(p) = memchr::memchr(b'<', &xml[i..]) {
        let s = i + p;
        let rest = &xml[s + 1..];
        let end = if rest.starts_with(b"!--") {
            find(s, b"-->")
        } else if rest.starts_with(b"![CDATA[") {
            find(s, b"]]>")
        } else if rest.starts_with(b"?") || rest.starts_with(b"!") {
            find(s, b">")
        } else if let Some(name) = rest.strip_prefix(b"/") {
            if is_container(name) {
                depth = depth.saturating_sub(1);
            }
            Some(s)
        } else {
            let close = find(s, b">");
            let self_closing = close.is_some_and(|c| xml[c - 1] == b'/');
            if is_container(rest) && !self_closing {
                depth += 1;
                if depth > max + 1 {
                    return Some(s as u64);
                }
            }
            Some(s)
        };
        match end {
            Some(e) => i = e + 1,
            None => break,
        }
    }
    None
}

fn is_container(name: &[u8]) -> bool {
    [&b"array"[..], b"dict"].iter().any(|tag| {
        name.strip_prefix(*tag)
            .is_some_and(|after| after.first().is_none_or(|c| !c.is_ascii_alphanumeric()))
    })
}

/// The byte offset the `plist` crate puts in its message (`… (offset 123)`), if any.
pub(crate) fn plist_error_offset(e: &plist::Error) -> Option<u64> {
    let s = e.to_string();
    let tail = &s[s.rfind("(offset ")? + 8..];
    tail[..tail.find(')')?].parse().ok()
}
