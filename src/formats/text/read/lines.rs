//! Splitting a dump into lines, and telling tree lines, block lines and blank lines apart.
//!
//! Works on bytes (dumps are not always UTF-8) with `memchr`, so a 2 MB line costs one scan.

use crate::formats::release::{Release, Releaser};
use std::borrow::Cow;

/// One physical line, without its `\n` or `\r\n`.
#[derive(Debug, Clone)]
pub(super) struct Line<'a> {
    pub text: Cow<'a, [u8]>,
    /// 1-based.
    pub number: usize,
    /// Whether a line ending followed it (the last line of a truncated file has none).
    pub terminated: bool,
    /// Where the line starts in the file's bytes.
    pub offset: usize,
}

/// A line cursor with one line of look-ahead.
///
/// Lines end in `\n` or `\r\n`, or in `\r` alone in a dump saved with classic Mac OS line
/// endings (no `\n` in its first 64 KB). A dump whose tree lines were indented with tabs
/// (`unexpand`, or pasted with a tab before every line) has its leading tabs expanded to
/// 8-column stops, and a dump indented as a whole (every line) has that margin taken off, so
/// both read as `ioreg` wrote them.
pub(super) struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    number: usize,
    html: bool,
    /// The line ending byte: `\n`, or `\r` for classic Mac OS line endings.
    end: u8,
    /// Leading tabs are indentation (expanded to spaces).
    tabs: bool,
    /// Columns of indentation before every line (taken off where present).
    margin: usize,
    peeked: Option<Option<Line<'a>>>,
    /// Gives back the mapped pages behind the cursor (lines of a value being gathered and the
    /// look-ahead line stay inside its margin).
    release: Releaser<'a>,
}

/// How a dump's lines end and are indented, judged from its start: what a part of it read on
/// its own (a property block decoded again, `super::decode_properties`) needs to cut and
/// unindent its lines as the whole dump's were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// The line ending byte: `\n`, or `\r` for classic Mac OS line endings.
    end: u8,
    /// Leading tabs are indentation (expanded to spaces).
    tabs: bool,
    /// Columns of indentation before every line (taken off where present).
    margin: usize,
}

/// [`Layout::flags`]: lines end in `\r`.
const CR_FLAG: u32 = 1;
/// [`Layout::flags`]: leading tabs are expanded.
const TABS_FLAG: u32 = 2;
/// [`Layout::flags`]: the margin is held above this many bits.
const MARGIN_SHIFT: u32 = 8;

impl Layout {
    /// The layout of a whole dump.
    fn of(bytes: &[u8]) -> Self {
        let end = line_end(bytes);
        let (tabs, margin) = indentation(bytes, end);
        Layout { end, tabs, margin }
    }

    /// The layout as a `registry::Span`'s flags (0 for a dump as `ioreg` wrote it, with `\n`
    /// line endings). The margin is measured on the first 64 KB, tabs expanded: at most
    /// 512 Ki columns, which fit the 24 bits it is given.
    pub(super) fn flags(self) -> u32 {
        let most = (u32::MAX >> MARGIN_SHIFT) as usize;
        let margin = (self.margin.min(most) as u32) << MARGIN_SHIFT;
        let cr = if self.end == b'\r' { CR_FLAG } else { 0 };
        let tabs = if self.tabs { TABS_FLAG } else { 0 };
        margin | cr | tabs
    }

    /// The layout [`flags`](Self::flags) gave.
    pub(super) fn from_flags(flags: u32) -> Self {
        Layout {
            end: if flags & CR_FLAG != 0 { b'\r' } else { b'\n' },
            tabs: flags & TABS_FLAG != 0,
            margin: (flags >> MARGIN_SHIFT) as usize,
        }
    }
}

impl<'a> Lines<'a> {
    pub(crate) fn new(bytes: &'a [u8], html: bool) -> Self {
        Self::with_layout(bytes, html, Layout::of(bytes))
    }

    /// Lines of `bytes` (a part of a dump) cut and unindented as the dump's `layout` says.
    pub(super) fn with_layout(bytes: &'a [u8], html: bool, layout: Layout) -> Self {
        let Layout { end, tabs, margin } = layout;
        Lines {
            bytes,
            pos: 0,
            number: 0,
            html,
            end,
            tabs,
            margin,
            peeked: None,
            release: Releaser::default(),
        }
    }

