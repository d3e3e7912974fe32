//! The `ioreg` text reader: every age and flag of `ioreg` output (see `ioreg-format.md`).
//!
//! One pass over the bytes, line by line. A line is one of:
//! - a tree line `| | +-o NAME@LOC  <class …>`: its depth is the column of `+-o` / 2;
//! - a property block line, whose prefix (the tree bars up to and including the
//!   children column) is taken from the block's `{` line: `PREFIX  "key" = value`, `PREFIX}`;
//! - the continuation of a multi-line string (no prefix), or of an `ioreg -f` hex dump
//!   (`PREFIX    00000000: …`);
//! - a plane header `IODeviceTree:` (several `ioreg` runs in one file), or a blank line.
//!
//! Decisions where `ioreg` output is ambiguous:
//! - `name@loc` is split at the last `@`, and only when the location part has no spaces.
//! - An entry deeper than one below the previous one hangs under the deepest open entry
//!   (with a warning); the first entry of a tree at depth > 0 becomes a root.
//! - A line ending in `$` is a clip mark only if the value does not parse completely with
//!   the `$` (hex-dump text and strings may end in `$`).
//! - `<"a","b">` data reads as `a\0b\0` (`ioreg` prints `a\0b` the same way).
//! - A truncated file loads what is complete, including the cut last entry's name.
//! - Two things stay raw (`raw_values` in `ioscope stats`) because the text no longer holds
//!   the value (IOKitTools-125 `ioreg.c`):
//!   - an empty value (`"Codec"=,`, `"FullName" = `): `cfstringshow` prints nothing when
//!     `CFStringGetCString` fails (a non-ASCII string needs more UTF-8 bytes than its
//!     `length + 1` buffer), and `cfnumbershow` nothing when a number does not fit a
//!     `long long`; the characters are gone and even the type is uncertain;
//!   - `ioreg -f` layouts of `reg`, `assigned-addresses`, `ranges`, `interrupts` …: the data
//!     is printed as host-order 32-bit words (the byte order is not in the dump), trailing
//!     bytes short of a whole record are dropped, and `ranges` columns depend on other
//!     entries' `#address-cells`; so no bytes can be rebuilt with confidence. Hex dumps of
//!     other data are exact and decode to data.
//! - A tree line that stops before its `>` with more lines after it is an error (`ioreg`
//!   marks a clipped line with `$`; only a truncated file's last line may stop early).

mod chunked;
mod header;
mod hexdump;
mod lines;
mod tree;
mod value;

#[cfg(test)]
mod chunked_tests;
#[cfg(test)]
mod deferred_tests;
#[cfg(test)]
mod tests;

use crate::formats::{Limits, ReadError, ValueMode};
use crate::registry::{
    Entry, EntryProperties, HeaderStyle, LimitExceeded, LoadReport, Origin, Properties, Registry,
    Span, Text, TextDialect, Truncation, Value,
};
use lines::{Layout, Line, Lines};
use std::collections::HashSet;
use tree::{Pending, Segment};

/// At most this many lines of other text may come before the first tree line.
const MAX_PREAMBLE_LINES: usize = 10;
/// Warnings kept word for word; the rest are counted.
const MAX_WARNINGS: usize = 50;

/// Reads an `ioreg` text dump (a large one on several threads, in chunks).
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Registry, ReadError> {
    if let Some(registry) = chunked::read(bytes, limits, None, ValueMode::Keep) {
        return Ok(registry);
    }
    Reader::new(bytes, limits).run()
}

/// Tests and fuzzing (`testkit`): a text dump read on `threads` threads in chunks of at least
/// `min_chunk` bytes, or `None` when the chunks step aside (the one-thread [`read`] is the
/// reference).
#[cfg(feature = "testkit")]
#[doc(hidden)]
pub fn read_in_chunks(
    bytes: &[u8],
    limits: &Limits,
    threads: usize,
    min_chunk: usize,
) -> Option<Registry> {
    chunked::read_in_chunks(bytes, limits, threads, min_chunk, None, ValueMode::Keep)
        .ok()
        .map(|(registry, _)| registry)
}

