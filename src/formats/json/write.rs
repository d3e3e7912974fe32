//! JSON writer: a stable, jq-friendly schema (also in `docs/json-schema.md`).
//!
//! ```text
//! {"planes": [{"name": "IOService", "roots": [ENTRY, …]}]}
//! ENTRY = {
//!   "name": "PCI0",                 // name in the plane (non-UTF-8 bytes decoded as MacRoman)
//!   "location": "0" | null,
//!   "class": "IOPCIDevice" | null,
//!   "chain": ["IOPCIDevice", "IOService", "IORegistryEntry"],   // leaf first; [] if unknown
//!   "id": "0x100000123" | null,     // hex string: registry IDs exceed 2^53
//!   "retain": 12 | null,
//!   "state": null                   // the source did not say
//!          | {"service": false}     // a plain registry entry
//!          | {"service": true, "bits": 6, "registered": true, "matched": true,
//!             "active": true, "busy": 0 | null, "busy_time_ns": 0 | null},
//!   "path": "IOService:/AppleACPIPlatformExpert/PCI0@0",
//!   "properties": {KEY: VALUE, …},  // in original order; absent if not selected
//!   "children": [ENTRY, …]          // absent below the -d limit
//! }
//! VALUE = string | bool | number | [VALUE…] | {KEY: VALUE…}
//!       | {"$int": "18446744073709551615"}       // integers beyond ±2^53 (jq uses doubles)
//!       | {"$data": "00ff10"}                    // lowercase hex
//!       | {"$data": "00001659", "$views": {"le32": "0x59160000", …}}   // with --decode
//!       | {"$date": "2024-05-01T12:00:00Z"}      // or {"$date": seconds since 2001-01-01}
//!                                                // if not whole or outside years 1…9999
//!       | {"$set": [VALUE…]}                     // OSSet
//!       | {"$real": "NaN" | "inf" | "-inf"}      // non-finite reals
//!       | {"$raw": "text", "clipped": bool}      // a value kept as raw text
//! ```
//! A dict key beginning with `$` is written with one more `$` (`$data` → `$$data`) so that it
//! cannot be taken for a tag. A plist UID (only keyed archives hold them) is a raw value,
//! `{"$raw": "UID(5)", "clipped": false}`. Every C0 and C1 control in a string is a `\u`
//! escape. With `--all-planes`, `planes` lists every plane.
//! Ordinary numbers are integers or reals as JSON numbers. A dict with repeated keys keeps
//! them all (JSON allows it; jq keeps the last). With `-r -t` an ancestor's `children`
//! holds only the next entry on the path to the match.

use crate::formats::Selection;
use crate::formats::select::{self, Selected};
use crate::registry::{EntryId, Registry, ServiceState, Text, Value, escape};
use crate::values;
use std::io::{self, BufWriter, Write};

/// Writes the selected part of `registry` as JSON: one object per plane written (one plane,
/// or every plane with `--all-planes`). With `decode`, each data value that has typed views also gets them
/// (`{"$data": "00001659", "$views": {"le32": "0x59160000"}}`, see [`crate::values`]).
pub(crate) fn write_with(
    registry: &Registry,
    selection: &Selection,
    decode: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    out.write_all(b"{\"planes\":[")?;
    for (n, plane) in select::planes(registry, selection)?.into_iter().enumerate() {
        let sel = select::select_in(registry, plane, selection, selection.options())?;
        let mut w = Json {
            out: &mut out,
            sel: &sel,
            registry,
            decode: decode.then(values::Context::default),
        };
        if n > 0 {
            w.raw(",")?;
        }
        w.raw("{\"name\":")?;
        w.string(sel.plane.name())?;
        w.raw(",\"roots\":[")?;
        for (i, top) in sel.tops.iter().enumerate() {
            if i > 0 {
                w.raw(",")?;
            }
            w.chain(&top.ancestors, top.entry)?;
        }
        w.raw("]}")?;
    }
    out.write_all(b"]}\n")?;
    out.flush()
}

struct Json<'a, 'o, 'w> {
    out: &'o mut BufWriter<&'w mut dyn Write>,
    sel: &'a Selected<'a>,
    registry: &'a Registry,
    /// `--decode`: the context of the entry whose properties are being written.
    decode: Option<values::Context>,
}

/// Largest integer jq (IEEE doubles) holds exactly.
const EXACT: i128 = 1 << 53;

/// Writing VALUEs (and strings, keys): shared by the dump and by anything else that prints
/// values as `dump --format json` does (`ioscope diff`).
trait JsonOut {
    fn out(&mut self) -> &mut dyn Write;

    fn raw(&mut self, s: &str) -> io::Result<()> {
        self.out().write_all(s.as_bytes())
    }

