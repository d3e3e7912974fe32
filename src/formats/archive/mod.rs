//! Reader of `ioreg -a` archives (XML or binary plists).
//!
//! Shapes read: a root dict (plain `ioreg -a`), an array of dicts (`-r`), and the `-r -t`
//! form where an ancestor's `IORegistryEntryChildren` is a single dict. The plist events
//! are consumed straight into the model (no intermediate `plist::Value`).
//!
//! Decisions where `ioreg` is silent:
//! - The plane is IOService (`ioreg`'s default) unless an `ioscope:plane` key says otherwise;
//!   `ioreg -a` records no plane.
//! - Integers: negative values become signed 64-bit, others unsigned 64-bit (what `ioreg`
//!   text prints); `IORegistryEntryID`, written by `ioreg` as a signed 64-bit number, is
//!   taken as its 64-bit pattern.
//! - An entry with none of `IOServiceState`/`IOServiceBusyState`/`IOServiceBusyTime` is a
//!   plain registry entry (`ioreg` writes them for every IOService).
//! - The top dict of a non-`-r` archive is the registry root (`ioreg` starts there).
//! - IOKitTools-86…108 (2011–2019) wrote the entry's name into `IOObjectClass`. An archive
//!   is taken to carry that bug when every entry with a class has `IOObjectClass` equal to
//!   its name and there are at least two of them (or an entry named `Root` has class
//!   `Root`). Then those classes are dropped (unknown) and a warning says so: an unknown
//!   class is better than a wrong one. A class from a real `IOObjectInheritance` chain (two
//!   or more classes) is kept. Archives written by ioscope (`ioscope:format`) are never
//!   taken for buggy ones.
//! - A synthetic key with an unexpected type is kept as an ordinary property, with a warning.
//! - Keys starting with `ioscope:` restore what the `ioreg` format cannot hold (see `keys`).

pub(crate) mod bplist;
mod chunks;
mod events;
pub(crate) mod keys;
mod spans;
mod values;
mod xml;

pub(crate) use values::properties;

use super::{Limits, ReadError, ValueMode};
use crate::registry::{
    Budget, Date, Entry, EntryId, EntryProperties, IntRadix, Integer, Link, Origin, Properties,
    Registry, ServiceInfo, ServiceState, Text, Value,
};
use events::{Event, Events};
use std::borrow::Cow;
use std::collections::HashMap;
use values::{Values, text};

/// Reads an `ioreg -a` archive (XML in UTF-8, UTF-16 or UTF-32, or binary).
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Registry, ReadError> {
    super::encoding::read_as_utf8(bytes, &|_| {}, |bytes| {
        if !bplist::is_bplist(bytes) {
            return read_xml(bytes, limits, &|_| {}, ValueMode::Keep).map(|(registry, _)| registry);
        }
        let budget = Budget::decoded(limits, bytes.len());
        build(Events::new(bytes, limits, &budget), limits)
    })
}

/// Tests and fuzzing (`testkit`): an XML archive read in `chunks` chunks on up to `threads`
/// threads, or `None` when the chunks step aside (the one-thread [`read`] is the reference).
#[cfg(feature = "testkit")]
#[doc(hidden)]
pub fn read_in_chunks(
    bytes: &[u8],
    limits: &Limits,
    threads: usize,
    chunks: usize,
) -> Option<Registry> {
    chunks::read(bytes, limits, &|_| {}, threads, chunks, ValueMode::Keep)
        .map(|(registry, _)| registry)
}

/// Tests and fuzzing (`testkit`): [`read_in_chunks`] with the property values left in a copy
/// of `bytes` ([`ValueMode::Defer`]), as the loader leaves them in a large file.
#[cfg(feature = "testkit")]
#[doc(hidden)]
pub fn read_in_chunks_deferring(
    bytes: &[u8],
    limits: &Limits,
    threads: usize,
    chunks: usize,
) -> Option<Registry> {
    let (mut registry, _) =
        chunks::read(bytes, limits, &|_| {}, threads, chunks, ValueMode::Defer)?;
    super::Deferred::attach_memory(&mut registry, bytes, limits);
    Some(registry)
}

/// An XML archive, and whether its top dict had a `$archiver` key. A large one is read in
/// chunks on every core the reader may use (`formats::parallel`), which gives the registry
/// and errors of one thread ([`chunks`]), or steps aside for one thread.
fn read_xml(
    bytes: &[u8],
    limits: &Limits,
    release: &dyn Fn(usize),
    values: ValueMode,
) -> Result<(Registry, bool), ReadError> {
    // At most a thread per MB: starting one costs more than reading less than that.
    let threads = super::parallel::read_threads().min(bytes.len() >> 20);
    if threads >= 2 && bytes.len() >= chunks::CHUNKED_AT_LEAST {
        let parts = chunks::chunks_for(bytes.len(), threads);
        if let Some(read) = chunks::read(bytes, limits, release, threads, parts, values) {
            return Ok(read);
        }
    }
    match read_xml_on_one_thread(bytes, limits, release, values) {
        // Leaving the values in the file would cost more than keeping them.
        Err(e) if values == ValueMode::Defer && e.message == spans::REREAD_EXHAUSTED => {
            read_xml_on_one_thread(bytes, limits, release, ValueMode::Keep)
        }
        read => read,
    }
}