/// Tests and fuzzing (`testkit`): [`read_in_chunks`] with the property values left in a copy
/// of `bytes` (as `formats::read_deferring` reads a dump on one thread), or `None` when the
/// chunks step aside.
#[cfg(feature = "testkit")]
#[doc(hidden)]
pub fn read_in_chunks_deferring(
    bytes: &[u8],
    limits: &Limits,
    threads: usize,
    min_chunk: usize,
) -> Option<Registry> {
    let (mut registry, _) =
        chunked::read_in_chunks(bytes, limits, threads, min_chunk, None, ValueMode::Defer).ok()?;
    crate::formats::Deferred::attach_memory(&mut registry, bytes, limits);
    Some(registry)
}

/// [`read`], calling `release(offset)` every few MB once the bytes before `offset` are
/// behind the reader (they may still be read again, so they must stay readable).
pub(crate) fn read_releasing(
    bytes: &[u8],
    limits: &Limits,
    release: &dyn Fn(usize),
    values: ValueMode,
) -> Result<Registry, ReadError> {
    if let Some(registry) = chunked::read(bytes, limits, Some(release), values) {
        return Ok(registry);
    }
    let mut reader = Reader::new(bytes, limits);
    reader.lines = reader.lines.releasing(release);
    reader.values = values;
    reader.run()
}

/// The properties of one entry left in the file by a reader given [`ValueMode::Defer`]: `head`
/// holds the bytes of its span (see `registry::Span`: the block's `{` line up to where the
/// block ended), `html` whether the dump is HTML-escaped, `flags` the span's flags (how the
/// dump's lines end and are indented, [`Layout::flags`]).
///
/// The block is read again by the code that read it ([`Reader::block_lines`]): nothing a value
/// is parsed from lies outside the block, except how the dump cuts and indents its lines
/// (judged from its start, so carried in `flags`) and what follows the block, which only
/// decides the load report (a truncation, a warning), never a value: the line after a block
/// that ends early is a tree line, and a tree line ends a value as the end of the bytes does.
pub(crate) fn decode_properties(
    head: &[u8],
    html: bool,
    flags: u32,
    limits: &Limits,
) -> Result<Properties, ReadError> {
    let lines = Lines::with_layout(head, html, Layout::from_flags(flags));
    let mut reader = Reader::with_lines(lines, html, false, limits);
    let open = reader.lines.next_line();
    let prefix = open.as_ref().and_then(|line| {
        let bars = lines::bars_len(&line.text);
        (line.text[bars..] == *b"{").then(|| line.text[..bars].to_vec())
    });
    let Some(prefix) = prefix else {
        let found = open.map_or_else(|| "an empty line".to_owned(), |l| describe(&l.text));
        return Err(ReadError::line(
            1,
            format!("expected the `{{` line of a property block, found {found}"),
        ));
    };
    reader.block_lines(&prefix)?;
    Ok(reader.block_properties.drain(..).collect())
}

struct Reader<'a> {
    lines: Lines<'a>,
    limits: &'a Limits,
    /// Everything read so far: what a chunk's thread hands back (see [`chunked`]).
    piece: Piece,
    scratch: value::Scratch,
    /// The properties of the block being read, moved into their entry at its end: one
    /// allocation of the exact size per entry (a growing vector reallocates and copies).
    block_properties: Vec<(Text, Value)>,
    /// Lines from this offset on are left to the next chunk (`usize::MAX`: the whole file).
    stop: usize,
    /// Reading a chunk after the first: its first entries hang under entries of the chunks
    /// before, which stand in the segment as `piece.placeholders` blank nodes.
    chunk: bool,
    /// Whether entries keep the property values read, or where they lie
    /// (`EntryProperties::pending`; see [`decode_properties`]).
    values: ValueMode,
    /// The dump's [`Layout`] as deferred spans' flags.
    flags: u32,
}

