//! A scanner for XML property lists: the plist events of a document, straight from its bytes.
//!
//! Hand-written rather than the `plist` crate's XML reader because loading a 100 MB
//! `ioreg -a` archive is the hot path (issue 2's goal: ten times faster than Python's
//! `plistlib`), and a general XML parser spends most of that time on what a plist never
//! has: namespaces, attribute decoding, a copy of every element into a buffer. Here text
//! without entities is borrowed from the input as it is (one `memchr2` and a UTF-8 check per
//! string), so most keys and strings are never copied before they reach the model.
//!
//! What it reads is what Core Foundation writes and the `plist` crate reads: an optional XML
//! declaration, DOCTYPE and comments, an optional `<plist>` wrapper, and the elements
//! `dict`, `array`, `key`, `string`, `data` (base64, whitespace allowed), `date` (ISO 8601),
//! `integer` (decimal, or `0x` hex), `real`, `true` and `false`, empty forms (`<dict/>`,
//! `<string/>`) included. Text may hold the five predefined entities, character references
//! and CDATA sections. End tags must match their start tags. Every error names the byte
//! where the offending markup begins.

use super::events::Event;
use crate::formats::ReadError;
use crate::formats::release::{Release, Releaser};
use crate::registry::{Civil, Date, Integer};
use base64::Engine;
use std::borrow::Cow;

/// An element that holds others, open until its end tag.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Open {
    Plist,
    Dict,
    Array,
}

impl Open {
    fn name(self) -> &'static str {
        match self {
            Open::Plist => "plist",
            Open::Dict => "dict",
            Open::Array => "array",
        }
    }
}

/// The plist events of an XML document, one at a time.
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Where the markup of the last event (or of the last error) begins.
    start: usize,
    open: Vec<Open>,
    /// An empty `<dict/>` or `<array/>` still owes its end event.
    owed_end: bool,
    release: Releaser<'a>,
}