/// [`read_xml`] on this thread alone.
fn read_xml_on_one_thread(
    bytes: &[u8],
    limits: &Limits,
    release: &dyn Fn(usize),
    values: ValueMode,
) -> Result<(Registry, bool), ReadError> {
    let budget = Budget::decoded(limits, bytes.len());
    let events = Events::xml_releasing(bytes, release, limits, &budget);
    build_noting_keyed(events, limits, values)
}

/// [`read`] for an XML archive, calling `release(offset)` every few MB once the bytes before
/// `offset` are behind the reader (a memory-mapped file drops those pages: see
/// `formats::load_file`). `None` when the top dict has a `$archiver` key: the document is
/// a keyed archive (an IORegistryExplorer document, perhaps), not an `ioreg -a` archive.
///
/// With [`ValueMode::Defer`], entries' properties are parsed (the registry and its report
/// are those [`ValueMode::Keep`] gives) but left in `bytes` (see [`spans`]): the caller
/// attaches the source they are decoded from again ([`decode_properties`]).
pub(crate) fn read_xml_releasing(
    bytes: &[u8],
    limits: &Limits,
    release: &dyn Fn(usize),
    values: ValueMode,
) -> Result<Option<Registry>, ReadError> {
    let (registry, keyed) = read_xml(bytes, limits, release, values)?;
    Ok((!keyed).then_some(registry))
}

pub(crate) use spans::decode_properties;

fn build(events: Events<'_>, limits: &Limits) -> Result<Registry, ReadError> {
    build_noting_keyed(events, limits, ValueMode::Keep).map(|(registry, _)| registry)
}

/// The registry, and whether its top dict had a `$archiver` key.
fn build_noting_keyed(
    events: Events<'_>,
    limits: &Limits,
    values: ValueMode,
) -> Result<(Registry, bool), ReadError> {
    let mut b = Builder::new(events, limits, values);
    b.document()?;
    let keyed = b.keyed;
    Ok((b.finish()?, keyed))
}

impl<'a> Builder<'a> {
    fn new(events: Events<'a>, limits: &Limits, values: ValueMode) -> Self {
        let mut b = Builder {
            events,
            limits: *limits,
            defer: values == ValueMode::Defer,
            reread_bytes: 0,
            registry: Registry::new(),
            plane: None,
            ours: false,
            quirk: QuirkScan::default(),
            report: None,
            warnings: Vec::new(),
            tops: Vec::new(),
            links: Vec::new(),
            starts: Vec::new(),
            merged_links: Vec::new(),
            name_overrides: Vec::new(),
            location_overrides: Vec::new(),
            keyed: false,
            values: Values::new(limits.max_depth),
            props: Vec::new(),
            raw: 0,
            open: Vec::new(),
            at_cut: false,
            deferred: None,
            closed: Vec::new(),
        };
        b.registry.report.origin = Origin::IoregArchive;
        b
    }
}

struct Builder<'a> {
    events: Events<'a>,
    limits: Limits,
    /// [`ValueMode::Defer`]: each entry's properties are left where they lie in the file
    /// once read, most values read past without being built (see [`spans`]).
    defer: bool,
    /// Bytes of whole entry dicts read again so far (`Builder::reread`).
    reread_bytes: usize,
    registry: Registry,
    /// The plane an `ioscope:plane` key named (IOService when none did).
    plane: Option<String>,
    /// Written by ioscope (an `ioscope:format` key was seen).
    ours: bool,
    quirk: QuirkScan,
    report: Option<Value>,
    warnings: Vec<String>,
    /// Plane links, recorded in order and applied at the end (the plane's name may only be
    /// known after its first entries).
    tops: Vec<EntryId>,
    links: Vec<(EntryId, EntryId)>,
    /// `links` after [`Builder::merge_repeats`]: (parent, child, inside a repeated subtree).
    merged_links: Vec<(EntryId, EntryId, bool)>,
    /// Where each entry's dict began (for errors found once the whole tree is known).
    starts: Vec<u64>,
    name_overrides: Vec<(EntryId, Text)>,
    location_overrides: Vec<(EntryId, Option<Text>)>,
    /// The top dict had a `$archiver` key (a keyed archive, not a registry).
    keyed: bool,
    values: Values,
    /// The properties of the entries being read, a stack (as in [`Values`]).
    props: Vec<(Text, Value)>,
    /// Values kept raw, counted as entries end (while their properties are in cache).
    raw: usize,
    /// At a chunk's end: the entry dicts left open, innermost first (see `chunks`).
    open: Vec<Frame>,
    /// The chunk ended where a child entry dict of the innermost open entry begins.
    at_cut: bool,
    /// In a chunk after the first: classes named in a table of the chunk's own, interned
    /// into the registry's when the chunks are stitched (see [`Deferred`]).
    deferred: Option<Deferred>,
    /// In a chunk after the first: the entries open when it began that it saw end.
    closed: Vec<Closed>,
}