    /// How the lines end and are indented.
    pub(super) fn layout(&self) -> Layout {
        Layout {
            end: self.end,
            tabs: self.tabs,
            margin: self.margin,
        }
    }

    /// Where the first line not handed out yet starts (a line peeked at is not handed out).
    pub(super) fn consumed(&self) -> usize {
        match &self.peeked {
            Some(Some(line)) => line.offset,
            _ => self.pos,
        }
    }

    /// Calls `release(offset)` every few MB as the cursor advances: the bytes before
    /// `offset` were handed out a while ago and will most likely not be read again. Lets a
    /// memory-mapped file drop its pages behind the reader (`formats::load_file`). The
    /// bytes must stay readable all the same: a line still held may be read later.
    pub(crate) fn releasing(mut self, release: Release<'a>) -> Self {
        self.release = Releaser::new(release);
        self
    }

    fn read(&mut self) -> Option<Line<'a>> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let offset = self.pos;
        let rest = &self.bytes[self.pos..];
        let (mut text, terminated, advance) = match memchr::memchr(self.end, rest) {
            Some(n) => (&rest[..n], true, n + 1),
            None => (rest, false, rest.len()),
        };
        if let Some(stripped) = text.strip_suffix(b"\r") {
            text = stripped;
        }
        self.pos += advance;
        self.number += 1;
        self.release.advanced(self.pos);
        let text = self.unindent(text);
        let text = if !self.html {
            text
        } else {
            match text {
                Cow::Borrowed(t) => unescape_html(t),
                Cow::Owned(t) => Cow::Owned(unescape_html(&t).into_owned()),
            }
        };
        Some(Line {
            text,
            number: self.number,
            terminated,
            offset,
        })
    }

    /// The line with its leading tabs expanded (if the dump is tab-indented) and the
    /// dump's margin taken off.
    fn unindent(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.tabs {
            let spaces = text.iter().take(self.margin).take_while(|&&c| c == b' ');
            return Cow::Borrowed(&text[spaces.count()..]);
        }
        let lead = text
            .iter()
            .take_while(|&&c| matches!(c, b' ' | b'|' | b'\t'))
            .count();
        if !text[..lead].contains(&b'\t') && self.margin == 0 {
            return Cow::Borrowed(text);
        }
        let mut out = expand_tabs(&text[..lead]);
        let cut = out
            .iter()
            .take(self.margin)
            .take_while(|&&c| c == b' ')
            .count();
        out.drain(..cut);
        out.extend_from_slice(&text[lead..]);
        Cow::Owned(out)
    }

    pub(crate) fn next_line(&mut self) -> Option<Line<'a>> {
        match self.peeked.take() {
            Some(line) => line,
            None => self.read(),
        }
    }

    pub(crate) fn peek(&mut self) -> Option<&Line<'a>> {
        if self.peeked.is_none() {
            let line = self.read();
            self.peeked = Some(line);
        }
        self.peeked.as_ref().and_then(Option::as_ref)
    }

    /// The cursor moved to `pos` (the start of a line), the lines before it counted as
    /// `lines`: a chunk of the file read on its own thread (`super::chunked`).
    pub(crate) fn starting_at(mut self, pos: usize, lines: usize) -> Self {
        self.pos = pos;
        self.number = lines;
        self.peeked = None;
        self
    }

    /// The byte that ends lines, when every line reads as it is written (no tabs to expand
    /// and no margin to take off): then a tree line can be told from its raw bytes.
    pub(crate) fn plain_line_end(&self) -> Option<u8> {
        (!self.tabs && self.margin == 0).then_some(self.end)
    }

    /// The number of the last line handed out (or peeked).
    pub(crate) fn last_number(&self) -> usize {
        self.number
    }
}

/// The byte that ends lines: `\r` when the first 64 KB hold a `\r` and no `\n`.
fn line_end(bytes: &[u8]) -> u8 {
    let head = &bytes[..bytes.len().min(64 << 10)];
    if memchr::memchr(b'\n', head).is_none() && memchr::memchr(b'\r', head).is_some() {
        b'\r'
    } else {
        b'\n'
    }
}