/// A start tag: its name, and whether it closed itself (`<true/>`).
struct Tag<'a> {
    name: &'a [u8],
    empty: bool,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Scanner {
            bytes,
            // A UTF-8 byte order mark is not text.
            pos: if bytes.starts_with(b"\xef\xbb\xbf") {
                3
            } else {
                0
            },
            start: 0,
            open: Vec::new(),
            owed_end: false,
            release: Releaser::default(),
        }
    }

    /// [`Scanner::new`], calling `release(offset)` every few MB for the bytes behind it.
    pub(crate) fn releasing(bytes: &'a [u8], release: Release<'a>) -> Self {
        Scanner {
            release: Releaser::new(release),
            ..Scanner::new(bytes)
        }
    }

    /// A scanner that starts at byte `at` of the document, inside the elements `open`
    /// (outermost first), as a scanner that read everything before `at` would stand there
    /// (a chunk of a large archive read on its own thread: `archive::chunks`).
    pub(crate) fn resume(
        bytes: &'a [u8],
        at: usize,
        open: Vec<Open>,
        release: Release<'a>,
    ) -> Self {
        Scanner {
            pos: at,
            open,
            release: Releaser::new(release),
            ..Scanner::new(bytes)
        }
    }

    /// The elements open now, outermost first.
    pub(crate) fn open_elements(&self) -> &[Open] {
        &self.open
    }

    /// Where the markup of the last event begins.
    pub(crate) fn offset(&self) -> usize {
        self.start
    }

    /// The whole document.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Where the markup of the last event ends (the bytes before it are read).
    pub(crate) fn consumed(&self) -> usize {
        self.pos
    }

    /// The next event; `Ok(None)` at the end of the document.
    pub(crate) fn next(&mut self) -> Result<Option<Event<'a>>, ReadError> {
        if self.owed_end {
            self.owed_end = false;
            return Ok(Some(Event::End));
        }
        loop {
            self.skip_whitespace();
            self.release.advanced(self.pos);
            self.start = self.pos;
            let Some(&b) = self.bytes.get(self.pos) else {
                return match self.open.last() {
                    None => Ok(None),
                    Some(open) => Err(self.error(format!(
                        "expected </{}>, found the end of the file (truncated?)",
                        open.name()
                    ))),
                };
            };
            if b != b'<' {
                return Err(self.error("expected an XML element, found text"));
            }
            match self.bytes.get(self.pos + 1) {
                Some(b'?') => self.skip_instruction()?,
                Some(b'!') => self.skip_declaration()?,
                Some(b'/') => {
                    if let Some(event) = self.close()? {
                        return Ok(Some(event));
                    }
                }
                _ => {
                    if let Some(event) = self.element()? {
                        return Ok(Some(event));
                    }
                }
            }
        }
    }

    /// An error at the start of the last markup.
    fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError::byte(self.start as u64, message)
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> ReadError {
        ReadError::byte(at as u64, message)
    }

    /// Indentation between elements: two thirds of a deep `ioreg -a` archive's bytes (a tab
    /// per level of nesting on every line). Found with `memchr` (the next `<`), then checked
    /// in a loop the compiler vectorises; a byte-at-a-time loop was a third of the scan.
    ///
    /// Most gaps are a newline and tabs (`ioreg -a` indents with one tab per level): those
    /// are checked eight bytes at a time before the general search.
    #[inline]
    fn skip_whitespace(&mut self) {
        let rest = &self.bytes[self.pos..];
        if rest.first() == Some(&b'\n') {
            let mut i = 1;
            while let Some(word) = rest.get(i..i + 8) {
                let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
                let other = word ^ 0x0909_0909_0909_0909;
                if other != 0 {
                    i += (other.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            if rest.get(i) == Some(&b'<') {
                self.pos += i;
                return;
            }
        }
        let gap = memchr::memchr(b'<', rest).unwrap_or(rest.len());
        let all_space = rest[..gap].iter().fold(true, |ok, &c| ok & is_space(c));
        let skip = if all_space {
            gap
        } else {
            rest.iter()
                .position(|&c| !is_space(c))
                .unwrap_or(rest.len())
        };
        self.pos += skip;
    }

    /// Moves past the next `end`; an error naming `what` if there is none.
    fn skip_past(&mut self, end: &[u8], what: &str) -> Result<(), ReadError> {
        match memchr::memmem::find(&self.bytes[self.pos..], end) {
            Some(n) => {
                self.pos += n + end.len();
                Ok(())
            }
            None => Err(self.error(format!("expected {what}, found the end of the file"))),
        }
    }

    /// `<!-- … -->`, `<!DOCTYPE …>` (with an internal subset in brackets), or CDATA, which
    /// is text where an element belongs unless it is all whitespace.
    fn skip_declaration(&mut self) -> Result<(), ReadError> {
        let rest = &self.bytes[self.pos..];
        if rest.starts_with(COMMENT) {
            return self.skip_comment();
        }
        if rest.starts_with(CDATA) {
            let (from, to) = self.cdata()?;
            if self.bytes[from..to].iter().all(u8::is_ascii_whitespace) {
                return Ok(());
            }
            return Err(self.error("expected an XML element, found text"));
        }
        if rest.starts_with(b"<!DOCTYPE") {
            let mut i = 9;
            let mut in_subset = false;
            while let Some(&c) = rest.get(i) {
                match c {
                    b'[' => in_subset = true,
                    b']' => in_subset = false,
                    b'"' | b'\'' => match memchr::memchr(c, &rest[i + 1..]) {
                        Some(n) => i += n + 1,
                        None => break,
                    },
                    b'>' if !in_subset => {
                        self.pos += i + 1;
                        return Ok(());
                    }
                    _ => {}
                }
                i += 1;
            }
            return Err(self.error("expected `>` closing the DOCTYPE, found the end of the file"));
        }
        Err(self.error("expected a comment, DOCTYPE or element after `<!`"))
    }

    /// A comment at `pos`; `pos` moves past it.
    fn skip_comment(&mut self) -> Result<(), ReadError> {
        self.pos += COMMENT.len();
        self.skip_past(b"-->", "`-->` closing a comment")
    }

    /// A CDATA section at `pos`: where its text begins and ends; `pos` moves past it.
    fn cdata(&mut self) -> Result<(usize, usize), ReadError> {
        self.pos += CDATA.len();
        let from = self.pos;
        self.skip_past(b"]]>", "`]]>` closing a CDATA section")?;
        Ok((from, self.pos - 3))
    }

    /// A processing instruction (`<?xml …?>`) at `pos`; `pos` moves past it.
    fn skip_instruction(&mut self) -> Result<(), ReadError> {
        self.skip_past(b"?>", "`?>` closing a processing instruction")
    }

    /// A start tag at `pos`: its name and whether it is empty; `pos` moves past it.
    fn start_tag(&mut self) -> Result<Tag<'a>, ReadError> {
        let bytes = self.bytes;
        let from = self.pos + 1;
        let name = self.name_at(from);
        let len = name.len();
        if len == 0 {
            return Err(self.error("expected an element name after `<`"));
        }
        let i = from + len;
        // Most tags are `<key>` or `<true/>`.
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'>'), _) => {
                self.pos = i + 1;
                return Ok(Tag { name, empty: false });
            }
            (Some(b'/'), Some(b'>')) => {
                self.pos = i + 2;
                return Ok(Tag { name, empty: true });
            }
            _ => {}
        }
        // Attributes (`<plist version="1.0">`) are skipped. Like Core Foundation, the tag
        // ends at the first `>`, quoted or not (`<string =">x</string>` holds `x`).
        match memchr::memchr(b'>', &bytes[i..]) {
            Some(n) => {
                let end = i + n;
                self.pos = end + 1;
                let empty = end > from + len && bytes[end - 1] == b'/';
                Ok(Tag { name, empty })
            }
            None => Err(self.error(format!(
                "expected `>` closing <{}>, found the end of the file",
                String::from_utf8_lossy(name)
            ))),
        }
    }

    /// The element name starting at `from` (empty if there is none).
    fn name_at(&self, from: usize) -> &'a [u8] {
        let bytes: &'a [u8] = self.bytes;
        let rest = bytes.get(from..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|c| !is_name_byte(*c))
            .unwrap_or(rest.len());
        &rest[..len]
    }

    /// An end tag at `pos`: its name; `pos` moves past it.
    fn end_tag(&mut self) -> Result<&'a [u8], ReadError> {
        let bytes = self.bytes;
        let name = self.name_at(self.pos + 2);
        let mut i = self.pos + 2 + name.len();
        while bytes.get(i).is_some_and(|&c| is_space(c)) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'>') {
            let at = self.pos;
            return Err(self.error_at(
                at,
                format!("expected `>` closing </{}>", String::from_utf8_lossy(name)),
            ));
        }
        self.pos = i + 1;
        Ok(name)
    }

    /// An end tag where an element may close: `</dict>` or `</array>` end a collection.
    fn close(&mut self) -> Result<Option<Event<'a>>, ReadError> {
        let name = self.end_tag()?;
        match self.open.last() {
            Some(open) if open.name().as_bytes() == name => {}
            Some(open) => {
                return Err(self.error(format!(
                    "expected </{}>, found </{}>",
                    open.name(),
                    String::from_utf8_lossy(name)
                )));
            }
            None => {
                return Err(self.error(format!(
                    "expected an element, found </{}> closing nothing",
                    String::from_utf8_lossy(name)
                )));
            }
        }
        Ok(match self.open.pop() {
            Some(Open::Plist) => None,
            _ => Some(Event::End),
        })
    }

    /// A start tag and, for a value, its content and end tag.
    fn element(&mut self) -> Result<Option<Event<'a>>, ReadError> {
        let tag = self.start_tag()?;
        // Each arm names its element as a literal, so the end-tag check in `text` compares
        // a few bytes of known length inline.
        let event = match tag.name {
            b"key" => Event::Key(self.text(b"key", tag.empty)?),
            b"string" => Event::String(self.text(b"string", tag.empty)?),
            b"dict" => self.open(Open::Dict, tag.empty),
            b"array" => self.open(Open::Array, tag.empty),
            b"integer" => {
                let text = self.text(b"integer", tag.empty)?;
                Event::Integer(self.integer(&text)?)
            }
            b"true" | b"false" => {
                let text = self.text(tag.name, tag.empty)?;
                if !text.trim().is_empty() {
                    return Err(self.error("expected nothing inside <true/> or <false/>"));
                }
                Event::Bool(tag.name == b"true")
            }
            b"data" => {
                let text = self.text(b"data", tag.empty)?;
                Event::Data(self.base64(&text)?)
            }
            b"real" => {
                let text = self.text(b"real", tag.empty)?;
                match text.trim().parse::<f64>() {
                    Ok(r) => Event::Real(r),
                    Err(_) => return Err(self.error("expected a number inside <real>")),
                }
            }
            b"date" => {
                let text = self.text(b"date", tag.empty)?;
                Event::Date(self.date(&text)?)
            }
            b"plist" => {
                if !tag.empty {
                    self.open.push(Open::Plist);
                }
                return Ok(None);
            }
            _ => {
                return Err(self.error(format!(
                    "expected a plist element (dict, array, key, string, …), found <{}>",
                    String::from_utf8_lossy(tag.name)
                )));
            }
        };
        Ok(Some(event))
    }

    /// `<dict>` or `<array>`: open until its end tag (or already closed: `<dict/>`).
    fn open(&mut self, open: Open, empty: bool) -> Event<'a> {
        if empty {
            self.owed_end = true;
        } else {
            self.open.push(open);
        }
        match open {
            Open::Dict => Event::StartDict,
            _ => Event::StartArray,
        }
    }

    /// The text inside a value element, up to and past its end tag. Borrowed from the input
    /// unless it holds entities, CDATA or comments.
    #[inline(always)]
    fn text(&mut self, name: &[u8], empty: bool) -> Result<Cow<'a, str>, ReadError> {
        if empty {
            return Ok(Cow::Borrowed(""));
        }
        let bytes = self.bytes;
        let from = self.pos;
        if let Some(n) = memchr::memchr2(b'<', b'&', &bytes[from..]) {
            let at = from + n;
            let close = at + 2 + name.len();
            if bytes[at] == b'<'
                && bytes.get(at + 1) == Some(&b'/')
                && bytes.get(at + 2..close) == Some(name)
                && bytes.get(close) == Some(&b'>')
            {
                let text = self.utf8(from, at)?;
                self.pos = close + 1;
                return Ok(Cow::Borrowed(text));
            }
        }
        self.text_slow(name).map(Cow::Owned)
    }

    /// [`Scanner::text`] for text with entities, CDATA sections or comments.
    fn text_slow(&mut self, name: &[u8]) -> Result<String, ReadError> {
        let bytes = self.bytes;
        let mut out = String::new();
        loop {
            let from = self.pos;
            let Some(n) = memchr::memchr2(b'<', b'&', &bytes[from..]) else {
                return Err(self.error(format!(
                    "expected </{}>, found the end of the file (truncated?)",
                    String::from_utf8_lossy(name)
                )));
            };
            out.push_str(self.utf8(from, from + n)?);
            self.pos = from + n;
            let rest = &bytes[self.pos..];
            if rest[0] == b'&' {
                self.entity(&mut out)?;
            } else if rest.starts_with(CDATA) {
                let (from, to) = self.cdata()?;
                out.push_str(self.utf8(from, to)?);
            } else if rest.starts_with(COMMENT) {
                self.skip_comment()?;
            } else if rest.starts_with(b"<?") {
                self.skip_instruction()?;
            } else if rest.starts_with(b"</") {
                let at = self.pos;
                let end = self.end_tag()?;
                if end != name {
                    return Err(self.error_at(
                        at,
                        format!(
                            "expected </{}>, found </{}>",
                            String::from_utf8_lossy(name),
                            String::from_utf8_lossy(end)
                        ),
                    ));
                }
                return Ok(out);
            } else {
                let at = self.pos;
                return Err(self.error_at(
                    at,
                    format!(
                        "expected text or </{}>, found an opening tag",
                        String::from_utf8_lossy(name)
                    ),
                ));
            }
        }
    }

    /// An entity or character reference at `pos` (`&amp;`, `&#10;`, `&#x1F600;`).
    fn entity(&mut self, out: &mut String) -> Result<(), ReadError> {
        let at = self.pos;
        let rest = &self.bytes[at + 1..];
        let end = rest.iter().take(12).position(|&c| c == b';');
        let resolved = end.and_then(|end| {
            let name = &rest[..end];
            let c = match name {
                b"amp" => '&',
                b"lt" => '<',
                b"gt" => '>',
                b"quot" => '"',
                b"apos" => '\'',
                _ => {
                    let digits = std::str::from_utf8(name.strip_prefix(b"#")?).ok()?;
                    let code = match digits.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => digits.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end))
        });
        match resolved {
            Some((c, end)) => {
                out.push(c);
                self.pos = at + 1 + end + 1;
                Ok(())
            }
            None => Err(self.error_at(
                at,
                "expected an entity (&amp; &lt; &gt; &quot; &apos;) or a character reference",
            )),
        }
    }

    /// The bytes `from..to` as UTF-8, or an error at the first bad byte.
    #[inline]
    fn utf8(&self, from: usize, to: usize) -> Result<&'a str, ReadError> {
        let bytes: &'a [u8] = &self.bytes[from..to];
        // `is_ascii` reads a word at a time (the registry's check stops byte by byte).
        if bytes.is_ascii() {
            // SAFETY: ASCII bytes are UTF-8.
            return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
        }
        std::str::from_utf8(bytes)
            .map_err(|e| self.error_at(from + e.valid_up_to(), "expected UTF-8 text in the XML"))
    }

    /// `<integer>`: decimal (negative ones signed), or `0x` hex, in 64 bits.
    fn integer(&self, text: &str) -> Result<Integer, ReadError> {
        let t = text.trim();
        let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16)
                .ok()
                .map(|v| Integer::unsigned(v, 64)),
            None if t.starts_with('-') => t.parse::<i64>().ok().map(|v| Integer::signed(v, 64)),
            None => t.parse::<u64>().ok().map(|v| Integer::unsigned(v, 64)),
        };
        parsed.ok_or_else(|| self.error("expected a 64-bit integer inside <integer>"))
    }

    /// `<data>`: base64, with whitespace anywhere (Core Foundation wraps long data).
    fn base64(&self, text: &str) -> Result<Vec<u8>, ReadError> {
        let engine = &base64::engine::general_purpose::STANDARD;
        let decoded = if text.bytes().any(|c| c.is_ascii_whitespace()) {
            let packed: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
            engine.decode(packed)
        } else {
            engine.decode(text)
        };
        decoded.map_err(|_| self.error("expected base64 inside <data>"))
    }

    /// `<date>`: an ISO 8601 date (`2020-01-09T20:58:23Z`), as Core Foundation seconds.
    fn date(&self, text: &str) -> Result<Date, ReadError> {
        cf_xml_date(text.trim())
            .map(Date)
            .ok_or_else(|| self.error("expected an ISO 8601 date inside <date>"))
    }
}

