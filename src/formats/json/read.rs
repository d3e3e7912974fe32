//! Reads ioscope's own JSON export back (`dump --format json`, schema in docs/json-schema.md).
//!
//! A small parser of its own, not `serde_json::Value`: property order and repeated keys must
//! survive (a `Map` sorts and merges them), and the nesting limit is [`Limits::max_depth`]
//! rather than a fixed 128. Entries that carry the same `id` (one entry in several planes, or
//! under several parents) become one entry; entries without an `id` stay apart.
//!
//! What JSON does not keep comes back as the schema says: integer widths (every integer is
//! 64-bit, signed when negative), non-UTF-8 bytes (decoded as MacRoman by the writer).

use crate::formats::{Limits, ReadError};
use crate::registry::{
    Civil, Date, Entry, EntryId, Integer, Origin, Registry, ServiceInfo, ServiceState, Text, Value,
};
use std::collections::HashMap;

/// Whether the bytes look like ioscope's JSON export: an object whose first key is `planes`.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut rest = head.iter().skip_while(|c| c.is_ascii_whitespace());
    if rest.next() != Some(&b'{') {
        return false;
    }
    let rest: Vec<u8> = rest
        .filter(|c| !c.is_ascii_whitespace())
        .take(9)
        .copied()
        .collect();
    rest.starts_with(b"\"planes\"")
}

/// Reads the JSON export into a registry.
pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Registry, ReadError> {
    let mut parser = Parser {
        bytes,
        pos: 0,
        max_depth: limits.max_depth,
    };
    parser.skip_bom();
    let doc = parser.value()?;
    parser.ws();
    if parser.pos != bytes.len() {
        return Err(parser.error("expected the end of the document after the top object"));
    }
    let mut builder = Builder {
        registry: Registry::new(),
        by_id: HashMap::new(),
        limits,
    };
    builder.registry.report.origin = Origin::IoscopeJson;
    let planes = doc
        .get("planes")
        .and_then(J::as_array)
        .ok_or_else(|| ReadError::byte(0, "expected {\"planes\": […]} at the top"))?;
    for plane in planes {
        let name = plane
            .get("name")
            .and_then(J::as_str)
            .ok_or_else(|| ReadError::byte(plane.at, "expected a plane with a \"name\""))?;
        let roots = plane
            .get("roots")
            .and_then(J::as_array)
            .ok_or_else(|| ReadError::byte(plane.at, "expected a plane with \"roots\": […]"))?;
        builder.registry.plane_mut(name);
        for root in roots {
            builder.entry(name, None, root)?;
        }
    }
    Ok(builder.registry)
}

/// A parsed JSON value with the byte offset it starts at (for messages).
#[derive(Debug)]
struct J {
    at: u64,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Null,
    Bool(bool),
    /// The number as written (integers and reals are told apart when converted).
    Number(String),
    String(String),
    Array(Vec<J>),
    Object(Vec<(String, J)>),
}

