//! The plist event stream (XML or binary) with byte positions for error messages.
//!
//! XML is read by this crate's own [`xml::Scanner`] (the hot path: see its notes); binary
//! plists by the `plist` crate's streaming reader. Neither builds a value tree, so a 100 MB
//! archive becomes the model in one pass without a second copy.
//!
//! A binary plist is a graph: its reader yields a shared object once per reference, so a
//! few hundred bytes of arrays that share their children expand exponentially. Events of a
//! binary plist are therefore charged to a budget proportional to the file's size (about
//! what they cost in memory); XML cannot share, so its events are bounded by its size.

use super::ReadError;
use super::xml::{self, Scanner};
use crate::registry::{Date, Integer};
use crate::source::snapshot::release::Release;
use plist::stream::{BinaryReader, OwnedEvent};
use std::borrow::Cow;
use std::io::Cursor;

/// One plist event. Keys are strings (as in the `plist` crate); text borrows from the
/// input where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    StartArray,
    StartDict,
    /// The end of the innermost array or dict.
    End,
    Bool(bool),
    Data(Vec<u8>),
    Date(Date),
    /// Negative values signed, others unsigned, 64 bits wide.
    Integer(Integer),
    Real(f64),
    String(Cow<'a, str>),
    /// A keyed archive's object reference (binary plists only).
    Uid(u64),
    /// An object of a kind newer than this reader (the `plist` crate's events may grow).
    Unknown,
}

impl Event<'_> {
    /// The event in a phrase for error messages: "found a dict".
    pub fn name(&self) -> &'static str {
        match self {
            Event::StartArray => "an array",
            Event::StartDict => "a dict",
            Event::End => "the end of a collection",
            Event::Bool(_) => "a boolean",
            Event::Data(_) => "data",
            Event::Date(_) => "a date",
            Event::Integer(_) => "an integer",
            Event::Real(_) => "a real",
            Event::String(_) => "a string",
            Event::Uid(_) => "a UID",
            Event::Unknown => "an unknown plist object",
        }
    }
}

enum Inner<'a> {
    Xml(Scanner<'a>),
    Binary(BinaryReader<Cursor<&'a [u8]>>),
}

/// What a binary plist's events may cost per byte of the file, and at least.
const BUDGET_PER_BYTE: u64 = 64;
const BUDGET_FLOOR: u64 = 64 << 20;
/// The cost of one event besides its string or data bytes.
const EVENT_COST: u64 = 16;

/// Events of one plist, XML or binary (told by the `bplist00` magic).
pub struct Events<'a> {
    inner: Inner<'a>,
    len: usize,
    /// Offset of the last event, for errors raised by the model builder.
    last: u64,
    /// What binary events may still cost (see the module notes).
    budget: u64,
}