/// A `<date>` as Core Foundation reads it (`parseDateTag`): an optional `-`, a year of any
/// number of digits (CF writes years past 9999 with five), then `-MM-DDTHH:MM:SSZ`; as
/// seconds since 2001-01-01 UTC in the proleptic Gregorian calendar.
fn cf_xml_date(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 12 {
        return None;
    }
    let year: i64 = t[i..i + digits].parse().ok()?;
    let year = if negative { -year } else { year };
    i += digits;
    let mut two = |sep: u8, max: i64| -> Option<i64> {
        let d = b.get(i..i + 3)?;
        if d[0] != sep || !d[1].is_ascii_digit() || !d[2].is_ascii_digit() {
            return None;
        }
        i += 3;
        let n = i64::from(d[1] - b'0') * 10 + i64::from(d[2] - b'0');
        (n <= max).then_some(n)
    };
    let (month, day) = (two(b'-', 12)?, two(b'-', 31)?);
    let (hour, minute, second) = (two(b'T', 23)?, two(b':', 59)?, two(b':', 60)?);
    if month == 0 || day == 0 || &b[i..] != b"Z" {
        return None;
    }
    let civil = Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
    };
    Some(civil.cf_seconds() as f64)
}

/// A `plist` crate date as seconds since 2001-01-01 UTC (the property tests compare with
/// that crate's reader).
#[cfg(test)]
fn cf_date(d: plist::Date) -> Date {
    use std::time::{SystemTime, UNIX_EPOCH};
    let t: SystemTime = d.into();
    let unix = match t.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs_f64(),
        Err(before) => -before.duration().as_secs_f64(),
    };
    Date(unix - crate::registry::CF_EPOCH_UNIX as f64)
}

/// The elements open at an entry dict `levels` entries below the root dict of an `ioreg -a`
/// archive (in a `<plist>` element or not): the root dict, then a children array and an
/// entry dict per level, the last array holding the entry.
pub(crate) fn entry_stack(plist: bool, levels: usize) -> Vec<Open> {
    let mut open = Vec::with_capacity(1 + 2 * levels);
    if plist {
        open.push(Open::Plist);
    }
    for _ in 0..levels {
        open.extend([Open::Dict, Open::Array]);
    }
    open
}

const COMMENT: &[u8] = b"<!--";
const CDATA: &[u8] = b"<![CDATA[";

/// XML whitespace.
#[inline]
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes of an element name (ASCII names only: plist elements are all ASCII).
#[inline]
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.') || c >= 0x80
}

#[cfg(test)]
mod tests;