impl J {
    fn get(&self, key: &str) -> Option<&J> {
        match &self.kind {
            Kind::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&[J]> {
        match &self.kind {
            Kind::Array(items) => Some(items),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    fn as_u64(&self) -> Option<u64> {
        match &self.kind {
            Kind::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
}

struct Parser<'b> {
    bytes: &'b [u8],
    pos: usize,
    max_depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> ReadError {
        ReadError::byte(self.pos as u64, message)
    }

    fn skip_bom(&mut self) {
        if self.bytes.starts_with(b"\xef\xbb\xbf") {
            self.pos = 3;
        }
    }

    fn ws(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// One value, iteratively: containers being filled wait on a stack, so that nesting costs
    /// heap, not call stack, and is bounded by `max_depth`.
    fn value(&mut self) -> Result<J, ReadError> {
        enum Frame {
            Array(u64, Vec<J>),
            Object(u64, Vec<(String, J)>, String),
        }
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            self.ws();
            let at = self.pos as u64;
            let mut done = match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if stack.len() >= self.max_depth {
                        return Err(self.error(&format!(
                            "expected at most {} levels of nesting",
                            self.max_depth
                        )));
                    }
                    self.pos += 1;
                    if open == b'[' {
                        if self.eat(b']') {
                            J {
                                at,
                                kind: Kind::Array(Vec::new()),
                            }
                        } else {
                            stack.push(Frame::Array(at, Vec::new()));
                            continue;
                        }
                    } else if self.eat(b'}') {
                        J {
                            at,
                            kind: Kind::Object(Vec::new()),
                        }
                    } else {
                        let key = self.key()?;
                        stack.push(Frame::Object(at, Vec::new(), key));
                        continue;
                    }
                }
                Some(b'"') => J {
                    at,
                    kind: Kind::String(self.string()?),
                },
                Some(b't') => J {
                    at,
                    kind: self.word(b"true", Kind::Bool(true))?,
                },
                Some(b'f') => J {
                    at,
                    kind: self.word(b"false", Kind::Bool(false))?,
                },
                Some(b'n') => J {
                    at,
                    kind: self.word(b"null", Kind::Null)?,
                },
                Some(c) if c == b'-' || c.is_ascii_digit() => J {
                    at,
                    kind: Kind::Number(self.number()?),
                },
                Some(_) => return Err(self.error("expected a JSON value")),
                None => return Err(self.error("expected a JSON value, found the end of the file")),
            };
            // Hand the finished value to its container, closing every container it completes.
            loop {
                match stack.last_mut() {
                    None => return Ok(done),
                    Some(Frame::Array(_, items)) => {
                        items.push(done);
                        if self.eat(b',') {
                            break;
                        }
                        if !self.eat(b']') {
                            return Err(self.error("expected ',' or ']' in an array"));
                        }
                    }
                    Some(Frame::Object(_, pairs, key)) => {
                        pairs.push((std::mem::take(key), done));
                        if self.eat(b',') {
                            *key = self.key()?;
                            break;
                        }
                        if !self.eat(b'}') {
                            return Err(self.error("expected ',' or '}' in an object"));
                        }
                    }
                }
                done = match stack.pop() {
                    Some(Frame::Array(at, items)) => J {
                        at,
                        kind: Kind::Array(items),
                    },
                    Some(Frame::Object(at, pairs, _)) => J {
                        at,
                        kind: Kind::Object(pairs),
                    },
                    None => unreachable!("a container was on the stack"),
                };
            }
        }
    }

    /// An object key and its `:`.
    fn key(&mut self) -> Result<String, ReadError> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string key in an object"));
        }
        let key = self.string()?;
        if !self.eat(b':') {
            return Err(self.error("expected ':' after a key"));
        }
        Ok(key)
    }

    fn word(&mut self, word: &[u8], kind: Kind) -> Result<Kind, ReadError> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.error("expected true, false or null"))
        }
    }

    fn number(&mut self) -> Result<String, ReadError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default();
        if text.parse::<f64>().is_err() {
            self.pos = start;
            return Err(self.error("expected a number"));
        }
        Ok(text.to_owned())
    }

    fn string(&mut self) -> Result<String, ReadError> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let start = self.pos;
            while self
                .peek()
                .is_some_and(|c| c != b'"' && c != b'\\' && c >= 0x20)
            {
                self.pos += 1;
            }
            out.extend_from_slice(&self.bytes[start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return String::from_utf8(out)
                        .map_err(|_| self.error("expected UTF-8 text in a string"));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(_) => return Err(self.error("expected a control character to be escaped")),
                None => return Err(self.error("expected '\"' to end a string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, ReadError> {
        let c = self
            .peek()
            .ok_or_else(|| self.error("expected an escape"))?;
        self.pos += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xd800..0xdc00).contains(&hi) && self.bytes[self.pos..].starts_with(b"\\u") {
                    let save = self.pos;
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if (0xdc00..0xe000).contains(&lo) {
                        let c = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                        return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
                    }
                    self.pos = save;
                }
                char::from_u32(hi).unwrap_or('\u{fffd}')
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("expected a JSON escape (\\n, \\u0041, …)"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, ReadError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("expected four hex digits after \\u"))?;
        self.pos += 4;
        Ok(digits)
    }
}

struct Builder<'l> {
    registry: Registry,
    /// Registry entry ID → entry, so that an entry listed again (another plane, another
    /// parent) is the same entry.
    by_id: HashMap<u64, EntryId>,
    limits: &'l Limits,
}