/// A reader's state without its line cursor: what a chunk's thread hands back (see
/// [`chunked`]), and what [`Reader::resume`] goes on from.
struct Piece {
    registry: Registry,
    segment: Segment,
    /// Indices into `segment.nodes` of the open entries, by depth.
    stack: Vec<usize>,
    by_id: tree::IdMap,
    merged: tree::Merged,
    total: usize,
    style: Option<HeaderStyle>,
    numbers: value::NumberStats,
    properties: bool,
    inheritance: bool,
    html: bool,
    crlf: bool,
    preamble: Vec<usize>,
    dropped_warnings: usize,
    /// Planes named by header lines so far (held to the `planes` limit).
    planes: HashSet<String>,
    /// Where the first line left to the next chunk starts, once met.
    stopped_at: Option<usize>,
    /// How many blank nodes stand, at the start of the segment, for the entries the chunks
    /// before left open.
    placeholders: usize,
    /// A class chain (`-i`, or post-processed lines) was met.
    chains: bool,
}

/// How a property block ended.
enum BlockEnd<'a> {
    Closed,
    /// A tree line came before the closing `}`.
    Interrupted(Line<'a>),
    Eof,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], limits: &'a Limits) -> Self {
        let html = lines::is_html_escaped(bytes);
        Self::with_lines(Lines::new(bytes, html), html, lines::is_crlf(bytes), limits)
    }

    /// A reader of `lines` (`html`, `crlf`: what the dump is, judged from its start).
    fn with_lines(lines: Lines<'a>, html: bool, crlf: bool, limits: &'a Limits) -> Self {
        Reader {
            flags: lines.layout().flags(),
            lines,
            limits,
            piece: Piece {
                registry: Registry::new(),
                segment: Segment::default(),
                stack: Vec::new(),
                by_id: tree::IdMap::default(),
                merged: tree::Merged::default(),
                total: 0,
                style: None,
                numbers: value::NumberStats::default(),
                properties: false,
                inheritance: false,
                html,
                crlf,
                preamble: Vec::new(),
                dropped_warnings: 0,
                planes: HashSet::new(),
                stopped_at: None,
                placeholders: 0,
                chains: false,
            },
            scratch: value::Scratch::default(),
            block_properties: Vec::new(),
            stop: usize::MAX,
            chunk: false,
            values: ValueMode::Keep,
        }
    }

    fn run(mut self) -> Result<Registry, ReadError> {
        self.read_lines()?;
        self.finish()
    }

    /// Handles every line up to the end, or up to the first one at `stop` or after it.
    fn read_lines(&mut self) -> Result<(), ReadError> {
        let mut pending = None;
        while let Some(line) = pending.take().or_else(|| self.lines.next_line()) {
            if line.offset >= self.stop {
                self.piece.stopped_at = Some(line.offset);
                break;
            }
            pending = self.line(line)?;
        }
        Ok(())
    }

    /// The state after reading, without the line cursor.
    fn into_piece(self) -> Piece {
        self.piece
    }

    /// A reader holding `piece`'s state, with no lines left (to [`Reader::finish`] it).
    fn resume(piece: Piece, limits: &'a Limits) -> Self {
        Reader {
            piece,
            ..Reader::new(&[], limits)
        }
    }

    /// Handles a line outside property blocks; returns a line that still needs handling.
    fn line(&mut self, line: Line<'a>) -> Result<Option<Line<'a>>, ReadError> {
        let text = &line.text;
        if let Some((depth, at)) = lines::tree_line(text) {
            return self.node(line, depth, at);
        }
        if lines::is_blank(text) {
            return Ok(None);
        }
        if let Some(plane) = lines::plane_header(text) {
            if self.chunk {
                return Err(ReadError::line(
                    line.number,
                    "a plane header after the first chunk",
                ));
            }
            if !self.piece.planes.contains(plane) {
                // Two inferred planes may join the named ones.
                if self.piece.planes.len() + 2 >= self.limits.max_planes {
                    let e = LimitExceeded::new("planes", self.limits.max_planes);
                    return Err(ReadError::line(
                        line.number,
                        format!("one plane too many: {e}"),
                    ));
                }
                self.piece.planes.insert(plane.to_owned());
            }
            let plane = plane.to_owned();
            self.new_segment(Some(plane))?;
            return Ok(None);
        }
        if self.piece.total == 0 {
            return self.preamble_line(&line).map(|()| None);
        }
        let bars = lines::bars_len(text);
        if &text[bars..] == b"{" {
            if let Some(&node) = self.piece.stack.last() {
                if self.piece.segment.nodes[node].entry.properties.is_empty() {
                    let prefix = text[..bars].to_vec();
                    return self.block(node, prefix, &line);
                }
            }
        }
        self.warn(format!(
            "line {}: unexpected text outside a property block, skipped: {}",
            line.number,
            snippet(text)
        ));
        Ok(None)
    }

    fn preamble_line(&mut self, line: &Line<'_>) -> Result<(), ReadError> {
        self.piece.preamble.push(line.number);
        let texty = std::str::from_utf8(&line.text)
            .is_ok_and(|s| !s.chars().any(|c| c.is_control() && c != '\t'));
        if !texty || self.piece.preamble.len() > MAX_PREAMBLE_LINES {
            // The line quoted is the line named.
            return Err(ReadError::line(
                line.number,
                format!(
                    "expected an ioreg tree line `+-o NAME  <class …>`, found {}",
                    describe(&line.text)
                ),
            ));
        }
        Ok(())
    }

    fn new_segment(&mut self, plane: Option<String>) -> Result<(), ReadError> {
        let done = std::mem::take(&mut self.piece.segment);
        tree::flush(
            done,
            &mut self.piece.registry,
            &mut self.piece.by_id,
            &mut self.piece.merged,
        )?;
        self.piece.segment.plane = plane;
        self.piece.stack.clear();
        Ok(())
    }

    /// A tree line: adds the entry, then reads its property block if one follows.
    fn node(
        &mut self,
        line: Line<'a>,
        depth: usize,
        at: usize,
    ) -> Result<Option<Line<'a>>, ReadError> {
        if depth > self.limits.max_depth {
            let e = LimitExceeded::new("depth", self.limits.max_depth);
            return Err(ReadError::line(line.number, format!("tree too deep: {e}")));
        }
        self.piece.total += 1;
        if self.piece.total > self.limits.max_entries {
            let e = LimitExceeded::new("entries", self.limits.max_entries);
            return Err(ReadError::line(
                line.number,
                format!("too many entries: {e}"),
            ));
        }
        self.check_length(line.text.len(), line.number)?;
        let h = header::parse(&line.text[at..]);
        self.check_header(&h, &line, at)?;
        self.note_header(&h, &line);
        if self.chunk && self.piece.segment.nodes.is_empty() {
            self.open_placeholders(depth);
        }
        let parent = self.attach(depth, line.number);
        let entry = self.entry(&h, depth == 0 || parent.is_none(), line.number)?;
        let index = self.piece.segment.nodes.len();
        self.piece.segment.nodes.push(Pending {
            entry,
            parent,
            line: line.number,
        });
        self.piece.stack.push(index);

        let Some(next) = self.lines.peek() else {
            return Ok(None);
        };
        let bars = lines::bars_len(&next.text);
        if &next.text[bars..] != b"{" {
            return Ok(None);
        }
        let prefix = next.text[..bars].to_vec();
        let Some(open) = self.lines.next_line() else {
            return Ok(None);
        };
        self.block(index, prefix, &open)
    }

    /// An error if a line or value of `len` bytes is over the `string-bytes` limit.
    fn check_length(&self, len: usize, number: usize) -> Result<(), ReadError> {
        if len > self.limits.max_string_bytes {
            let e = LimitExceeded::new("string-bytes", self.limits.max_string_bytes);
            return Err(ReadError::line(number, format!("line too long: {e}")));
        }
        Ok(())
    }

    /// A tree line cut short in the middle of the file is broken: `ioreg` ends a clipped line
    /// with `$`, and only the last line of a truncated file may stop early.
    fn check_header(
        &mut self,
        h: &header::Header<'_>,
        line: &Line<'_>,
        at: usize,
    ) -> Result<(), ReadError> {
        let rest = &line.text[at..];
        let broken = h.incomplete
            && !h.clipped
            && line.terminated
            && memchr::memmem::find(rest, b"  <class").is_some()
            && self.lines.peek().is_some();
        if broken {
            return Err(ReadError::line(
                line.number,
                format!(
                    "expected a tree line ending in `>` (or `$` where ioreg clipped it), found {}",
                    describe(rest)
                ),
            ));
        }
        Ok(())
    }

    fn note_header(&mut self, h: &header::Header<'_>, line: &Line<'_>) {
        if self.piece.style.is_none() {
            self.piece.style = h.style;
        }
        if h.clipped {
            self.piece.registry.report.note_clipped(line.number as u64);
        }
        if h.incomplete && !h.clipped && !line.terminated {
            self.truncated(line.number, "the file ends in the middle of a tree line");
        }
        if let Some(field) = h.unknown.first() {
            let msg = format!(
                "line {}: unknown field in a tree line: {}",
                line.number,
                snippet(field)
            );
            self.warn(msg);
        }
    }

    /// A chunk after the first starts at a tree line of some depth: the entries open above
    /// it belong to the chunks before. Blank nodes stand in for them (the stitch replaces
    /// them, see [`chunked`]), so the line is read as the one-thread reader reads it.
    fn open_placeholders(&mut self, depth: usize) {
        self.piece.placeholders = depth;
        for i in 0..depth {
            self.piece.segment.nodes.push(Pending {
                entry: Entry::default(),
                parent: i.checked_sub(1),
                line: 0,
            });
            self.piece.stack.push(i);
        }
    }

    /// The parent of an entry at `depth`, closing deeper open entries.
    fn attach(&mut self, depth: usize, number: usize) -> Option<usize> {
        if depth > self.piece.stack.len() {
            let msg = if self.piece.stack.is_empty() {
                format!("line {number}: a tree starts at depth {depth}; read as a root")
            } else {
                format!(
                    "line {number}: entry at depth {depth} below one at depth {}; \
                     attached to it",
                    self.piece.stack.len() - 1
                )
            };
            self.warn(msg);
        }
        self.piece.stack.truncate(depth.min(self.piece.stack.len()));
        if depth == 0 {
            None
        } else {
            self.piece.stack.last().copied()
        }
    }

    fn entry(
        &mut self,
        h: &header::Header<'_>,
        top: bool,
        number: usize,
    ) -> Result<Entry, ReadError> {
        let (name, location) = split_label(h.label);
        let class = match h.class {
            Some(c) => Some(
                self.class(c)
                    .map_err(|e| ReadError::line(number, format!("one class too many: {e}")))?,
            ),
            None => None,
        };
        let is_root = top
            && name == b"Root"
            && class.is_none_or(|c| self.piece.registry.classes.name(c) == "IORegistryEntry");
        Ok(Entry {
            id: h.id,
            name: Text::from_bytes(name),
            location: location.map(Text::from_bytes),
            class,
            retain: h.retain,
            state: h.state,
            properties: EntryProperties::default(),
            is_root,
            synthetic: false,
        })
    }

    /// Interns a class, or with `-i` a chain `Base:…:Leaf`, and returns the leaf.
    fn class(&mut self, raw: &[u8]) -> Result<crate::registry::ClassId, LimitExceeded> {
        let text = Text::from_bytes(raw);
        let name = text.to_string_lossy();
        let max = self.limits.max_classes;
        let classes = &mut self.piece.registry.classes;
        if name.contains(':') && !name.contains("::") {
            self.piece.chains = true;
            if self.piece.style != Some(HeaderStyle::PostProcessed) {
                self.piece.inheritance = true;
            }
            let chain = name.split(':').filter(|s| !s.is_empty());
            if let Some(leaf) = classes.try_intern_chain(chain, max)? {
                return Ok(leaf);
            }
        }
        classes.try_intern(&name, max)
    }

    /// Reads the property lines of a block whose `{` line (`open`) had `prefix` before the
    /// brace.
    fn block(
        &mut self,
        node: usize,
        prefix: Vec<u8>,
        open: &Line<'_>,
    ) -> Result<Option<Line<'a>>, ReadError> {
        self.piece.properties = true;
        let end = self.block_lines(&prefix)?;
        let properties = match self.values {
            ValueMode::Keep => self.block_properties.drain(..).collect(),
            ValueMode::Defer if self.block_properties.is_empty() => EntryProperties::default(),
            ValueMode::Defer => {
                // The values were read (the report counts them); where they lie is kept.
                let stop = match &end {
                    BlockEnd::Interrupted(line) => line.offset,
                    BlockEnd::Closed | BlockEnd::Eof => self.lines.consumed(),
                };
                let span = Span {
                    flags: self.flags,
                    ..Span::new(open.offset as u64, stop as u64)
                };
                let len = self.block_properties.len();
                self.block_properties.clear();
                EntryProperties::pending(span, len)
            }
        };
        self.piece.segment.nodes[node].entry.properties = properties;
        let open = open.number;
        match end {
            BlockEnd::Closed => Ok(None),
            BlockEnd::Interrupted(line) => {
                let msg = format!(
                    "line {}: the property block opened at line {open} has no closing brace",
                    line.number
                );
                self.warn(msg);
                Ok(Some(line))
            }
            BlockEnd::Eof => {
                let last = self.lines.last_number();
                self.truncated(
                    last,
                    &format!("the file ends inside the property block opened at line {open}"),
                );
                Ok(None)
            }
        }
    }

    fn block_lines(&mut self, prefix: &[u8]) -> Result<BlockEnd<'a>, ReadError> {
        while let Some(line) = self.lines.next_line() {
            if let Some(rest) = line.text.strip_prefix(prefix) {
                if rest.first() == Some(&b'}') {
                    return Ok(BlockEnd::Closed);
                }
                if is_property(rest) {
                    let (key, value) = self.property(&line, prefix)?;
                    self.block_properties.push((key, value));
                    continue;
                }
            }
            if lines::tree_line(&line.text).is_some() {
                return Ok(BlockEnd::Interrupted(line));
            }
            let msg = format!(
                "line {}: unexpected text in a property block, skipped: {}",
                line.number,
                snippet(&line.text)
            );
            self.warn(msg);
        }
        Ok(BlockEnd::Eof)
    }

    /// `PREFIX  "key" = value` (with any continuation lines).
    fn property(&mut self, line: &Line<'a>, prefix: &[u8]) -> Result<(Text, Value), ReadError> {
        self.check_length(line.text.len(), line.number)?;
        let body = &line.text[prefix.len() + 2..];
        let Some((key, value)) = split_key(body) else {
            // Clipped inside the key.
            let key = body.strip_suffix(b"$").unwrap_or(body);
            let key = key.strip_prefix(b"\"").unwrap_or(key);
            if body.ends_with(b"$") {
                self.piece.registry.report.note_clipped(line.number as u64);
            }
            let value = Value::Raw {
                text: Text::default(),
                clipped: body.ends_with(b"$"),
            };
            self.piece.registry.report.raw_values += 1;
            return Ok((Text::from_bytes(key), value));
        };
        // Left in the file: read past (the report counts it), not built.
        let key = match self.values {
            ValueMode::Keep => Text::from_bytes(key),
            ValueMode::Defer => Text::default(),
        };
        let (value, raws) = self.value(value, line, prefix)?;
        self.piece.registry.report.raw_values += raws;
        Ok((key, value))
    }

    /// Types a value, joining the lines it continues on when it needs them. Also returns
    /// how many values inside it were kept raw.
    fn value(
        &mut self,
        text: &[u8],
        line: &Line<'a>,
        prefix: &[u8],
    ) -> Result<(Value, usize), ReadError> {
        let at = line.number;
        if text.is_empty() && self.next_is_formatted(prefix) {
            return Ok(self.formatted(prefix));
        }
        let first = self.parse(text, at)?;
        let clipped_mark = text.ends_with(b"$");
        if let Some((v, raws)) = first {
            if !clipped_mark || raws == 0 {
                return Ok((v, raws));
            }
        }
        let continues = self
            .lines
            .peek()
            .is_some_and(|next| !structural(&next.text, prefix));
        if continues && !clipped_mark {
            return self.multi_line(text, at, prefix);
        }
        if clipped_mark {
            self.piece.registry.report.note_clipped(at as u64);
            return Ok((raw(&text[..text.len() - 1], true), 1));
        }
        if self.lines.peek().is_none() && !line.terminated {
            self.truncated(at, "the file ends in the middle of a property value");
        }
        Ok((raw(text, false), 1))
    }

    /// Parses a value; `None` when it is not a complete value.
    fn parse(&mut self, text: &[u8], at: usize) -> Result<Option<(Value, usize)>, ReadError> {
        match value::parse(
            text,
            self.limits.max_depth,
            &mut self.piece.numbers,
            &mut self.scratch,
            self.values == ValueMode::Keep,
        ) {
            Ok(v) => Ok(Some((v, self.piece.numbers.raws))),
            Err(value::Fail::Malformed) => Ok(None),
            Err(value::Fail::TooDeep) => {
                let e = LimitExceeded::new("depth", self.limits.max_depth);
                Err(ReadError::line(at, format!("values nested too deep: {e}")))
            }
        }
    }

    /// A string (or container) that goes on over the following lines: `ioreg` prints newlines
    /// inside strings as they are. It ends before the next property, the block's end, a
    /// tree line or the end of the file.
    fn multi_line(
        &mut self,
        text: &[u8],
        at: usize,
        prefix: &[u8],
    ) -> Result<(Value, usize), ReadError> {
        let mut joined = text.to_vec();
        while let Some(next) = self.lines.peek() {
            if structural(&next.text, prefix) {
                break;
            }
            let Some(next) = self.lines.next_line() else {
                break;
            };
            self.check_length(joined.len() + 1 + next.text.len(), at)?;
            joined.push(b'\n');
            joined.extend_from_slice(&next.text);
            let ends_here = self
                .lines
                .peek()
                .is_none_or(|after| structural(&after.text, prefix));
            if ends_here {
                if let Some(v) = self.parse(&joined, at)? {
                    return Ok(v);
                }
            }
        }
        if self.lines.peek().is_none() {
            self.truncated(at, "the file ends inside a multi-line value");
        } else {
            self.warn(format!(
                "line {at}: a value over several lines could not be read; kept as text"
            ));
        }
        Ok((raw(&joined, false), 1))
    }

    fn next_is_formatted(&mut self, prefix: &[u8]) -> bool {
        self.lines.peek().is_some_and(|next| {
            next.text
                .strip_prefix(prefix)
                .is_some_and(|r| r.starts_with(b"    "))
        })
    }

    /// `ioreg -f` output on the lines below the key: a hex dump (decoded to data) or
    /// another layout (`reg`, `ranges`, `interrupts` …, kept as text).
    fn formatted(&mut self, prefix: &[u8]) -> (Value, usize) {
        let mut rows: Vec<Vec<u8>> = Vec::new();
        while self.next_is_formatted(prefix) {
            if let Some(line) = self.lines.next_line() {
                rows.push(line.text[prefix.len() + 4..].to_vec());
            }
        }
        if let Some(bytes) = hexdump::decode(rows.iter().map(Vec::as_slice)) {
            return (Value::Data(bytes.into_boxed_slice()), 0);
        }
        (raw(&rows.join(&b'\n'), false), 1)
    }

    fn truncated(&mut self, line: usize, message: &str) {
        if self.piece.registry.report.truncated.is_none() {
            self.piece.registry.report.truncated = Some(Truncation {
                position: format!("line {line}"),
                message: message.to_owned(),
            });
        }
    }

    fn warn(&mut self, message: String) {
        if self.piece.registry.report.warnings.len() < MAX_WARNINGS {
            self.piece.registry.report.warnings.push(message);
        } else {
            self.piece.dropped_warnings += 1;
        }
    }

    /// Says how entries with several parents were read (merged by ID, or not at all).
    fn report_merges(&mut self) {
        let m = &self.piece.merged;
        let report = &mut self.piece.registry.report;
        report.merged_appearances = m.appearances;
        report.duplicate_links += m.duplicate_links;
        if m.duplicate_links > 0 {
            let msg = format!(
                "{} (parent, child) link(s) listed twice under one parent: kept once",
                m.duplicate_links
            );
            self.warn(msg);
        }
        let has_ids = self.piece.registry.entries().any(|(_, e)| e.id.is_some());
        if !has_ids {
            self.piece.registry.report.unmerged = true;
        }
    }

    fn finish(mut self) -> Result<Registry, ReadError> {
        if self.piece.total == 0 {
            let line = self.piece.preamble.first().copied().unwrap_or(1);
            return Err(ReadError::line(
                line,
                "expected an ioreg tree line `+-o NAME  <class …>`, found none in the file",
            ));
        }
        self.new_segment(None)?;
        if let Some(&first) = self.piece.preamble.first() {
            let msg = format!(
                "line {first}: skipped {} line(s) before the first tree line",
                self.piece.preamble.len()
            );
            self.warn(msg);
        }
        self.report_merges();
        if self.piece.dropped_warnings > 0 {
            let n = self.piece.dropped_warnings;
            self.piece
                .registry
                .report
                .warnings
                .push(format!("… and {n} more warnings"));
        }
        let report: &mut LoadReport = &mut self.piece.registry.report;
        report.origin = Origin::IoregText;
        report.dialect = Some(TextDialect {
            header: self.piece.style.unwrap_or_default(),
            hex: self.piece.numbers.hex > 0 && self.piece.numbers.decimal == 0,
            properties: self.piece.properties,
            html_escaped: self.piece.html,
            crlf: self.piece.crlf,
            inheritance: self.piece.inheritance,
        });
        Ok(self.piece.registry)
    }
}