/// An entry dict left open at the end of a chunk.
struct Frame {
    /// The entry, or (in a chunk after the first) the open entry around the chunk's start
    /// at this level (0: the root dict).
    who: Who,
    depth: usize,
    s: Scratch,
    /// Where its properties begin in `Builder::props`.
    base: usize,
}

#[derive(Clone, Copy)]
enum Who {
    Entry(EntryId, Place),
    Outer(usize),
}

/// The end of an entry open when a chunk began: what the chunk read of it.
struct Closed {
    s: Scratch,
    properties: Properties,
    /// How far the chunk's class requests, overrides and `IOObjectClass` evidence had got
    /// when it ended (its own are applied in file order around it).
    marks: Marks,
}

#[derive(Clone, Copy, Default)]
struct Marks {
    requests: usize,
    name_overrides: usize,
    location_overrides: usize,
    equal: usize,
}

/// Classes named in a chunk after the first: the chunk's own table, and per entry (in the
/// order entries end) the classes it named, base first. Stitching interns them into the
/// registry's table in that order, as one thread reading the whole file would have.
#[derive(Default)]
struct Deferred {
    classes: crate::registry::ClassTable,
    /// The local ids of every request, one after the other.
    ids: Vec<u32>,
    /// Where each request ends in `ids`.
    ends: Vec<u32>,
}

impl Deferred {
    /// Interns a request (base first) in the chunk's table; the local id of its last class.
    fn request<'n>(
        &mut self,
        names: impl IntoIterator<Item = &'n str>,
        max: usize,
    ) -> Result<Option<crate::registry::ClassId>, crate::registry::LimitExceeded> {
        let mut last = None;
        for name in names {
            let id = self.classes.try_intern(name, max)?;
            self.ids.push(id.0);
            last = Some(id);
        }
        if last.is_some() {
            self.ends.push(self.ids.len() as u32);
        }
        Ok(last)
    }
}

/// Evidence for the 2011–2019 `IOObjectClass` = name bug.
#[derive(Default)]
struct QuirkScan {
    /// Entries whose class came from `IOObjectClass` alone and equals their name.
    equal: Vec<EntryId>,
    /// Entries whose `IOObjectClass` differs from their name.
    differ: usize,
    root_named_root: bool,
}

/// Where a node sits: the top of the archive, or below a parent.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Place {
    Top { whole_registry: bool },
    Child(EntryId),
}

/// What a node dict said besides its properties, applied when the dict ends.
#[derive(Default)]
struct Scratch {
    name: Option<Text>,
    location: Option<Text>,
    class: Option<Text>,
    /// `IOObjectInheritance`: strings, each valid UTF-8.
    inheritance: Option<Vec<Value>>,
    state: Option<u64>,
    busy: Option<u32>,
    busy_time: Option<u64>,
    plane_name_bytes: Option<Box<[u8]>>,
    plane_location_bytes: Option<Box<[u8]>>,
    own_name: Option<Box<[u8]>>,
    own_location: Option<Option<Box<[u8]>>>,
    is_root: Option<bool>,
    service_unknown: bool,
    id: Option<u64>,
    retain: Option<u32>,
    annotations: Option<Vec<Value>>,
    /// Where the dict's keys lie in the file (for [`ValueMode::Defer`]).
    at: spans::Extent,
    /// Some property values were read past, not built ([`ValueMode::Defer`]): the properties
    /// hold placeholders until the entry is applied.
    skipped: bool,
}

impl Scratch {
    /// Adds what a later chunk read of the same entry dict; false if both parts set the same
    /// field (one thread would have kept the second as a property: the chunks are not used).
    fn merge(&mut self, tail: Scratch) -> bool {
        fn one<T>(a: &mut Option<T>, b: Option<T>) -> bool {
            match (a.is_some(), b) {
                (_, None) => true,
                (false, b) => {
                    *a = b;
                    true
                }
                (true, Some(_)) => false,
            }
        }
        self.service_unknown |= tail.service_unknown;
        self.skipped |= tail.skipped;
        self.at = self.at.then(tail.at);
        one(&mut self.name, tail.name)
            && one(&mut self.location, tail.location)
            && one(&mut self.class, tail.class)
            && one(&mut self.inheritance, tail.inheritance)
            && one(&mut self.state, tail.state)
            && one(&mut self.busy, tail.busy)
            && one(&mut self.busy_time, tail.busy_time)
            && one(&mut self.plane_name_bytes, tail.plane_name_bytes)
            && one(&mut self.plane_location_bytes, tail.plane_location_bytes)
            && one(&mut self.own_name, tail.own_name)
            && one(&mut self.own_location, tail.own_location)
            && one(&mut self.is_root, tail.is_root)
            && one(&mut self.id, tail.id)
            && one(&mut self.retain, tail.retain)
            && one(&mut self.annotations, tail.annotations)
    }
}