    /// A JSON string with every C0 and C1 control escaped (`\u009b`).
    fn string(&mut self, s: &str) -> io::Result<()> {
        if !escape::has_json_unescaped_controls(s) {
            // serde_json escapes C0 itself: the common case needs no copy.
            return serde_json::to_writer(self.out(), s).map_err(io::Error::from);
        }
        let json = serde_json::to_string(s).map_err(io::Error::other)?;
        self.raw(&escape::json_controls(&json))
    }

    /// A dict key: one beginning with `$` gets one more (`$data` → `$$data`), so that it never
    /// reads back as a tagged value; a reader drops one `$` from a key beginning with `$$`.
    fn key(&mut self, t: &Text) -> io::Result<()> {
        let key = t.to_string_lossy();
        if key.starts_with('$') {
            self.string(&format!("${key}"))
        } else {
            self.string(&key)
        }
    }

    fn text(&mut self, t: &Text) -> io::Result<()> {
        self.string(&t.to_string_lossy())
    }

    fn dict(&mut self, pairs: &[(Text, Value)]) -> io::Result<()> {
        self.raw("{")?;
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                self.raw(",")?;
            }
            self.key(k)?;
            self.raw(":")?;
            let views = match v {
                Value::Data(d) => self.data_views(&k.to_string_lossy(), d),
                _ => Vec::new(),
            };
            match v {
                Value::Data(d) if !views.is_empty() => self.decoded(d, &views)?,
                _ => self.value(v)?,
            }
        }
        self.raw("}")
    }

    /// The typed views of a data value under `key` (none unless decoding).
    fn data_views(&self, _key: &str, _d: &[u8]) -> Vec<values::View> {
        Vec::new()
    }

    /// `{"$data": "…", "$views": {"le32": "0x59160000", …}}`.
    fn decoded(&mut self, d: &[u8], views: &[values::View]) -> io::Result<()> {
        self.raw("{\"$data\":\"")?;
        for b in d {
            write!(self.out(), "{b:02x}")?;
        }
        self.raw("\",\"$views\":{")?;
        for (i, v) in views.iter().enumerate() {
            if i > 0 {
                self.raw(",")?;
            }
            self.string(v.name)?;
            self.raw(":")?;
            self.string(&v.text)?;
        }
        self.raw("}}")
    }

    fn list(&mut self, items: &[Value]) -> io::Result<()> {
        self.raw("[")?;
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                self.raw(",")?;
            }
            self.value(v)?;
        }
        self.raw("]")
    }

    fn value(&mut self, v: &Value) -> io::Result<()> {
        match v {
            Value::Dict(pairs) => self.dict(pairs),
            Value::Array(items) => self.list(items),
            Value::Set(items) => {
                self.raw("{\"$set\":")?;
                self.list(items)?;
                self.raw("}")
            }
            Value::String(t) => self.text(t),
            Value::Integer(i) => {
                let n = i.value();
                if (-EXACT..=EXACT).contains(&n) {
                    write!(self.out(), "{n}")
                } else {
                    write!(self.out(), "{{\"$int\":\"{n}\"}}")
                }
            }
            Value::Bool(b) => self.raw(if *b { "true" } else { "false" }),
            Value::Data(d) => {
                self.raw("{\"$data\":\"")?;
                for b in d.iter() {
                    write!(self.out(), "{b:02x}")?;
                }
                self.raw("\"}")
            }
            Value::Date(d) => {
                // Whole seconds within years 1…9999 as ISO 8601; any other date (fractional,
                // before year 1, after 9999) as its exact seconds since 2001-01-01.
                let (iso, exact) = crate::formats::archive::write::iso_date(d.0);
                if exact {
                    write!(self.out(), "{{\"$date\":\"{iso}\"}}")
                } else {
                    self.raw("{\"$date\":")?;
                    self.real(d.0)?;
                    self.raw("}")
                }
            }
            Value::Real(r) => self.real(*r),
            Value::Raw { text, clipped } => {
                self.raw("{\"$raw\":")?;
                self.text(text)?;
                write!(self.out(), ",\"clipped\":{clipped}}}")
            }
        }
    }

    fn real(&mut self, r: f64) -> io::Result<()> {
        if r.is_finite() {
            write!(self.out(), "{r:?}")
        } else {
            write!(self.out(), "{{\"$real\":\"{r}\"}}")
        }
    }
}

impl JsonOut for Json<'_, '_, '_> {
    fn out(&mut self) -> &mut dyn Write {
        self.out
    }

    fn data_views(&self, key: &str, d: &[u8]) -> Vec<values::View> {
        match &self.decode {
            Some(cx) => values::data_views(key, d, cx)
                .into_iter()
                .filter(|v| v.name != "hex")
                .collect(),
            None => Vec::new(),
        }
    }
}