impl<'a> Events<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let inner = if bytes.starts_with(b"bplist00") {
            Inner::Binary(BinaryReader::new(Cursor::new(bytes)))
        } else {
            Inner::Xml(Scanner::new(bytes))
        };
        Self::with(inner, bytes.len())
    }

    /// Events of an XML plist, calling `release(offset)` every few MB for the bytes behind
    /// the reader (a memory-mapped file drops those pages: `snapshot::load_file`).
    pub fn xml_releasing(bytes: &'a [u8], release: Release<'a>) -> Self {
        Self::with(Inner::Xml(Scanner::releasing(bytes, release)), bytes.len())
    }

    fn with(inner: Inner<'a>, len: usize) -> Self {
        Events {
            inner,
            len,
            last: 0,
            budget: (len as u64)
                .saturating_mul(BUDGET_PER_BYTE)
                .saturating_add(BUDGET_FLOOR),
        }
    }

    /// The next event; `Ok(None)` at the end of the document.
    pub fn next(&mut self) -> Result<Option<Event<'a>>, ReadError> {
        match &mut self.inner {
            Inner::Xml(scanner) => {
                let event = scanner.next();
                self.last = scanner.offset() as u64;
                event
            }
            Inner::Binary(r) => match r.next() {
                None => Ok(None),
                Some(Ok(ev)) => {
                    self.charge(&ev)?;
                    Ok(Some(from_plist(ev)))
                }
                Some(Err(e)) => Err(self.plist_error(&e)),
            },
        }
    }

    fn charge(&mut self, ev: &OwnedEvent) -> Result<(), ReadError> {
        let bytes = match ev {
            OwnedEvent::String(s) => s.len(),
            OwnedEvent::Data(d) => d.len(),
            _ => 0,
        };
        let cost = EVENT_COST.saturating_add(bytes as u64);
        match self.budget.checked_sub(cost) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(ReadError::byte(
                self.last,
                format!(
                    "expected a binary plist whose shared objects expand to at most {} bytes \
                     ({BUDGET_PER_BYTE} per byte of the file), found objects referenced too often",
                    (self.len as u64)
                        .saturating_mul(BUDGET_PER_BYTE)
                        .saturating_add(BUDGET_FLOOR)
                ),
            )),
        }
    }

    /// The next event, which must exist: the end of input is an error saying what was expected.
    pub fn expect(&mut self, expected: &str) -> Result<Event<'a>, ReadError> {
        match self.next()? {
            Some(ev) => Ok(ev),
            None => Err(ReadError::byte(
                self.len as u64,
                format!("expected {expected}, found the end of the file"),
            )),
        }
    }

    /// Where the last event began (a byte offset).
    pub fn offset(&self) -> u64 {
        self.last
    }

    /// An error at the current position.
    pub fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError::byte(self.last, message)
    }

    /// Turns the `plist` crate's error (whose position is only in its text) into ours.
    fn plist_error(&self, e: &plist::Error) -> ReadError {
        let text = e.to_string();
        let offset = text
            .rsplit_once("(offset ")
            .and_then(|(_, rest)| rest.trim_end_matches(')').parse::<u64>().ok())
            .unwrap_or(self.last);
        let kind = text.split([' ', '(']).next().unwrap_or("");
        ReadError::byte(offset, describe(kind, e.is_eof()))
    }
}

/// A `plist` crate event (from the binary reader) in this module's terms.
pub(super) fn from_plist(ev: OwnedEvent) -> Event<'static> {
    match ev {
        OwnedEvent::StartArray(_) => Event::StartArray,
        OwnedEvent::StartDictionary(_) => Event::StartDict,
        OwnedEvent::EndCollection => Event::End,
        OwnedEvent::Boolean(b) => Event::Bool(b),
        OwnedEvent::Data(d) => Event::Data(d.into_owned()),
        OwnedEvent::Date(d) => Event::Date(xml::cf_date(d)),
        OwnedEvent::Integer(i) => Event::Integer(integer(i)),
        OwnedEvent::Real(r) => Event::Real(r),
        OwnedEvent::String(s) => Event::String(s),
        OwnedEvent::Uid(u) => Event::Uid(u.get()),
        _ => Event::Unknown,
    }
}

/// A plist integer in the model: negative → signed 64-bit, otherwise unsigned 64-bit.
fn integer(i: plist::Integer) -> Integer {
    match (i.as_signed(), i.as_unsigned()) {
        (Some(v), _) if v < 0 => Integer::signed(v, 64),
        (_, Some(v)) => Integer::unsigned(v, 64),
        (Some(v), None) => Integer::signed(v, 64),
        (None, None) => Integer::unsigned(0, 64),
    }
}

/// A readable sentence for the `plist` crate's (binary) error kinds.
fn describe(kind: &str, eof: bool) -> String {
    let what = match kind {
        _ if eof => "expected more plist data, found the end of the file (truncated?)",
        "InvalidMagic" => "expected a binary plist header",
        "RecursiveObject" => "expected a tree, found an object that contains itself",
        "InvalidTrailerObjectOffsetSize" | "InvalidTrailerObjectReferenceSize" => {
            "expected a binary plist trailer with offset and reference sizes of 1 to 8 bytes \
             (truncated?)"
        }
        "ObjectOffsetTooLarge" => "expected an object offset inside the file (truncated?)",
        "ObjectReferenceTooLarge" => "expected an object reference inside the object table",
        "ObjectTooLarge" | "InvalidObjectLength" => {
            "expected an object length that fits in the file"
        }
        "UnknownObjectType" => "expected a binary plist object marker",
        "InvalidUtf8String" | "InvalidUtf16String" => "expected a valid string object",
        "IntegerOutOfRange" => "expected an integer that fits in 64 bits",
        "OverflowOrNanDate" => "expected a finite date",
        _ => return format!("expected a valid property list ({kind})"),
    };
    what.to_owned()
}