impl Builder<'_> {
    /// The top of the plist: one node dict, or an array of them. Returns the top entries.
    fn document(&mut self) -> Result<(), ReadError> {
        match self.events.expect("a dict or an array of dicts")? {
            Event::StartDict => {
                let place = Place::Top {
                    whole_registry: true,
                };
                self.node(place, 1)?;
            }
            Event::StartArray => loop {
                self.registry.report.array_root = true;
                match self.events.expect("a dict or the end of the array")? {
                    Event::End => break,
                    Event::StartDict => {
                        let place = Place::Top {
                            whole_registry: false,
                        };
                        self.node(place, 2)?;
                    }
                    other => return Err(self.unexpected("a registry entry dict", &other)),
                }
            },
            other => return Err(self.unexpected("a dict or an array at the top", &other)),
        }
        self.document_end()
    }

    fn document_end(&mut self) -> Result<(), ReadError> {
        if let Some(ev) = self.events.next()? {
            return Err(self.unexpected("the end of the plist", &ev));
        }
        Ok(())
    }

    /// A chunk after the first: the rest of the `levels` entry dicts open around its start
    /// (innermost first: the rest of its children array, then its keys), then the end of
    /// the document. Outer entry `l` is `EntryId(OUTER - l)` in the chunk's links.
    fn resume(&mut self, levels: usize) -> Result<(), ReadError> {
        for level in (0..levels).rev() {
            let id = outer_id(level);
            let depth = level + 1;
            let mut s = Scratch::default();
            let base = self.props.len();
            let read = self.children_rest(id, depth).and_then(|()| {
                s.at.hole_ends(self.events.end_offset(), self.ours);
                self.entry_keys(id, depth, &mut s)
            });
            if let Err(e) = read {
                if self.events.stopped().is_some() {
                    let who = Who::Outer(level);
                    self.open.push(Frame {
                        who,
                        depth,
                        s,
                        base,
                    });
                    for outer in (0..level).rev() {
                        self.open.push(Frame {
                            who: Who::Outer(outer),
                            depth: outer + 1,
                            s: Scratch::default(),
                            base: self.props.len(),
                        });
                    }
                }
                return Err(e);
            }
            let properties = self.props.drain(base..).collect();
            let marks = self.marks();
            self.closed.push(Closed {
                s,
                properties,
                marks,
            });
        }
        self.document_end()
    }

    fn marks(&self) -> Marks {
        Marks {
            requests: self.deferred.as_ref().map_or(0, |d| d.ends.len()),
            name_overrides: self.name_overrides.len(),
            location_overrides: self.location_overrides.len(),
            equal: self.quirk.equal.len(),
        }
    }

    fn unexpected(&self, expected: &str, found: &Event<'_>) -> ReadError {
        self.events
            .error(format!("expected {expected}, found {}", found.name()))
    }

    fn check_depth(&self, depth: usize) -> Result<(), ReadError> {
        self.values.check_depth(&self.events, depth)
    }

    /// One registry entry dict (its `StartDictionary` already read).
    fn node(&mut self, place: Place, depth: usize) -> Result<EntryId, ReadError> {
        self.check_depth(depth)?;
        if self.registry.len() >= self.limits.max_entries {
            let e = crate::registry::LimitExceeded::new("entries", self.limits.max_entries);
            return Err(self.events.error(format!("one entry too many: {e}")));
        }
        let id = self.registry.add_entry(Entry::default());
        self.starts.push(self.events.offset());
        match place {
            Place::Top { .. } => self.tops.push(id),
            Place::Child(parent) => self.links.push((parent, id)),
        }
        let mut s = Scratch::default();
        s.at.starts(self.events.end_offset(), self.ours);
        let base = self.props.len();
        if let Err(e) = self.entry_keys(id, depth, &mut s) {
            if self.events.stopped().is_some() {
                let who = Who::Entry(id, place);
                self.open.push(Frame {
                    who,
                    depth,
                    s,
                    base,
                });
            }
            return Err(e);
        }
        self.apply(id, s, place, base)?;
        Ok(id)
    }

    /// The keys of an entry dict up to its end.
    fn entry_keys(&mut self, id: EntryId, depth: usize, s: &mut Scratch) -> Result<(), ReadError> {
        loop {
            let key = match self.events.expect("a key or the end of the entry dict")? {
                Event::End => {
                    s.at.ends(self.events.end_offset());
                    return Ok(());
                }
                Event::Key(k) => k,
                other => return Err(self.unexpected("a <key>", &other)),
            };
            if key == keys::CHILDREN {
                s.at.hole_starts(self.events.offset(), self.ours);
                self.children(id, depth)?;
                s.at.hole_ends(self.events.end_offset(), self.ours);
                continue;
            }
            if depth == 1 && key == "$archiver" {
                self.keyed = true;
            }
            let ev = self.events.expect("a value after a key")?;
            if self.defer && !keys::interpreted(&key) {
                self.values.skip(&mut self.events, ev, depth + 1)?;
                self.props.push((Text::default(), Value::Bool(false)));
                s.skipped = true;
                continue;
            }
            let value = self.value(ev, depth + 1)?;
            self.field(s, key, value);
        }
    }

    /// `IORegistryEntryChildren`: an array of dicts, or one dict (`-r -t` ancestors).
    fn children(&mut self, parent: EntryId, depth: usize) -> Result<(), ReadError> {
        match self.events.expect("the children of an entry")? {
            Event::StartDict => {
                self.node(Place::Child(parent), depth + 1)?;
            }
            Event::StartArray => self.children_rest(parent, depth)?,
            other => return Err(self.unexpected("an array or dict of children", &other)),
        }
        Ok(())
    }

    /// The rest of an array of children, up to its end. A chunk may end here (`at_cut`),
    /// where a child begins.
    fn children_rest(&mut self, parent: EntryId, depth: usize) -> Result<(), ReadError> {
        loop {
            self.events.at_child = true;
            let ev = self
                .events
                .expect("a child dict or the end of the children");
            self.events.at_child = false;
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    self.at_cut = self.events.stopped().is_some();
                    return Err(e);
                }
            };
            match ev {
                Event::End => return Ok(()),
                Event::StartDict => {
                    self.node(Place::Child(parent), depth + 1)?;
                }
                other => return Err(self.unexpected("a child entry dict", &other)),
            }
        }
    }

    /// A property value (its first event already read).
    fn value(&mut self, ev: Event<'_>, depth: usize) -> Result<Value, ReadError> {
        self.values.value(&mut self.events, ev, depth)
    }

    /// Files one key of a node dict: a synthetic key into the scratch, anything else as a property.
    fn field(&mut self, s: &mut Scratch, key: Cow<'_, str>, value: Value) {
        if let Some(rest) = self.synthetic(s, &key, value) {
            let key = match key.strip_prefix(keys::ESCAPED_KEY) {
                Some(k) if self.ours => text(Cow::Borrowed(k)),
                _ => text(key),
            };
            self.props.push((key, rest));
        }
    }

    /// Interprets a synthetic or `ioscope:` key; gives the value back if it is a property.
    fn synthetic(&mut self, s: &mut Scratch, key: &str, value: Value) -> Option<Value> {
        use keys::*;
        if !interpreted(key) {
            return Some(value);
        }
        let ok = match (key, &value) {
            // Strings moved into the scratch, not copied (the first of each: a repeat is a
            // property, with a warning).
            (NAME | LOCATION | CLASS, Value::String(_))
                if match key {
                    NAME => s.name.is_none(),
                    LOCATION => s.location.is_none(),
                    _ => s.class.is_none(),
                } =>
            {
                if let Value::String(t) = value {
                    match key {
                        NAME => s.name = Some(t),
                        LOCATION => s.location = Some(t),
                        _ => s.class = Some(t),
                    }
                }
                return None;
            }
            (INHERITANCE, Value::Array(items)) => {
                let names = items
                    .iter()
                    .all(|v| matches!(v, Value::String(t) if t.as_str().is_some()));
                if names && s.inheritance.is_none() {
                    if let Value::Array(items) = value {
                        s.inheritance = Some(items);
                    }
                    return None;
                }
                false
            }
            (ID, Value::Integer(i)) => put(&mut s.id, i.value() as i64 as u64),
            (RETAIN, Value::Integer(i)) => {
                u32::try_from(i.value()).is_ok_and(|n| put(&mut s.retain, n))
            }
            (STATE, Value::Integer(i)) => put(&mut s.state, i.value() as i64 as u64),
            (BUSY, Value::Integer(i)) => {
                u32::try_from(i.value()).is_ok_and(|n| put(&mut s.busy, n))
            }
            (BUSY_TIME, Value::Integer(i)) => put(&mut s.busy_time, i.value() as i64 as u64),
            (FORMAT, Value::Integer(_)) => {
                self.ours = true;
                true
            }
            (PLANE, Value::String(t)) => {
                self.plane = Some(t.to_string_lossy().into_owned());
                true
            }
            (REPORT, Value::Dict(_)) => {
                self.report = Some(value);
                return None;
            }
            (PLANE_NAME_BYTES, Value::Data(d)) => put(&mut s.plane_name_bytes, d.clone()),
            (PLANE_LOCATION_BYTES, Value::Data(d)) => put(&mut s.plane_location_bytes, d.clone()),
            (OWN_NAME, Value::Data(d)) => put(&mut s.own_name, d.clone()),
            (OWN_LOCATION, Value::Data(d)) => put(&mut s.own_location, Some(d.clone())),
            (OWN_LOCATION, Value::Bool(false)) => put(&mut s.own_location, None),
            (IS_ROOT, Value::Bool(b)) => put(&mut s.is_root, *b),
            (SERVICE, Value::String(t)) if t == "unknown" => {
                s.service_unknown = true;
                true
            }
            (ANNOTATIONS, Value::Array(_)) => {
                if let Value::Array(items) = value {
                    s.annotations = Some(items);
                }
                return None;
            }
            _ => false,
        };
        if ok {
            None
        } else {
            if SYNTHETIC.contains(&key) {
                self.warn(format!(
                    "{key} holds a {} (or appears twice); kept as a property",
                    value.type_name()
                ));
            }
            Some(value)
        }
    }

    fn warn(&mut self, message: String) {
        if self.warnings.len() < 20 {
            self.warnings.push(message);
        } else if self.warnings.len() == 20 {
            self.warnings.push("more warnings left out".to_owned());
        }
    }

    /// Applies what a node dict said once it has ended; its properties are `self.props[base..]`
    /// (taken off the stack: moved into the entry, or, with [`ValueMode::Defer`], dropped
    /// once they are counted and the entry records where they lie).
    fn apply(
        &mut self,
        id: EntryId,
        s: Scratch,
        place: Place,
        base: usize,
    ) -> Result<(), ReadError> {
        let plane_name = match s.plane_name_bytes {
            Some(b) => Text::from_bytes(&b),
            None => s.name.unwrap_or_default(),
        };
        let plane_location = match s.plane_location_bytes {
            Some(b) => Some(Text::from_bytes(&b)),
            None => s.location,
        };
        let class = self
            .class_of(id, &plane_name, s.class, s.inheritance)
            .map_err(|e| self.events.error(format!("one class too many: {e}")))?;
        let state = if s.service_unknown {
            ServiceState::Unknown
        } else if s.state.is_some() || s.busy.is_some() || s.busy_time.is_some() {
            ServiceState::Service(ServiceInfo {
                state: s.state.unwrap_or(0),
                busy: s.busy,
                busy_time_ns: s.busy_time,
            })
        } else {
            ServiceState::NotService
        };
        let top_of_registry = matches!(
            place,
            Place::Top {
                whole_registry: true
            }
        );
        let is_root = s.is_root.unwrap_or(!self.ours && top_of_registry);
        let name = match s.own_name {
            Some(own) => {
                self.name_overrides.push((id, plane_name));
                Text::from_bytes(&own)
            }
            None => plane_name,
        };
        let location = match s.own_location {
            Some(own) => {
                self.location_overrides.push((id, plane_location));
                own.map(|b| Text::from_bytes(&b))
            }
            None => plane_location,
        };
        let base = base.min(self.props.len());
        if s.skipped && (s.annotations.is_some() || s.at.span().is_none()) {
            // The values read past are needed: for the annotations, or to keep the list.
            let again = self.reread(&s.at)?;
            debug_assert_eq!(again.len(), self.props.len() - base);
            self.props.truncate(base);
            self.props.extend(again);
        }
        let properties = &mut self.props[base..];
        let bad_annotations = annotate_all(properties, s.annotations.as_deref());
        self.raw += properties.iter().map(|(_, v)| v.raw_count()).sum::<usize>();
        let span = s.at.span().filter(|_| self.defer && !properties.is_empty());
        let properties = match span {
            Some(span) => {
                let n = properties.len();
                self.props.truncate(base);
                EntryProperties::pending(span, n)
            }
            None => self.props.drain(base..).collect(),
        };
        let entry = self.registry.entry_mut(id);
        entry.name = name;
        entry.location = location;
        entry.class = class;
        entry.id = s.id;
        entry.retain = s.retain;
        entry.state = state;
        entry.is_root = is_root;
        entry.properties = properties;
        if bad_annotations > 0 {
            self.warn(format!(
                "{bad_annotations} ioscope annotations did not fit their values"
            ));
        }
        Ok(())
    }

    /// The class from `IOObjectInheritance` (base first) or `IOObjectClass`, noting evidence
    /// of the name-in-class bug.
    fn class_of(
        &mut self,
        id: EntryId,
        name: &Text,
        class: Option<Text>,
        inheritance: Option<Vec<Value>>,
    ) -> Result<Option<crate::registry::ClassId>, crate::registry::LimitExceeded> {
        let chain = inheritance.unwrap_or_default();
        // Checked to be UTF-8 strings when the key was read.
        let names = || {
            chain.iter().map(|v| match v {
                Value::String(t) => t.as_str().unwrap_or_default(),
                _ => "",
            })
        };
        let max = self.limits.max_classes;
        // A chunk after the first names its classes in a table of its own (`Deferred`).
        let (leaf, only_class) = match &mut self.deferred {
            Some(d) if chain.len() >= 2 => (d.request(names(), max)?, false),
            Some(d) => match names().next() {
                Some(single) => (d.request([single], max)?, true),
                None => match class {
                    Some(c) => (d.request([&*c.to_string_lossy()], max)?, true),
                    None => (None, false),
                },
            },
            None => {
                let classes = &mut self.registry.classes;
                if chain.len() >= 2 {
                    (classes.try_intern_chain(names(), max)?, false)
                } else if let Some(single) = names().next() {
                    (Some(classes.try_intern(single, max)?), true)
                } else if let Some(c) = class {
                    (Some(classes.try_intern(&c.to_string_lossy(), max)?), true)
                } else {
                    (None, false)
                }
            }
        };
        if let (Some(c), true) = (leaf, only_class) {
            let table = match &self.deferred {
                Some(d) => &d.classes,
                None => &self.registry.classes,
            };
            let cname = table.name(c);
            if cname.as_bytes() == name.as_bytes() {
                self.quirk.equal.push(id);
                self.quirk.root_named_root |= cname == "Root";
            } else {
                self.quirk.differ += 1;
            }
        }
        Ok(leaf)
    }

    /// Merges repeated appearances, builds the plane, flags the name-in-class bug, restores
    /// the report.
    fn finish(mut self) -> Result<Registry, ReadError> {
        self.merge_repeats();
        let plane_name = self.plane.take();
        let plane_name = plane_name.as_deref().unwrap_or("IOService");
        let plane = self.registry.plane_mut(plane_name);
        for &t in &self.tops {
            plane.add_root(t);
        }
        let mut duplicates = 0;
        for &(p, c, echo) in &self.merged_links {
            if plane.add_child(p, c) == Link::Again && !echo {
                duplicates += 1;
            }
        }
        self.registry.report.duplicate_links += duplicates;
        let plane = self.registry.plane_mut(plane_name);
        if let Some(e) = plane.find_cycle() {
            let entry = self.registry.entry(e);
            return Err(ReadError::byte(
                self.starts.get(e.index()).copied().unwrap_or(0),
                format!(
                    "entry {} (id {:#x}) is listed below itself",
                    entry.name,
                    entry.id.unwrap_or(0)
                ),
            ));
        }
        let plane = self.registry.plane_mut(plane_name);
        for (id, n) in self.name_overrides.drain(..) {
            plane.set_name_override(id, n);
        }
        for (id, l) in self.location_overrides.drain(..) {
            plane.set_location_override(id, l);
        }
        if self.registry.report.duplicate_links > 0 {
            self.warnings.push(format!(
                "{} (parent, child) link(s) listed twice under one parent: kept once",
                self.registry.report.duplicate_links
            ));
        }
        let q = &self.quirk;
        if !self.ours && q.differ == 0 && (q.equal.len() >= 2 || q.root_named_root) {
            // Kept as written (a class equal to its name is real for AppleUSBInterface …).
            self.warnings.push(format!(
                "IOObjectClass equals the entry name in all {} entries that have one: \
                 ioreg 2011-2019 wrote names there, so these classes may be names",
                q.equal.len()
            ));
        }
        if let Some(Value::Dict(report)) = self.report.take() {
            if self.ours {
                report::restore(&mut self.registry.report, &report);
            }
        }
        self.registry.report.raw_values = self.raw;
        self.registry.report.warnings.extend(self.warnings);
        Ok(self.registry)
    }

    /// `ioreg -a` writes an entry with several parents (and its subtree) under each parent:
    /// every dict after the first with the same `IORegistryEntryID` is that entry again. Keeps
    /// the first, drops the repeats, and turns each repeat's link into one more parent of the
    /// entry (`merged_links`, in file order, marked when they lie inside a repeated subtree).
    fn merge_repeats(&mut self) {
        let n = self.registry.len();
        let mut first: HashMap<u64, usize> = HashMap::with_capacity(n);
        let mut canon: Vec<usize> = (0..n).collect();
        for (i, e) in self.registry.entries() {
            if let Some(rid) = e.id {
                canon[i.index()] = *first.entry(rid).or_insert(i.index());
            }
        }
        if canon.iter().enumerate().all(|(i, &c)| c == i) {
            // No ID appears twice, so no dict lies inside a repeat (below, nothing changes).
            self.registry.report.merged_appearances = 0;
            self.merged_links = self.links.iter().map(|&(p, c)| (p, c, false)).collect();
            return;
        }
        // Inside a repeat: the dict is a repeat, or its parent dict is inside one.
        let mut echo = vec![false; n];
        let parent_of: HashMap<usize, usize> = self
            .links
            .iter()
            .map(|&(p, c)| (c.index(), p.index()))
            .collect();
        for i in 0..n {
            let parent_echo = parent_of.get(&i).is_some_and(|&p| echo[p] || canon[p] != p);
            echo[i] = parent_echo;
        }
        // Inside a repeated subtree, a dict without an ID is the one written at the same place
        // the first time: the same (first) parent, name and location, and no ID either.
        type Place = (usize, Vec<u8>, Option<Vec<u8>>);
        let mut first_no_id: HashMap<Place, usize> = HashMap::new();
        for i in 0..n {
            let e = self.registry.entry(EntryId(i as u32));
            let Some(&p) = parent_of.get(&i).filter(|_| e.id.is_none()) else {
                continue;
            };
            let place = (
                canon[p],
                e.name.as_bytes().to_vec(),
                e.location.as_ref().map(|l| l.as_bytes().to_vec()),
            );
            if echo[i] {
                if let Some(&j) = first_no_id.get(&place) {
                    canon[i] = j;
                }
            } else {
                first_no_id.entry(place).or_insert(i);
            }
        }
        let repeats = (0..n).filter(|&i| canon[i] != i).count();
        self.registry.report.merged_appearances = repeats;
        if repeats == 0 {
            self.merged_links = self.links.iter().map(|&(p, c)| (p, c, false)).collect();
            return;
        }
        let keep: Vec<bool> = (0..n).map(|i| canon[i] == i).collect();
        let new_index = self.registry.drop_entries(&keep);
        let map = |e: EntryId| new_index[canon[e.index()]];
        self.tops = self.tops.iter().map(|&t| map(t)).collect();
        self.merged_links = self
            .links
            .iter()
            .map(|&(p, c)| (map(p), map(c), echo[c.index()]))
            .collect();
        self.starts = (0..n)
            .filter(|&i| keep[i])
            .map(|i| self.starts.get(i).copied().unwrap_or(0))
            .collect();
        let overrides = std::mem::take(&mut self.name_overrides);
        self.name_overrides = dedupe(overrides.into_iter().map(|(e, v)| (map(e), v)));
        let overrides = std::mem::take(&mut self.location_overrides);
        self.location_overrides = dedupe(overrides.into_iter().map(|(e, v)| (map(e), v)));
        let equal = std::mem::take(&mut self.quirk.equal);
        self.quirk.equal = (equal.into_iter().filter(|e| keep[e.index()]))
            .map(map)
            .collect();
    }
}