/// A bare writer of values.
struct Plain<'w>(&'w mut dyn Write);

impl JsonOut for Plain<'_> {
    fn out(&mut self) -> &mut dyn Write {
        self.0
    }
}

/// One VALUE exactly as `dump --format json` writes it (tags, escapes and all).
pub(crate) fn value_json(v: &Value) -> String {
    let mut buf = Vec::new();
    let _ = Plain(&mut buf).value(v);
    String::from_utf8(buf).unwrap_or_default()
}

impl Json<'_, '_, '_> {
    fn chain(&mut self, ancestors: &[EntryId], entry: EntryId) -> io::Result<()> {
        match ancestors.split_first() {
            None => self.entry(entry, 0, None),
            Some((&a, rest)) => self.entry(a, 0, Some((rest, entry))),
        }
    }

    fn entry(
        &mut self,
        id: EntryId,
        depth: usize,
        single: Option<(&[EntryId], EntryId)>,
    ) -> io::Result<()> {
        let (r, plane) = (self.registry, self.sel.plane);
        let e = r.entry(id);
        self.raw("{\"name\":")?;
        self.text(r.name_in(plane, id))?;
        self.raw(",\"location\":")?;
        match r.location_in(plane, id) {
            Some(l) => self.text(l)?,
            None => self.raw("null")?,
        }
        self.raw(",\"class\":")?;
        match r.class_name(id) {
            Some(c) => self.string(c)?,
            None => self.raw("null")?,
        }
        self.raw(",\"chain\":[")?;
        for (i, c) in r.class_chain(id).iter().enumerate() {
            if i > 0 {
                self.raw(",")?;
            }
            self.string(c)?;
        }
        self.raw("],\"id\":")?;
        match e.id {
            Some(n) => write!(self.out, "\"0x{n:x}\"")?,
            None => self.raw("null")?,
        }
        self.raw(",\"retain\":")?;
        match e.retain {
            Some(n) => write!(self.out, "{n}")?,
            None => self.raw("null")?,
        }
        self.raw(",\"state\":")?;
        self.state(e.state)?;
        self.raw(",\"path\":")?;
        match r.path_in(plane, id) {
            Some(p) => self.string(&p)?,
            None => self.raw("null")?,
        }
        // Every parent in the plane, the first first (omitted when the source has no IDs).
        if e.id.is_some() {
            let parents: Vec<u64> = plane.parents(id).filter_map(|p| r.entry(p).id).collect();
            self.raw(",\"parents\":[")?;
            for (i, p) in parents.iter().enumerate() {
                if i > 0 {
                    self.raw(",")?;
                }
                write!(self.out, "\"0x{p:x}\"")?;
            }
            self.raw("]")?;
        }
        if self.sel.shows_properties(id) {
            if self.decode.is_some() {
                self.decode = Some(values::Context::of(r, id));
            }
            self.raw(",\"properties\":")?;
            // Visited once: decoded for the write, not kept (`EntryProperties::with`).
            e.properties
                .with(|list| self.dict(list))
                .map_err(io::Error::other)??;
        }
        match single {
            Some((rest, entry)) => {
                self.raw(",\"children\":[")?;
                self.chain(rest, entry)?;
                self.raw("]")?;
            }
            None if self.sel.expands(depth) => {
                self.raw(",\"children\":[")?;
                let children: Vec<EntryId> = self.sel.children(id).collect();
                for (i, c) in children.into_iter().enumerate() {
                    if i > 0 {
                        self.raw(",")?;
                    }
                    self.entry(c, depth + 1, None)?;
                }
                self.raw("]")?;
            }
            None => {}
        }
        self.raw("}")
    }

    fn state(&mut self, state: ServiceState) -> io::Result<()> {
        match state {
            ServiceState::Unknown => self.raw("null"),
            ServiceState::NotService => self.raw("{\"service\":false}"),
            ServiceState::Service(s) => {
                write!(
                    self.out,
                    "{{\"service\":true,\"bits\":{},\"registered\":{},\"matched\":{},\"active\":{},\"busy\":",
                    s.state,
                    s.registered(),
                    s.matched(),
                    s.active()
                )?;
                match s.busy {
                    Some(b) => write!(self.out, "{b}")?,
                    None => self.raw("null")?,
                }
                self.raw(",\"busy_time_ns\":")?;
                match s.busy_time_ns {
                    Some(t) => write!(self.out, "{t}")?,
                    None => self.raw("null")?,
                }
                self.raw("}")
            }
        }
    }
}
