//! `ioreg -a` compatible XML plist writer, lossless for everything the model holds.
//!
//! Each entry is a dict holding `ioreg`'s synthetic keys (`IORegistryEntryName`,
//! `IORegistryEntryLocation`, `IORegistryEntryID`, `IOObjectClass`, `IOObjectInheritance`
//! base first, `IOObjectRetainCount`, `IOServiceState`/`IOServiceBusyState`/`IOServiceBusyTime`
//! for services, `IORegistryEntryChildren`) and its properties. What `ioreg`'s format cannot
//! hold goes into `ioscope:` keys (see [`keys`]) that plistlib and other readers keep as
//! ordinary keys: exact bytes of non-UTF-8 or XML-unsafe text, per-plane names and locations,
//! the root flag, an unknown service state, the load report, and per-value annotations
//! (integer width/sign/radix, sets, raw values and their clipped flag, fractional dates).
//!
//! The root is one dict, or an array of dicts with `-r` or when the plane has several roots
//! (as `ioreg -r -a` writes). With `-r -t` ancestors hold their child as a single dict.
//!
//! Hand-written rather than the `plist` crate's `XmlWriter`: that writer needs a
//! `plist::Value` or event per item (an extra copy of every string for 100 MB dumps) and
//! cannot tell us when a string was not representable, which we must know to annotate it.

use crate::formats::Selection;
use crate::formats::archive::{keys, report};
use crate::formats::select::{Selected, select};
use crate::registry::{Civil, EntryId, IntRadix, Integer, Registry, ServiceState, Text, Value};
use base64::Engine;
use std::io::{self, BufWriter, Write};

const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n";

/// Writes the selected part of `registry` as an `ioreg -a` XML archive.
pub(crate) fn write(
    registry: &Registry,
    selection: &Selection,
    out: &mut dyn Write,
) -> io::Result<()> {
    let sel = select(registry, selection)?;
    let mut w = Writer {
        out: BufWriter::with_capacity(1 << 20, out),
        sel: &sel,
        registry,
        indent: 0,
        annotate: selection.annotate,
    };
    w.raw(HEADER)?;
    let as_array = sel.subtrees || sel.tops.len() != 1 || registry.report.array_root;
    if as_array {
        w.line("<array>")?;
        w.indent += 1;
    }
    for (i, top) in sel.tops.iter().enumerate() {
        w.chain(&top.ancestors, top.entry, Some(i == 0))?;
    }
    if as_array {
        w.indent -= 1;
        w.line("</array>")?;
    }
    w.raw("</plist>\n")?;
    w.out.flush()
}

struct Writer<'a, 'w> {
    out: BufWriter<&'w mut dyn Write>,
    sel: &'a Selected<'a>,
    registry: &'a Registry,
    indent: usize,
    /// Add ioscope's own `ioscope:` keys (see [`Selection::annotate`]).
    annotate: bool,
}

/// Where an annotation points, and its collected list.
struct Notes {
    path: Vec<usize>,
    list: Vec<Value>,
}

impl Notes {
    fn add(&mut self, kind: &str, extra: Vec<(Text, Value)>) {
        let path = self
            .path
            .iter()
            .map(|&i| Value::Integer(Integer::unsigned(i as u64, 64)))
            .collect();
        let mut d = vec![
            (Text::from(keys::annotation::PATH), Value::Array(path)),
            (Text::from(keys::annotation::KIND), Value::string(kind)),
        ];
        d.extend(extra);
        self.list.push(Value::Dict(d));
    }
}

fn bytes_field(t: &Text) -> (Text, Value) {
    ("bytes".into(), Value::Data(t.as_bytes().into()))
}

impl Writer<'_, '_> {
    fn raw(&mut self, s: &str) -> io::Result<()> {
        self.out.write_all(s.as_bytes())
    }

