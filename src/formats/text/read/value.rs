//! Property values as `ioreg` prints them (`cfshow`): `"str"`, `123`, `0x7b`, `Yes`/`No`,
//! `<hex>`, `<"a","b">`, `(array)`, `{"k"=v}`, `[set]`.
//!
//! `ioreg` escapes nothing, so a string ends at the first `"` that is followed by what the
//! context allows (`,` or the closer in a container, `=` after a key, the end of the
//! value at the top) *and* by something that can continue the text (a key after `,` in a
//! dict, a value after `,` in an array…). The parser keeps an explicit stack, so nesting
//! depth costs no native stack and is bounded by `Limits::max_depth`.

use super::header::{hex_val, parse_dec, parse_hex};
use crate::registry::{IntRadix, Integer, Text, Value};

/// Why a value could not be typed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Fail {
    /// Nesting deeper than the limit: an error for the whole read.
    TooDeep,
    /// Not a complete value: kept raw by the caller.
    Malformed,
}

/// What the parser noticed about numbers (to tell a `-x` dump).
#[derive(Debug, Default)]
pub(super) struct NumberStats {
    pub hex: usize,
    pub decimal: usize,
    /// Values kept raw in the last value parsed (saves walking it again).
    pub raws: usize,
}

/// Buffers the parser reuses from value to value: the open containers and their elements so
/// far. A finished container takes its elements in one allocation of the exact size (no
/// vector grown by doubling, then shrunk), and the buffers keep their capacity for the next
/// value.
#[derive(Default)]
pub(super) struct Scratch {
    stack: Vec<Frame>,
    items: Vec<Value>,
    pairs: Vec<(Text, Value)>,
}

/// Parses one whole value (the text after ` = `, multi-line strings joined with `\n`).
/// With `build` false the value is read past, not built (a reader leaving values in the
/// file): the same bytes are accepted and counted, and a placeholder comes back.
pub(super) fn parse(
    text: &[u8],
    max_depth: usize,
    stats: &mut NumberStats,
    scratch: &mut Scratch,
    build: bool,
) -> Result<Value, Fail> {
    stats.raws = 0;
    // What a failed value left behind.
    scratch.stack.clear();
    scratch.items.clear();
    scratch.pairs.clear();
    Parser {
        s: text,
        i: 0,
        stack: &mut scratch.stack,
        items: &mut scratch.items,
        pairs: &mut scratch.pairs,
        max_depth,
        stats,
        build,
    }
    .run()
}

/// An open container: where its elements start in the scratch buffers.
enum Frame {
    Array(usize),
    Set(usize),
    Dict(usize, Option<Text>),
}

impl Frame {
    fn closer(&self) -> u8 {
        match self {
            Frame::Array(_) => b')',
            Frame::Set(_) => b']',
            Frame::Dict(..) => b'}',
        }
    }

    fn awaiting_key(&self) -> bool {
        matches!(self, Frame::Dict(_, None))
    }
}

struct Parser<'a, 's> {
    s: &'a [u8],
    i: usize,
    stack: &'s mut Vec<Frame>,
    items: &'s mut Vec<Value>,
    pairs: &'s mut Vec<(Text, Value)>,
    max_depth: usize,
    stats: &'s mut NumberStats,
    /// Build the value (not only read past it).
    build: bool,
}

impl Parser<'_, '_> {
    /// Opens a container (`(`, `[` or `{`).
    fn open(&self, open: u8) -> Frame {
        match open {
            b'(' => Frame::Array(self.items.len()),
            b'[' => Frame::Set(self.items.len()),
            _ => Frame::Dict(self.pairs.len(), None),
        }
    }

    /// Adds a value to the innermost open container.
    fn push(&mut self, value: Value) {
        match self.stack.last_mut() {
            Some(Frame::Array(_) | Frame::Set(_)) if self.build => self.items.push(value),
            Some(Frame::Dict(_, key)) => {
                let key = key.take().unwrap_or_default();
                if self.build {
                    self.pairs.push((key, value));
                }
            }
            _ => {}
        }
    }

    /// The finished container, its elements moved out of the scratch buffers.
    fn close(&mut self, frame: Frame) -> Value {
        if !self.build {
            return Value::Bool(false);
        }
        match frame {
            Frame::Array(start) => Value::Array(self.items.drain(start..).collect()),
            Frame::Set(start) => Value::Set(self.items.drain(start..).collect()),
            Frame::Dict(start, _) => Value::Dict(self.pairs.drain(start..).collect()),
        }
    }