impl Builder<'_> {
    /// One ENTRY object and its children, iteratively (trees may be deep).
    fn entry(&mut self, plane: &str, parent: Option<EntryId>, node: &J) -> Result<(), ReadError> {
        let mut stack: Vec<(Option<EntryId>, &J)> = vec![(parent, node)];
        while let Some((parent, node)) = stack.pop() {
            let id = self.identify(plane, node)?;
            let p = self.registry.plane_mut(plane);
            match parent {
                // A (parent, child) link listed again (the entry's subtree repeated under
                // another parent) is kept once by the plane.
                Some(parent) => {
                    let _ = p.add_child(parent, id);
                }
                None => p.add_root(id),
            }
            if let Some(children) = node.get("children") {
                let children = children
                    .as_array()
                    .ok_or_else(|| ReadError::byte(children.at, "expected \"children\": […]"))?;
                for child in children.iter().rev() {
                    stack.push((Some(id), child));
                }
            }
        }
        Ok(())
    }

    /// The entry an ENTRY object stands for: the one with its `id` if read before, else new.
    fn identify(&mut self, plane: &str, node: &J) -> Result<EntryId, ReadError> {
        if !matches!(node.kind, Kind::Object(_)) {
            return Err(ReadError::byte(node.at, "expected an entry object"));
        }
        let name = node
            .get("name")
            .and_then(J::as_str)
            .ok_or_else(|| ReadError::byte(node.at, "expected an entry with a \"name\""))?;
        let location = node.get("location").and_then(J::as_str);
        let rid = match node.get("id").map(|j| (j, j.as_str())) {
            Some((_, Some(hex))) => Some(
                hex.strip_prefix("0x")
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        ReadError::byte(node.at, "expected \"id\" as a hex string (\"0x…\")")
                    })?,
            ),
            _ => None,
        };
        if let Some(&id) = rid.and_then(|r| self.by_id.get(&r)) {
            // Another plane may name and place the entry differently.
            let (own_name, own_loc) = {
                let e = self.registry.entry(id);
                (e.name.clone(), e.location.clone())
            };
            let p = self.registry.plane_mut(plane);
            if !p.contains(id) {
                if own_name != *name {
                    p.set_name_override(id, Text::from(name));
                }
                if own_loc.as_ref().map(Text::as_bytes) != location.map(str::as_bytes) {
                    p.set_location_override(id, location.map(Text::from));
                }
            }
            return Ok(id);
        }
        if self.registry.len() >= self.limits.max_entries {
            return Err(ReadError::byte(
                node.at,
                format!("expected at most {} entries", self.limits.max_entries),
            ));
        }
        let mut entry = Entry::named(name);
        entry.location = location.map(Text::from);
        entry.id = rid;
        entry.retain = node
            .get("retain")
            .and_then(J::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        entry.state = state(node.get("state"));
        entry.class = self.class(node);
        if let Some(props) = node.get("properties") {
            match &props.kind {
                Kind::Object(pairs) => {
                    for (k, v) in pairs {
                        entry.properties.push((key(k), value(v)?));
                    }
                }
                _ => return Err(ReadError::byte(props.at, "expected \"properties\": {…}")),
            }
        }
        let id = self.registry.add_entry(entry);
        if let Some(r) = rid {
            self.by_id.insert(r, id);
        }
        Ok(id)
    }

    /// `chain` (leaf first) interned base first, or `class` alone.
    fn class(&mut self, node: &J) -> Option<crate::registry::ClassId> {
        let chain: Vec<&str> = node
            .get("chain")
            .and_then(J::as_array)
            .map(|c| c.iter().filter_map(J::as_str).collect())
            .unwrap_or_default();
        let classes = &mut self.registry.classes;
        if !chain.is_empty() {
            return classes.intern_chain(chain.iter().rev().copied());
        }
        node.get("class")
            .and_then(J::as_str)
            .map(|c| classes.intern(c))
    }
}

/// A dict key: `$$x` is the written form of `$x` (see docs/json-schema.md).
fn key(k: &str) -> Text {
    Text::from(
        k.strip_prefix('$')
            .filter(|r| r.starts_with('$'))
            .unwrap_or(k),
    )
}

fn state(j: Option<&J>) -> ServiceState {
    let Some(j) = j else {
        return ServiceState::Unknown;
    };
    match j.get("service").map(|s| &s.kind) {
        Some(Kind::Bool(true)) => ServiceState::Service(ServiceInfo {
            state: j.get("bits").and_then(J::as_u64).unwrap_or(0),
            busy: j
                .get("busy")
                .and_then(J::as_u64)
                .and_then(|b| u32::try_from(b).ok()),
            busy_time_ns: j.get("busy_time_ns").and_then(J::as_u64),
        }),
        Some(Kind::Bool(false)) => ServiceState::NotService,
        _ => ServiceState::Unknown,
    }
}

/// One VALUE: JSON types directly, tagged objects (`{"$data": …}`) as their values.
fn value(j: &J) -> Result<Value, ReadError> {
    let bad = |what: &str| ReadError::byte(j.at, format!("expected {what}"));
    Ok(match &j.kind {
        Kind::Null => return Err(bad("a value, not null")),
        Kind::Bool(b) => Value::Bool(*b),
        Kind::String(s) => Value::string(s),
        Kind::Number(n) => number(n).ok_or_else(|| bad("a 64-bit integer or a real"))?,
        Kind::Array(items) => Value::Array(items.iter().map(value).collect::<Result<_, _>>()?),
        Kind::Object(pairs) => match pairs.first() {
            Some((tag, v)) if tag.starts_with('$') && !tag.starts_with("$$") => {
                tagged(tag, v, pairs).ok_or_else(|| bad(&format!("a valid {tag} value")))??
            }
            _ => Value::Dict(
                pairs
                    .iter()
                    .map(|(k, v)| Ok((key(k), value(v)?)))
                    .collect::<Result<_, ReadError>>()?,
            ),
        },
    })
}