    fn tabs(&mut self) -> io::Result<()> {
        const T: &[u8] = &[b'\t'; 64];
        let mut n = self.indent;
        while n > 0 {
            let k = n.min(T.len());
            self.out.write_all(&T[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn line(&mut self, s: &str) -> io::Result<()> {
        self.tabs()?;
        self.out.write_all(s.as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// `ancestors` (with `-t`), each holding the next as its single child, then `entry`'s tree.
    fn chain(
        &mut self,
        ancestors: &[EntryId],
        entry: EntryId,
        first: Option<bool>,
    ) -> io::Result<()> {
        match ancestors.split_first() {
            None => self.node(entry, 0, first, None),
            Some((&a, rest)) => self.node(a, 0, first, Some((rest, entry))),
        }
    }

    /// One entry dict. `top` is `Some(first)` for a top dict; `single` replaces the children by
    /// the rest of a `-t` chain.
    fn node(
        &mut self,
        id: EntryId,
        depth: usize,
        top: Option<bool>,
        single: Option<(&[EntryId], EntryId)>,
    ) -> io::Result<()> {
        self.line("<dict>")?;
        self.indent += 1;
        if let (Some(first), true) = (top, self.annotate) {
            self.top_keys(first)?;
        }
        self.identity(id)?;
        self.class_and_state(id)?;
        if self.sel.shows_properties(id) {
            self.properties(id)?;
        }
        match single {
            Some((rest, entry)) => {
                self.key_str(keys::CHILDREN)?;
                self.chain(rest, entry, None)?;
            }
            None => {
                let children: Vec<EntryId> = if self.sel.expands(depth) {
                    self.sel.children(id).collect()
                } else {
                    Vec::new()
                };
                if !children.is_empty() {
                    self.key_str(keys::CHILDREN)?;
                    self.line("<array>")?;
                    self.indent += 1;
                    for c in children {
                        self.node(c, depth + 1, None, None)?;
                    }
                    self.indent -= 1;
                    self.line("</array>")?;
                }
            }
        }
        self.indent -= 1;
        self.line("</dict>")
    }

    fn top_keys(&mut self, first: bool) -> io::Result<()> {
        self.key_str(keys::FORMAT)?;
        self.integer_line(1)?;
        self.key_str(keys::PLANE)?;
        self.string_exact(&Text::from(self.sel.plane.name()))?;
        if first {
            self.key_str(keys::REPORT)?;
            let mut notes = Notes {
                path: Vec::new(),
                list: Vec::new(),
            };
            self.value(&report::to_value(&self.registry.report), &mut notes)?;
        }
        Ok(())
    }

    /// Name and location in the plane, plus the entry's own ones when the plane overrides them.
    fn identity(&mut self, id: EntryId) -> io::Result<()> {
        let (r, plane) = (self.registry, self.sel.plane);
        let entry = r.entry(id);
        let name = r.name_in(plane, id);
        self.key_str(keys::NAME)?;
        if !self.string_exact(name)? && self.annotate {
            self.data_key(keys::PLANE_NAME_BYTES, name.as_bytes())?;
        }
        if plane.name_override(id).is_some() && self.annotate {
            self.data_key(keys::OWN_NAME, entry.name.as_bytes())?;
        }
        if let Some(loc) = r.location_in(plane, id) {
            self.key_str(keys::LOCATION)?;
            if !self.string_exact(loc)? && self.annotate {
                self.data_key(keys::PLANE_LOCATION_BYTES, loc.as_bytes())?;
            }
        }
        if plane.location_override(id).is_some() && self.annotate {
            match &entry.location {
                Some(own) => self.data_key(keys::OWN_LOCATION, own.as_bytes())?,
                None => {
                    self.key_str(keys::OWN_LOCATION)?;
                    self.line("<false/>")?;
                }
            }
        }
        if let Some(reg_id) = entry.id {
            self.key_str(keys::ID)?;
            self.integer_line(i128::from(reg_id))?;
        }
        if entry.is_root && self.annotate {
            self.key_str(keys::IS_ROOT)?;
            self.line("<true/>")?;
        }
        Ok(())
    }

    fn class_and_state(&mut self, id: EntryId) -> io::Result<()> {
        let r = self.registry;
        let entry = r.entry(id);
        if let Some(class) = r.class_name(id) {
            self.key_str(keys::CLASS)?;
            self.string_exact(&Text::from(class))?;
            let chain = r.class_chain(id);
            if chain.len() >= 2 {
                self.key_str(keys::INHERITANCE)?;
                self.line("<array>")?;
                self.indent += 1;
                for c in chain.iter().rev() {
                    self.string_exact(&Text::from(*c))?;
                }
                self.indent -= 1;
                self.line("</array>")?;
            }
        }
        if let Some(n) = entry.retain {
            self.key_str(keys::RETAIN)?;
            self.integer_line(i128::from(n))?;
        }
        match entry.state {
            ServiceState::Unknown if self.annotate => {
                self.key_str(keys::SERVICE)?;
                self.string_exact(&Text::from("unknown"))?;
            }
            ServiceState::Unknown => {}
            ServiceState::NotService => {}
            ServiceState::Service(info) => {
                self.key_str(keys::STATE)?;
                self.integer_line(i128::from(info.state))?;
                if let Some(b) = info.busy {
                    self.key_str(keys::BUSY)?;
                    self.integer_line(i128::from(b))?;
                }
                if let Some(t) = info.busy_time_ns {
                    self.key_str(keys::BUSY_TIME)?;
                    self.integer_line(i128::from(t))?;
                }
            }
        }
        Ok(())
    }

    fn properties(&mut self, id: EntryId) -> io::Result<()> {
        let mut notes = Notes {
            path: Vec::new(),
            list: Vec::new(),
        };
        // Visited once: decoded for the write, not kept (`EntryProperties::with`).
        let registry = self.registry;
        registry
            .entry(id)
            .properties
            .with(|list| {
                for (i, (k, v)) in list.iter().enumerate() {
                    notes.path.push(i);
                    self.key(k, &mut notes, true)?;
                    self.value(v, &mut notes)?;
                    notes.path.pop();
                }
                Ok::<_, io::Error>(())
            })
            .map_err(io::Error::other)??;
        if !notes.list.is_empty() && self.annotate {
            self.key_str(keys::ANNOTATIONS)?;
            let list = Value::Array(std::mem::take(&mut notes.list));
            self.value(&list, &mut notes)?;
        }
        Ok(())
    }

    fn key_str(&mut self, k: &str) -> io::Result<()> {
        self.tabs()?;
        self.raw("<key>")?;
        escape(&mut self.out, k)?;
        self.raw("</key>\n")
    }

    /// A key; an entry-level key that collides with ours is written with [`keys::ESCAPED_KEY`].
    fn key(&mut self, k: &Text, notes: &mut Notes, entry_level: bool) -> io::Result<()> {
        self.tabs()?;
        self.raw("<key>")?;
        if entry_level && keys::needs_escape(k.as_bytes()) {
            self.raw(keys::ESCAPED_KEY)?;
        }
        if !text_body(&mut self.out, k)? {
            notes.add(keys::annotation::KEY, vec![bytes_field(k)]);
        }
        self.raw("</key>\n")
    }

    fn data_key(&mut self, k: &str, bytes: &[u8]) -> io::Result<()> {
        self.key_str(k)?;
        self.data_line(bytes)
    }

    fn data_line(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.tabs()?;
        self.raw("<data>")?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        self.raw(&encoded)?;
        self.raw("</data>\n")
    }

    fn integer_line(&mut self, v: i128) -> io::Result<()> {
        self.tabs()?;
        writeln!(self.out, "<integer>{v}</integer>")
    }

    /// A `<string>`; false when the text had to be altered (not UTF-8, or XML-unsafe characters).
    fn string_exact(&mut self, t: &Text) -> io::Result<bool> {
        self.tabs()?;
        self.raw("<string>")?;
        let exact = text_body(&mut self.out, t)?;
        self.raw("</string>\n")?;
        Ok(exact)
    }

    fn value(&mut self, v: &Value, notes: &mut Notes) -> io::Result<()> {
        match v {
            Value::Dict(pairs) if pairs.is_empty() => self.line("<dict/>"),
            Value::Dict(pairs) => {
                self.line("<dict>")?;
                self.indent += 1;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    notes.path.push(i);
                    self.key(k, notes, false)?;
                    self.value(v, notes)?;
                    notes.path.pop();
                }
                self.indent -= 1;
                self.line("</dict>")
            }
            Value::Array(items) => self.array(items, notes),
            Value::Set(items) => {
                notes.add(keys::annotation::SET, Vec::new());
                self.array(items, notes)
            }
            Value::String(t) => {
                if !self.string_exact(t)? {
                    notes.add(keys::annotation::STRING, vec![bytes_field(t)]);
                }
                Ok(())
            }
            Value::Integer(i) => {
                if !is_default_integer(i) {
                    let extra = vec![
                        ("width".into(), Value::u64(u64::from(i.width))),
                        ("signed".into(), Value::Bool(i.signed)),
                        ("hex".into(), Value::Bool(i.radix == IntRadix::Hex)),
                    ];
                    notes.add(keys::annotation::INTEGER, extra);
                }
                self.integer_line(i.value())
            }
            Value::Bool(b) => self.line(if *b { "<true/>" } else { "<false/>" }),
            Value::Data(d) => self.data_line(d),
            Value::Date(d) => {
                let (iso, exact) = iso_date(d.0);
                if !exact {
                    notes.add(
                        keys::annotation::DATE,
                        vec![("seconds".into(), Value::Real(d.0))],
                    );
                }
                self.tabs()?;
                writeln!(self.out, "<date>{iso}</date>")
            }
            Value::Real(r) => {
                self.tabs()?;
                writeln!(self.out, "<real>{r:?}</real>")
            }
            Value::Raw { text, clipped } => {
                let exact = self.string_exact(text)?;
                let mut extra = vec![("clipped".into(), Value::Bool(*clipped))];
                if !exact {
                    extra.push(bytes_field(text));
                }
                notes.add(keys::annotation::RAW, extra);
                Ok(())
            }
        }
    }

    fn array(&mut self, items: &[Value], notes: &mut Notes) -> io::Result<()> {
        if items.is_empty() {
            return self.line("<array/>");
        }
        self.line("<array>")?;
        self.indent += 1;
        for (i, v) in items.iter().enumerate() {
            notes.path.push(i);
            self.value(v, notes)?;
            notes.path.pop();
        }
        self.indent -= 1;
        self.line("</array>")
    }
}

/// What the reader makes of a bare `<integer>`: negative → signed 64, else unsigned 64, decimal.
fn is_default_integer(i: &Integer) -> bool {
    i.width == 64 && i.radix == IntRadix::Decimal && i.signed == (i.value() < 0)
}

/// Whether a character may appear in XML 1.0 text.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Writes text escaped; non-UTF-8 text is written decoded as MacRoman and XML-unsafe
/// characters as U+FFFD. Returns whether the written text is exactly the original.
fn text_body(out: &mut impl Write, t: &Text) -> io::Result<bool> {
    match t.as_str() {
        Some(s) if s.chars().all(xml_char) => {
            escape(out, s)?;
            Ok(true)
        }
        _ => {
            let lossy = t.to_string_lossy();
            let clean: String = lossy
                .chars()
                .map(|c| if xml_char(c) { c } else { '\u{FFFD}' })
                .collect();
            escape(out, &clean)?;
            Ok(false)
        }
    }
}

/// XML-escapes `&`, `<`, `>` and `\r` (kept as `&#13;` so parsers do not fold it into `\n`).
fn escape(out: &mut impl Write, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' => b"&#13;",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(rep)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// ISO 8601 (`2024-05-01T12:00:00Z`) for seconds since 2001-01-01 UTC, and whether it is exact
/// (whole seconds within years 1…9999; otherwise the date is clamped and annotated).
pub(crate) fn iso_date(secs: f64) -> (String, bool) {
    const MIN: f64 = -63_113_904_000.0; // 0001-01-01
    const MAX: f64 = 252_423_993_599.0; // 9999-12-31T23:59:59
    let exact = secs.is_finite() && secs.fract() == 0.0 && (MIN..=MAX).contains(&secs);
    let s = if secs.is_finite() {
        secs.clamp(MIN, MAX).floor()
    } else {
        0.0
    } as i64;
    let c = Civil::from_cf_seconds(s);
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    (text, exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_8601_and_exact_only_for_whole_seconds() {
        assert_eq!(iso_date(0.0), ("2001-01-01T00:00:00Z".to_owned(), true));
        assert_eq!(iso_date(-1.0).0, "2000-12-31T23:59:59Z");
        assert_eq!(iso_date(0.5), ("2001-01-01T00:00:00Z".to_owned(), false));
        assert!(!iso_date(f64::NAN).1);
    }

    #[test]
    fn escaping_covers_markup_and_cr() {
        let mut v = Vec::new();
        escape(&mut v, "a<b>&c\r\n").unwrap();
        assert_eq!(v, b"a&lt;b&gt;&amp;c&#13;\n");
        let mut v = Vec::new();
        assert!(!text_body(&mut v, &Text::from("bell\u{7}")).unwrap());
        assert_eq!(String::from_utf8(v).unwrap(), "bell\u{FFFD}");
    }
}