    fn run(mut self) -> Result<Value, Fail> {
        'value: loop {
            if self.stack.last().is_some_and(Frame::awaiting_key) {
                let key = self.key()?;
                if let Some(Frame::Dict(_, k)) = self.stack.last_mut() {
                    *k = Some(key);
                }
            }
            let mut value = match self.s.get(self.i).copied() {
                Some(open @ (b'(' | b'{' | b'[')) => {
                    if self.stack.len() >= self.max_depth {
                        return Err(Fail::TooDeep);
                    }
                    let frame = self.open(open);
                    self.i += 1;
                    if self.s.get(self.i) == Some(&frame.closer()) {
                        self.i += 1;
                        self.close(frame)
                    } else {
                        self.stack.push(frame);
                        continue 'value;
                    }
                }
                _ => self.scalar()?,
            };
            loop {
                let Some(top) = self.stack.last() else {
                    return if self.i == self.s.len() {
                        Ok(value)
                    } else {
                        Err(Fail::Malformed)
                    };
                };
                let closer = top.closer();
                self.push(value);
                match self.s.get(self.i).copied() {
                    Some(b',') => {
                        self.i += 1;
                        continue 'value;
                    }
                    Some(c) if c == closer => {
                        self.i += 1;
                        let frame = self.stack.pop().ok_or(Fail::Malformed)?;
                        value = self.close(frame);
                    }
                    _ => return Err(Fail::Malformed),
                }
            }
        }
    }

    /// `"key"=`
    fn key(&mut self) -> Result<Text, Fail> {
        if self.s.get(self.i) != Some(&b'"') {
            return Err(Fail::Malformed);
        }
        let text = self.string()?;
        if self.s.get(self.i) != Some(&b'=') {
            return Err(Fail::Malformed);
        }
        self.i += 1;
        Ok(text)
    }

    /// Whether `c` may follow a complete value (or key) here.
    fn follows(&self, c: Option<u8>) -> bool {
        match self.stack.last() {
            None => c.is_none(),
            Some(f) if f.awaiting_key() => c == Some(b'='),
            Some(f) => c == Some(b',') || c == Some(f.closer()),
        }
    }

    /// Whether the text from `at` (just after a candidate end of a string) can continue.
    fn plausible_after(&self, at: usize) -> bool {
        let next = self.s.get(at + 1).copied();
        match self.s.get(at).copied() {
            None => true,
            Some(b'=') => next.is_none_or(starts_value),
            Some(b',') => match self.stack.last() {
                Some(Frame::Dict(..)) => next == Some(b'"'),
                _ => next.is_some_and(starts_value),
            },
            Some(_) => {
                // A closer: what follows must suit the enclosing container (or the end).
                let parent = self.stack.len().checked_sub(2).map(|i| &self.stack[i]);
                match parent {
                    None => next.is_none(),
                    Some(f) if f.awaiting_key() => next == Some(b'='),
                    Some(f) => next == Some(b',') || next == Some(f.closer()),
                }
            }
        }
    }

    fn scalar(&mut self) -> Result<Value, Fail> {
        let c = self.s.get(self.i).copied();
        if self.follows(c) {
            // Nothing printed: a string `ioreg` could not convert (`"key"=,`).
            self.stats.raws += 1;
            return Ok(Value::Raw {
                text: Text::default(),
                clipped: false,
            });
        }
        match c {
            Some(b'"') => self.string().map(Value::String),
            Some(b'<') => self.data(),
            Some(b'0'..=b'9') => Ok(self.number()),
            Some(b'Y' | b'N') => Ok(self.boolean()),
            _ => Ok(self.raw_token()),
        }
    }

    fn string(&mut self) -> Result<Text, Fail> {
        let start = self.i + 1;
        let mut j = start;
        while let Some(n) = memchr::memchr(b'"', &self.s[j..]) {
            let q = j + n;
            if self.follows(self.s.get(q + 1).copied()) && self.plausible_after(q + 1) {
                self.i = q + 1;
                return Ok(self.text(start, q));
            }
            j = q + 1;
        }
        Err(Fail::Malformed)
    }

    fn number(&mut self) -> Value {
        let start = self.i;
        let rest = &self.s[start..];
        let (hex, digits) = match rest
            .strip_prefix(b"0x")
            .or_else(|| rest.strip_prefix(b"0X"))
        {
            Some(h) => (true, h),
            None => (false, rest),
        };
        let n = digits
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        let end = start + (rest.len() - digits.len()) + n;
        if n == 0 || !self.follows(self.s.get(end).copied()) {
            return self.raw_token();
        }
        let parsed = if hex {
            parse_hex(&digits[..n]).map(|(v, _)| v)
        } else {
            parse_dec(&digits[..n])
        };
        let Some(v) = parsed else {
            return self.raw_token();
        };
        self.i = end;
        let mut int = Integer::unsigned(v, 64);
        if hex {
            int.radix = IntRadix::Hex;
            self.stats.hex += 1;
        } else {
            self.stats.decimal += 1;
        }
        Value::Integer(int)
    }

    fn boolean(&mut self) -> Value {
        for (word, b) in [(&b"Yes"[..], true), (&b"No"[..], false)] {
            let end = self.i + word.len();
            if self.s[self.i..].starts_with(word) && self.follows(self.s.get(end).copied()) {
                self.i = end;
                return Value::Bool(b);
            }
        }
        self.raw_token()
    }

    /// Something untyped: kept as text up to where the context allows a value to end.
    fn raw_token(&mut self) -> Value {
        let start = self.i;
        let end = if self.stack.is_empty() {
            self.s.len()
        } else {
            (start..self.s.len())
                .find(|&p| self.follows(Some(self.s[p])))
                .unwrap_or(self.s.len())
        };
        self.i = end;
        self.stats.raws += 1;
        Value::Raw {
            text: self.text(start, end),
            clipped: false,
        }
    }

    /// Bytes `start..end` as text (empty when the value is only read past).
    fn text(&self, start: usize, end: usize) -> Text {
        if self.build {
            Text::from_bytes(&self.s[start..end])
        } else {
            Text::default()
        }
    }

    /// `<hex>`, `<"a","b">` (NUL-terminated strings), or another `<…>` kept raw.
    fn data(&mut self) -> Result<Value, Fail> {
        let start = self.i;
        if self.s.get(start + 1) == Some(&b'"') {
            if let Some(v) = self.data_strings() {
                return Ok(v);
            }
            self.i = start;
        }
        let rest = &self.s[start + 1..];
        let n = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
        if rest.get(n) == Some(&b'>') && n % 2 == 0 && self.follows(rest.get(n + 1).copied()) {
            let bytes: Box<[u8]> = if self.build {
                rest[..n]
                    .chunks_exact(2)
                    .map(|p| (hex_val(p[0]).unwrap_or(0) << 4) | hex_val(p[1]).unwrap_or(0))
                    .collect()
            } else {
                Box::default()
            };
            self.i = start + 1 + n + 1;
            return Ok(Value::Data(bytes));
        }
        // `<unknown object>` and the like.
        let mut j = start + 1;
        while let Some(n) = memchr::memchr(b'>', &self.s[j..]) {
            let end = j + n + 1;
            if self.follows(self.s.get(end).copied()) {
                self.i = end;
                self.stats.raws += 1;
                return Ok(Value::Raw {
                    text: self.text(start, end),
                    clipped: false,
                });
            }
            j = end;
        }
        Err(Fail::Malformed)
    }

    /// `<"a","b">`: each string followed by a NUL (as C strings in the device tree are).
    fn data_strings(&mut self) -> Option<Value> {
        let mut out = Vec::new();
        let mut j = self.i + 1;
        loop {
            if self.s.get(j) != Some(&b'"') {
                return None;
            }
            let start = j + 1;
            let mut k = start;
            let end = loop {
                let q = k + memchr::memchr(b'"', &self.s[k..])?;
                match self.s.get(q + 1) {
                    Some(b',') if self.s.get(q + 2) == Some(&b'"') => break q,
                    Some(b'>') if self.follows(self.s.get(q + 2).copied()) => break q,
                    _ => k = q + 1,
                }
            };
            if self.build {
                out.extend_from_slice(&self.s[start..end]);
                out.push(0);
            }
            if self.s[end + 1] == b'>' {
                self.i = end + 2;
                return Some(Value::Data(out.into_boxed_slice()));
            }
            j = end + 2;
        }
    }
}

/// Bytes that can begin a value as `ioreg` prints one (or end an empty one).
fn starts_value(c: u8) -> bool {
    matches!(
        c,
        b'"' | b'<' | b'(' | b'{' | b'[' | b'Y' | b'N' | b',' | b')' | b']' | b'}'
    ) || c.is_ascii_digit()
}