fn raw(text: &[u8], clipped: bool) -> Value {
    Value::Raw {
        text: Text::from_bytes(text),
        clipped,
    }
}

/// After the block prefix: `  "key" = …` (or `   = …` for a key `ioreg` could not print).
fn is_property(rest: &[u8]) -> bool {
    rest.starts_with(b"  \"") || rest.starts_with(b"   = ")
}

/// Lines that end a multi-line value: a property or the end of the block, or a tree line.
fn structural(text: &[u8], prefix: &[u8]) -> bool {
    if lines::tree_line(text).is_some() {
        return true;
    }
    text.strip_prefix(prefix)
        .is_some_and(|r| is_property(r) || r.first() == Some(&b'}'))
}

/// `"key" = value` → (key, value).
fn split_key(body: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(v) = body.strip_prefix(b" = ") {
        return Some((&[], v));
    }
    let inner = body.strip_prefix(b"\"")?;
    // The first `" = ` (found by its quote: a searcher built per line cost more than the search).
    let n = memchr::memchr_iter(b'"', inner).find(|&n| inner[n + 1..].starts_with(b" = "))?;
    Some((&inner[..n], &inner[n + 4..]))
}

/// `name@loc` → (name, loc): the last `@`, when what follows has no spaces.
fn split_label(label: &[u8]) -> (&[u8], Option<&[u8]>) {
    match memchr::memrchr(b'@', label) {
        Some(at) if !label[at + 1..].contains(&b' ') => (&label[..at], Some(&label[at + 1..])),
        _ => (label, None),
    }
}

/// A short, terminal-safe excerpt for messages.
fn snippet(text: &[u8]) -> String {
    let cut = &text[..text.len().min(60)];
    let mut s: String = cut.escape_ascii().to_string();
    if text.len() > cut.len() {
        s.push('…');
    }
    s
}

fn describe(text: &[u8]) -> String {
    if text.is_empty() {
        "an empty line".to_owned()
    } else {
        format!("`{}`", snippet(text))
    }
}