/// Tabs in the leading run of spaces, bars and tabs, expanded to 8-column stops.
fn expand_tabs(lead: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lead.len() + 8);
    for &c in lead {
        if c == b'\t' {
            let to = (out.len() / 8 + 1) * 8;
            out.resize(to, b' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// How the dump is indented, judged by its tree lines within the first 64 KB: whether tabs
/// appear in the leading run of any of them, and the columns of blanks all of them have
/// before anything else (a margin every line shares: 0 for a dump as `ioreg` wrote it).
fn indentation(bytes: &[u8], end: u8) -> (bool, usize) {
    let head = &bytes[..bytes.len().min(64 << 10)];
    let mut tabs = false;
    let mut margin: Option<usize> = None;
    for line in head.split(|&c| c == end) {
        let Some(at) = memchr::memmem::find(line, b"+-o ") else {
            continue;
        };
        let lead = &line[..at];
        if !lead
            .iter()
            .all(|&c| matches!(c, b' ' | b'|' | b'\t' | b'\r'))
        {
            continue;
        }
        tabs |= lead.contains(&b'\t');
        let blanks = expand_tabs(lead).iter().take_while(|&&c| c == b' ').count();
        margin = Some(margin.map_or(blanks, |m| m.min(blanks)));
    }
    (tabs, margin.unwrap_or(0))
}

/// Whether the dump uses CRLF line endings (judged by its first line).
pub(super) fn is_crlf(bytes: &[u8]) -> bool {
    match memchr::memchr(b'\n', bytes) {
        Some(n) => n > 0 && bytes[n - 1] == b'\r',
        None => false,
    }
}

/// Whether the dump was HTML-escaped (its first tree line shows `&lt;class`).
pub(super) fn is_html_escaped(bytes: &[u8]) -> bool {
    let Some(at) = memchr::memmem::find(bytes, b"+-o ") else {
        return false;
    };
    let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n);
    memchr::memmem::find(&bytes[at..end], b"&lt;class").is_some()
}

/// Decodes `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and `&#N;` (others are left as they are).
pub(super) fn unescape_html(text: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'&', text).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(n) = memchr::memchr(b'&', &text[i..]) {
        out.extend_from_slice(&text[i..i + n]);
        i += n;
        let (byte, len) = entity(&text[i..]).unwrap_or((b'&', 1));
        out.push(byte);
        i += len;
    }
    out.extend_from_slice(&text[i..]);
    Cow::Owned(out)
}

fn entity(s: &[u8]) -> Option<(u8, usize)> {
    const NAMED: [(&[u8], u8); 5] = [
        (b"&lt;", b'<'),
        (b"&gt;", b'>'),
        (b"&amp;", b'&'),
        (b"&quot;", b'"'),
        (b"&apos;", b'\''),
    ];
    for (name, byte) in NAMED {
        if s.starts_with(name) {
            return Some((byte, name.len()));
        }
    }
    let digits = s.strip_prefix(b"&#")?;
    let end = digits.iter().take(4).position(|&c| c == b';')?;
    let n: u32 = std::str::from_utf8(&digits[..end]).ok()?.parse().ok()?;
    let byte = u8::try_from(n).ok().filter(u8::is_ascii)?;
    Some((byte, end + 3))
}

/// Length of the leading tree bars: pairs of `"| "` or `"  "`.
pub(super) fn bars_len(text: &[u8]) -> usize {
    let mut i = 0;
    while i + 1 < text.len() && (text[i] == b'|' || text[i] == b' ') && text[i + 1] == b' ' {
        i += 2;
    }
    i
}

/// For a tree line (`| | +-o NAME …`): its depth (bar pairs before `+-o`) and where NAME starts.
pub(super) fn tree_line(text: &[u8]) -> Option<(usize, usize)> {
    let bars = bars_len(text);
    text[bars..]
        .starts_with(b"+-o ")
        .then_some((bars / 2, bars + 4))
}

/// A line of nothing but tree bars and spaces (the line after a property block, or empty).
pub(super) fn is_blank(text: &[u8]) -> bool {
    text.iter().all(|&c| c == b' ' || c == b'|')
}

/// `IOService:` / `IODeviceTree:` on a line of its own: the plane of the trees that follow.
pub(super) fn plane_header(text: &[u8]) -> Option<&str> {
    let name = text.strip_suffix(b":")?;
    let ok = !name.is_empty()
        && name.len() <= 128
        && name[0].is_ascii_alphabetic()
        && name
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.');
    if ok {
        std::str::from_utf8(name).ok()
    } else {
        None
    }
}
