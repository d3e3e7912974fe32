//! The plist event stream (XML or binary) with byte positions for error messages.
//!
//! The `plist` crate's streaming readers are used directly (no `plist::Value` tree is
//! built), so a 100 MB archive becomes the model in one pass without a second copy.
//!
//! A binary plist is a graph: its reader yields a shared object once per reference, so a
//! few hundred bytes of arrays that share their children expand exponentially. Events of a
//! binary plist are therefore charged to a budget proportional to the file's size (about
//! what they cost in memory); XML cannot share, so its events are bounded by its size.

use super::ReadError;
use plist::stream::{BinaryReader, OwnedEvent, XmlReader};
use std::cell::Cell;
use std::io::{self, BufRead, Cursor, Read};
use std::rc::Rc;

/// A `&[u8]` reader that tells how far the XML parser has consumed.
struct Counting<'a> {
    data: &'a [u8],
    pos: Rc<Cell<usize>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.fill_buf()?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos.get()..self.pos.get() + n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Counting<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(&self.data[self.pos.get()..])
    }
    fn consume(&mut self, amt: usize) {
        let p = (self.pos.get() + amt).min(self.data.len());
        self.pos.set(p);
    }
}

/// A buffered file reader that tells how far the XML parser has consumed.
struct CountingFile {
    inner: io::BufReader<std::fs::File>,
    pos: Rc<Cell<usize>>,
}

impl Read for CountingFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.set(self.pos.get() + n);
        Ok(n)
    }
}

impl BufRead for CountingFile {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.pos.set(self.pos.get() + amt);
    }
}

enum Inner<'a> {
    Xml(XmlReader<Counting<'a>>, Rc<Cell<usize>>),
    XmlFile(XmlReader<CountingFile>, Rc<Cell<usize>>),
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
            let pos = Rc::new(Cell::new(0));
            let reader = Counting {
                data: bytes,
                pos: pos.clone(),
            };
            Inner::Xml(XmlReader::new(reader), pos)
        };
        Events {
            inner,
            len: bytes.len(),
            last: 0,
            budget: (bytes.len() as u64)
                .saturating_mul(BUDGET_PER_BYTE)
                .saturating_add(BUDGET_FLOOR),
        }
    }

    /// Events of an XML plist streamed from `file` (of `len` bytes) through a buffer, so the
    /// file is never whole in memory (`snapshot::load_file`: the memory goal). Positions
    /// are the same as for [`Events::new`] on the file's bytes.
    pub fn xml_file(file: std::fs::File, len: u64) -> Self {
        let pos = Rc::new(Cell::new(0));
        let reader = CountingFile {
            inner: io::BufReader::with_capacity(1 << 16, file),
            pos: pos.clone(),
        };
        Events {
            inner: Inner::XmlFile(XmlReader::new(reader), pos),
            len: usize::try_from(len).unwrap_or(usize::MAX),
            last: 0,
            budget: 0,
        }
    }

    /// The next event; `Ok(None)` at the end of the document.
    pub fn next(&mut self) -> Result<Option<OwnedEvent>, ReadError> {
        let item = match &mut self.inner {
            Inner::Xml(r, pos) => {
                let item = r.next();
                self.last = pos.get() as u64;
                item
            }
            Inner::XmlFile(r, pos) => {
                let item = r.next();
                self.last = pos.get() as u64;
                item
            }
            Inner::Binary(r) => {
                let item = r.next();
                if let Some(Ok(ev)) = &item {
                    self.charge(ev)?;
                }
                item
            }
        };
        match item {
            None => Ok(None),
            Some(Ok(ev)) => Ok(Some(ev)),
            Some(Err(e)) => Err(self.plist_error(&e)),
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
    pub fn expect(&mut self, expected: &str) -> Result<OwnedEvent, ReadError> {
        match self.next()? {
            Some(ev) => Ok(ev),
            None => Err(ReadError::byte(
                self.len as u64,
                format!("expected {expected}, found the end of the file"),
            )),
        }
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

/// A readable sentence for the `plist` crate's error kinds.
fn describe(kind: &str, eof: bool) -> String {
    let what = match kind {
        _ if eof => "expected more plist data, found the end of the file (truncated?)",
        "UnclosedXmlElement" => "expected a closing XML tag, found the end of the file",
        "UnexpectedXmlCharactersExpectedElement" => "expected an XML element, found text",
        "UnexpectedXmlOpeningTag" => "expected text or a closing tag, found an opening tag",
        "UnknownXmlElement" => "expected a plist element (dict, array, key, string, …)",
        "InvalidXmlSyntax" => "expected well-formed XML",
        "InvalidXmlUtf8" => "expected UTF-8 text in the XML",
        "InvalidDataString" => "expected base64 inside <data>",
        "InvalidDateString" => "expected an ISO 8601 date inside <date>",
        "InvalidIntegerString" => "expected a 64-bit integer inside <integer>",
        "InvalidRealString" => "expected a number inside <real>",
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