/// In a chunk after the first, the id of the entry open at `level` when the chunk began (0:
/// the root dict): ids counted down from the largest, far above any entry's.
fn outer_id(level: usize) -> EntryId {
    EntryId(OUTER - level as u32)
}

const OUTER: u32 = u32::MAX;

/// The first value per entry.
fn dedupe<T>(items: impl Iterator<Item = (EntryId, T)>) -> Vec<(EntryId, T)> {
    let mut seen = std::collections::HashSet::new();
    items.filter(|(e, _)| seen.insert(*e)).collect()
}

pub(crate) mod report;

/// Sets `slot` if empty; false if it was already set (a repeated key stays a property).
fn put<T>(slot: &mut Option<T>, value: T) -> bool {
    if slot.is_some() {
        return false;
    }
    *slot = Some(value);
    true
}

/// Applies an entry's `ioscope:annotations` to its properties; how many did not fit.
fn annotate_all(props: &mut [(Text, Value)], annotations: Option<&[Value]>) -> usize {
    (annotations.unwrap_or_default().iter())
        .filter(|a| !annotate(props, a))
        .count()
}

/// Applies one `ioscope:annotations` item; false if it does not fit.
fn annotate(props: &mut [(Text, Value)], annotation: &Value) -> bool {
    use keys::annotation as a;
    let Value::Dict(fields) = annotation else {
        return false;
    };
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let Some(Value::Array(path)) = field(a::PATH) else {
        return false;
    };
    let path: Option<Vec<usize>> = path
        .iter()
        .map(|v| match v {
            Value::Integer(i) => usize::try_from(i.value()).ok(),
            _ => None,
        })
        .collect();
    let Some((first, rest)) = path.as_deref().and_then(<[usize]>::split_first) else {
        return false;
    };
    let Some((key, value)) = props.get_mut(*first).and_then(|p| in_pair(p, rest)) else {
        return false;
    };
    let bytes = match field("bytes") {
        Some(Value::Data(d)) => Some(d.clone()),
        _ => None,
    };
    let flag = |name: &str| matches!(field(name), Some(Value::Bool(true)));
    let Some(Value::String(kind)) = field(a::KIND) else {
        return false;
    };
    match kind.as_str().unwrap_or("") {
        a::INTEGER => {
            let (Value::Integer(i), Some(Value::Integer(w))) = (&*value, field("width")) else {
                return false;
            };
            let width = match w.value() {
                8 => 8,
                16 => 16,
                32 => 32,
                64 => 64,
                _ => return false,
            };
            let v = i.value();
            let mut n = if flag("signed") {
                Integer::signed(v as i64, width)
            } else {
                Integer::unsigned(v as u64, width)
            };
            if flag("hex") {
                n.radix = IntRadix::Hex;
            }
            *value = Value::Integer(n);
        }
        a::SET => match std::mem::replace(value, Value::Bool(false)) {
            Value::Array(items) => *value = Value::Set(items),
            other => {
                *value = other;
                return false;
            }
        },
        a::RAW => {
            let text = match (&bytes, &*value) {
                (Some(b), _) => Text::from_bytes(b),
                (None, Value::String(t)) => t.clone(),
                _ => return false,
            };
            *value = Value::Raw {
                text,
                clipped: flag("clipped"),
            };
        }
        a::STRING => match bytes {
            Some(b) => *value = Value::String(Text::from_bytes(&b)),
            None => return false,
        },
        a::KEY => match (bytes, key) {
            (Some(b), Some(k)) => *k = Text::from_bytes(&b),
            _ => return false,
        },
        a::DATE => match field("seconds") {
            Some(Value::Real(secs)) => *value = Value::Date(Date(*secs)),
            _ => return false,
        },
        _ => return false,
    }
    true
}

/// The key (if the path ends at a dict pair) and value the rest of a path leads to.
fn in_pair<'a>(
    pair: &'a mut (Text, Value),
    rest: &[usize],
) -> Option<(Option<&'a mut Text>, &'a mut Value)> {
    match rest.split_first() {
        None => Some((Some(&mut pair.0), &mut pair.1)),
        Some((i, more)) => in_value(&mut pair.1, *i, more),
    }
}

fn in_value<'a>(
    value: &'a mut Value,
    index: usize,
    rest: &[usize],
) -> Option<(Option<&'a mut Text>, &'a mut Value)> {
    match value {
        Value::Dict(pairs) => in_pair(pairs.get_mut(index)?, rest),
        Value::Array(items) | Value::Set(items) => {
            let item = items.get_mut(index)?;
            match rest.split_first() {
                None => Some((None, item)),
                Some((i, more)) => in_value(item, *i, more),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod test_bplist;
#[cfg(test)]
mod tests;
pub(crate) mod write;