/// A tagged value; `None` when the tag or its content is not the schema's.
fn tagged(tag: &str, v: &J, pairs: &[(String, J)]) -> Option<Result<Value, ReadError>> {
    Some(Ok(match (tag, &v.kind) {
        ("$int", Kind::String(n)) => number(n)?,
        ("$data", Kind::String(hex)) => Value::Data(unhex(hex)?.into()),
        ("$date", Kind::String(iso)) => Value::Date(Date(parse_iso(iso)?)),
        ("$date", Kind::Number(n)) => Value::Date(Date(n.parse().ok()?)),
        ("$set", Kind::Array(items)) => {
            return Some(
                items
                    .iter()
                    .map(value)
                    .collect::<Result<_, _>>()
                    .map(Value::Set),
            );
        }
        ("$real", Kind::String(r)) => Value::Real(match r.as_str() {
            "NaN" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            _ => return None,
        }),
        ("$raw", Kind::String(text)) => Value::Raw {
            text: Text::from(text.as_str()),
            clipped: pairs
                .iter()
                .any(|(k, v)| k == "clipped" && matches!(v.kind, Kind::Bool(true))),
        },
        _ => return None,
    }))
}

/// An integer (64-bit, signed when negative) or a real (written with `.` or an exponent).
fn number(n: &str) -> Option<Value> {
    if n.contains(['.', 'e', 'E']) {
        return n.parse().ok().map(Value::Real);
    }
    if let Ok(u) = n.parse::<u64>() {
        return Some(Value::Integer(Integer::unsigned(u, 64)));
    }
    n.parse::<i64>()
        .ok()
        .map(|i| Value::Integer(Integer::signed(i, 64)))
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `YYYY-MM-DDTHH:MM:SSZ` to seconds since 2001-01-01 (the plist epoch).
fn parse_iso(iso: &str) -> Option<f64> {
    let b = iso.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| iso.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let civil = Civil {
        year: y,
        month: m,
        day: d,
        hour: hh,
        minute: mm,
        second: ss,
    };
    Some(civil.cf_seconds() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_only_the_export() {
        assert!(looks_like(b"{\"planes\":[]}"));
        assert!(looks_like(b" \n{ \"planes\" : [ ] }"));
        assert!(!looks_like(b"{\"reader\": \"x\"}"));
        assert!(!looks_like(b"+-o Root  <class IORegistryEntry>"));
    }

    #[test]
    fn iso_dates_invert_the_writer() {
        assert_eq!(parse_iso("2001-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_iso("1970-01-01T00:00:00Z"), Some(-978_307_200.0));
        assert_eq!(parse_iso("2024-05-01T12:00:00Z"), Some(736_257_600.0));
        assert_eq!(parse_iso("2024-13-01T12:00:00Z"), None);
    }

    #[test]
    fn values_order_and_repeated_keys_survive() {
        let doc = br#"{"planes":[{"name":"IOService","roots":[{"name":"Root","location":null,
            "class":"IORegistryEntry","chain":["IORegistryEntry","OSObject"],"id":"0x100000100",
            "retain":3,"state":{"service":false},"path":null,
            "properties":{"z":1,"a":-2,"z":"again","$$data":true,"d":{"$data":"00ff"},
              "r":1.5,"big":{"$int":"18446744073709551615"},"s":{"$set":[1]},
              "t":{"$date":"2024-05-01T12:00:00Z"},"old":{"$date":-70000000000.0},
              "raw":{"$raw":"x","clipped":true},"n":{"$real":"NaN"}},"children":[]}]}]}"#;
        let r = read(doc, &Limits::default()).unwrap();
        let e = r.entry(EntryId(0));
        let keys: Vec<String> = e.properties.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(
            keys,
            [
                "z", "a", "z", "$data", "d", "r", "big", "s", "t", "old", "raw", "n"
            ]
        );
        assert_eq!(e.property("$data"), Some(&Value::Bool(true)));
        assert_eq!(e.property("d"), Some(&Value::Data(vec![0, 0xff].into())));
        assert_eq!(
            e.property("old"),
            Some(&Value::Date(Date(-70_000_000_000.0)))
        );
        assert_eq!(r.class_name(EntryId(0)), Some("IORegistryEntry"));
        assert_eq!(e.id, Some(0x1_0000_0100));
    }

    #[test]
    fn bad_json_names_the_byte() {
        let err = read(b"{\"planes\":[{\"name\":1}]}", &Limits::default()).unwrap_err();
        assert!(err.message.starts_with("expected"), "{err}");
        let err = read(b"{\"planes\":[", &Limits::default()).unwrap_err();
        assert_eq!(err.at, crate::formats::Position::Byte(11));
        let deep = format!("{{\"planes\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
        assert!(read(deep.as_bytes(), &Limits::default()).is_err());
    }
}
