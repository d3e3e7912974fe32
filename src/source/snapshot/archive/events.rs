//! The plist event stream (XML or binary) with byte positions for error messages.
//!
//! The `plist` crate's streaming readers are used directly (no `plist::Value` tree is
//! built), so a 100 MB archive becomes the model in one pass without a second copy.

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

enum Inner<'a> {
    Xml(XmlReader<Counting<'a>>, Rc<Cell<usize>>),
    Binary(BinaryReader<Cursor<&'a [u8]>>),
}

/// Events of one plist, XML or binary (told by the `bplist00` magic).
pub struct Events<'a> {
    inner: Inner<'a>,
    len: usize,
    /// Offset of the last event, for errors raised by the model builder.
    last: u64,
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
            Inner::Binary(r) => r.next(),
        };
        match item {
            None => Ok(None),
            Some(Ok(ev)) => Ok(Some(ev)),
            Some(Err(e)) => Err(self.plist_error(&e)),
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
        let kind = text.split(' ').next().unwrap_or("");
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
        _ => return format!("expected a valid property list ({kind})"),
    };
    what.to_owned()
}
