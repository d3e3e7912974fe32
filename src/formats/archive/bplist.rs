//! The binary property list reader (`bplist0?`): a lazy object table that decodes one
//! object at a time, and [`Events`], the plist events of a document read through it.
//!
//! Why not the `plist` crate: a binary plist is a graph, and the crate expands every
//! reference into a fresh copy with nothing to charge it to, so a few hundred hostile bytes
//! whose arrays share children expand exponentially; and it refuses what Core Foundation
//! (the reference) reads: a null object (`0x00`), offset and reference sizes of 5 to 7
//! bytes, versions `bplist01`…, dates past year 9999 — some with false messages. This
//! reader follows CF's `__CFBinaryPlistGetTopLevelInfo` and
//! `__CFBinaryPlistCreateObjectFiltered`: the header is `bplist0` and any one character;
//! offsets and references are 1 to 8 bytes; integers are 1, 2, 4, 8 or 16 bytes (1, 2 and 4
//! unsigned, 8 signed, 16 kept to their low 64 bits); a date is any double; an object that
//! contains itself is an error. Every object handed out as an event is charged to the load's
//! `decoded-bytes` budget at every reference, so shared objects cannot expand unseen.
//! A keyed archive is itself a flat table of objects that refer to each other by number, so
//! reading the table lazily is both safe and a natural fit; it also gives each object's byte
//! offset for error messages.

use super::ReadError;

const TRAILER: usize = 32;

/// The object table of a binary plist, decoded on demand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bplist<'a> {
    data: &'a [u8],
    offset_size: usize,
    ref_size: usize,
    count: u64,
    top: u64,
    table: usize,
    /// Objects lie before the trailer.
    end: usize,
}

/// One decoded object. Containers hold references (object numbers), not values.
/// Strings and data borrow the plist's bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Obj<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Real(f64),
    /// Seconds since 2001-01-01 UTC, any double (CF reads dates past year 9999).
    Date(f64),
    Data(&'a [u8]),
    /// An ASCII string (bytes as stored).
    Ascii(&'a [u8]),
    /// A UTF-16 big-endian string (bytes as stored, two per unit).
    Utf16(&'a [u8]),
    Uid(u64),
    Array(Refs<'a>),
    Set(Refs<'a>),
    Dict {
        keys: Refs<'a>,
        values: Refs<'a>,
    },
}

impl Obj<'_> {
    /// What this object is, for messages (`expected an array, found a string`).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Obj::Null => "null",
            Obj::Bool(_) => "a boolean",
            Obj::Int(_) => "an integer",
            Obj::Real(_) => "a real",
            Obj::Date(_) => "a date",
            Obj::Data(_) => "data",
            Obj::Ascii(_) | Obj::Utf16(_) => "a string",
            Obj::Uid(_) => "a CF$UID",
            Obj::Array(_) => "an array",
            Obj::Set(_) => "a set",
            Obj::Dict { .. } => "a dictionary",
        }
    }

    /// The string's text, if this is a string.
    pub(crate) fn text(&self) -> Option<crate::registry::Text> {
        use crate::registry::Text;
        match *self {
            Obj::Ascii(b) => Some(Text::from_bytes(b)),
            Obj::Utf16(b) => {
                let units = b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                let s: String = char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect();
                Some(Text::from(s))
            }
            _ => None,
        }
    }

    /// Whether this is a string equal to `s` (ASCII strings compare without allocating).
    pub(crate) fn is_str(&self, s: &str) -> bool {
        match *self {
            Obj::Ascii(b) => b == s.as_bytes(),
            Obj::Utf16(_) => self.text().is_some_and(|t| t == s),
            _ => false,
        }
    }
}

/// A run of object references of `size` bytes each.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refs<'a> {
    bytes: &'a [u8],
    size: usize,
}

impl<'a> Refs<'a> {
    /// No references.
    pub(crate) fn empty() -> Self {
        Refs {
            bytes: &[],
            size: 1,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len() / self.size
    }

    pub(crate) fn get(&self, i: usize) -> Option<u64> {
        let start = i.checked_mul(self.size)?;
        // `i` comes from the file (a CF$UID): `start + size` may not fit.
        self.bytes
            .get(start..start.checked_add(self.size)?)
            .map(be_uint)
    }

    /// Where reference `i` lies (a pointer into the plist's bytes, for error offsets).
    pub(crate) fn at(&self, i: usize) -> Option<&'a [u8]> {
        let start = i.checked_mul(self.size)?;
        self.bytes.get(start..start.checked_add(self.size)?)
    }

    /// The references as the bytes that hold them (for [`Bplist::object_at`]).
    pub(crate) fn slots(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.bytes.chunks_exact(self.size)
    }
}

fn be_uint(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

impl<'a> Bplist<'a> {
    /// Checks the header and trailer; objects are decoded later by [`Bplist::object`].
    pub(crate) fn open(data: &'a [u8]) -> Result<Self, ReadError> {
        // CF (since 10.6) reads `bplist0` and any one character.
        if !is_bplist(data) {
            return Err(ReadError::byte(
                0,
                "expected a binary property list (bplist0…)",
            ));
        }
        if data.len() < 8 + TRAILER {
            return Err(ReadError::byte(
                data.len() as u64,
                "expected a 32-byte binary plist trailer, found end of file",
            ));
        }
        let end = data.len() - TRAILER;
        let t = &data[end..];
        let offset_size = usize::from(t[6]);
        let ref_size = usize::from(t[7]);
        let count = be_uint(&t[8..16]);
        let top = be_uint(&t[16..24]);
        let table = be_uint(&t[24..32]);
        let at = end as u64;
        if !matches!(offset_size, 1..=8) || !matches!(ref_size, 1..=8) {
            return Err(ReadError::byte(
                at + 6,
                format!(
                    "expected offset and reference sizes of 1 to 8 bytes, found {offset_size} and {ref_size}"
                ),
            ));
        }
        let table_len = count.checked_mul(offset_size as u64);
        let fits = table_len
            .and_then(|l| l.checked_add(table))
            .is_some_and(|e| table >= 8 && e <= end as u64);
        if !fits {
            return Err(ReadError::byte(
                at + 24,
                format!(
                    "expected an offset table of {count} objects inside the file, at offset {table}"
                ),
            ));
        }
        if top >= count {
            return Err(ReadError::byte(
                at + 16,
                format!("expected a top object below {count}, found {top}"),
            ));
        }
        Ok(Bplist {
            data,
            offset_size,
            ref_size,
            count,
            top,
            table: table as usize,
            end,
        })
    }

    pub(crate) fn top(&self) -> u64 {
        self.top
    }

    /// Byte offset of object `index`, checked to lie inside the object area.
    pub(crate) fn offset(&self, index: u64) -> Result<usize, ReadError> {
        self.offset_from(index, self.table as u64)
    }

    /// [`Bplist::offset`], blaming a bad reference on byte `from` (where it was read).
    pub(crate) fn offset_from(&self, index: u64, from: u64) -> Result<usize, ReadError> {
        if index >= self.count {
            return Err(ReadError::byte(
                from,
                format!(
                    "expected an object reference below {}, found {index}",
                    self.count
                ),
            ));
        }
        let slot = self.table + index as usize * self.offset_size;
        let off = be_uint(&self.data[slot..slot + self.offset_size]);
        if off < 8 || off >= self.end as u64 {
            return Err(ReadError::byte(
                slot as u64,
                format!("object {index}: expected an offset inside the object area, found {off}"),
            ));
        }
        Ok(off as usize)
    }

    /// Byte offset of a slice of this plist's bytes (0 for a slice from elsewhere).
    pub(crate) fn offset_of(&self, slice: &[u8]) -> u64 {
        let start = self.data.as_ptr() as usize;
        let p = slice.as_ptr() as usize;
        if p >= start && p <= start + self.data.len() {
            (p - start) as u64
        } else {
            0
        }
    }

    /// Decodes object `index` and gives its byte offset.
    pub(crate) fn object(&self, index: u64) -> Result<(Obj<'a>, u64), ReadError> {
        let at = self.offset(index)?;
        self.decode(at).map(|o| (o, at as u64))
    }

    /// Decodes the object a reference found by [`Refs::at`] names (errors about the
    /// reference itself are at its byte).
    pub(crate) fn object_at(&self, reference: &[u8]) -> Result<(Obj<'a>, u64), ReadError> {
        let at = self.offset_from(be_uint(reference), self.offset_of(reference))?;
        self.decode(at).map(|o| (o, at as u64))
    }

    fn bytes(&self, at: usize, len: u64, what: &str) -> Result<&'a [u8], ReadError> {
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| at.checked_add(l))
            .filter(|&e| e <= self.end);
        match end {
            Some(e) => Ok(&self.data[at..e]),
            None => Err(ReadError::byte(
                at as u64,
                format!("expected {len} bytes of {what}, found end of object area"),
            )),
        }
    }

    pub(crate) fn decode(&self, at: usize) -> Result<Obj<'a>, ReadError> {
        let marker = self.data[at];
        let (high, low) = (marker >> 4, marker & 0x0f);
        let body = at + 1;
        let unknown = || {
            ReadError::byte(
                at as u64,
                format!("expected a binary plist object, found marker 0x{marker:02x}"),
            )
        };
        Ok(match high {
            0x0 => match low {
                0x0 => Obj::Null,
                0x8 => Obj::Bool(false),
                0x9 => Obj::Bool(true),
                _ => return Err(unknown()),
            },
            0x1 => {
                let n = 1usize << low.min(5);
                if low > 4 {
                    return Err(unknown());
                }
                let b = self.bytes(body, n as u64, "integer")?;
                Obj::Int(int_value(b))
            }
            0x2 if low == 2 => {
                let b = self.bytes(body, 4, "real")?;
                Obj::Real(f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]])))
            }
            0x2 if low == 3 => Obj::Real(be_f64(self.bytes(body, 8, "real")?)),
            0x3 if low == 3 => Obj::Date(be_f64(self.bytes(body, 8, "date")?)),
            0x4 => {
                let (len, start) = self.length(at, low)?;
                Obj::Data(self.bytes(start, len, "data")?)
            }
            0x5 => {
                let (len, start) = self.length(at, low)?;
                Obj::Ascii(self.bytes(start, len, "string")?)
            }
            0x6 => {
                let (len, start) = self.length(at, low)?;
                let len = len.checked_mul(2).ok_or_else(unknown)?;
                Obj::Utf16(self.bytes(start, len, "UTF-16 string")?)
            }
            0x8 => Obj::Uid(be_uint(self.bytes(body, u64::from(low) + 1, "CF$UID")?)),
            0xA..=0xC => {
                let (len, start) = self.length(at, low)?;
                let refs = self.refs(start, len)?;
                if high == 0xC {
                    Obj::Set(refs)
                } else {
                    Obj::Array(refs)
                }
            }
            0xD => {
                let (len, start) = self.length(at, low)?;
                let keys = self.refs(start, len)?;
                let values = self.refs(start + keys.bytes.len(), len)?;
                Obj::Dict { keys, values }
            }
            _ => return Err(unknown()),
        })
    }

    fn refs(&self, at: usize, len: u64) -> Result<Refs<'a>, ReadError> {
        let n = len.checked_mul(self.ref_size as u64).ok_or_else(|| {
            ReadError::byte(at as u64, format!("expected {len} object references"))
        })?;
        Ok(Refs {
            bytes: self.bytes(at, n, "object references")?,
            size: self.ref_size,
        })
    }

    /// The length of a variable-size object: the low nibble, or a following integer when it is 0xF.
    fn length(&self, at: usize, low: u8) -> Result<(u64, usize), ReadError> {
        if low != 0x0f {
            return Ok((u64::from(low), at + 1));
        }
        let marker = *self.bytes(at + 1, 1, "length")?.first().unwrap_or(&0);
        if marker >> 4 != 0x1 || marker & 0x0f > 3 {
            return Err(ReadError::byte(
                at as u64 + 1,
                format!("expected an integer length, found marker 0x{marker:02x}"),
            ));
        }
        let n = 1usize << (marker & 0x0f);
        let b = self.bytes(at + 2, n as u64, "length")?;
        Ok((be_uint(b), at + 2 + n))
    }
}

/// Integers of 1, 2 and 4 bytes are unsigned, 8 bytes signed, 16 bytes a signed 128-bit
/// number (what CF writes for unsigned values above `i64::MAX`).
fn int_value(b: &[u8]) -> i128 {
    match b.len() {
        8 => i128::from(be_uint(b) as i64),
        16 => (i128::from(be_uint(&b[..8]) as i64) << 64) | i128::from(be_uint(&b[8..])),
        _ => i128::from(be_uint(b)),
    }
}

fn be_f64(b: &[u8]) -> f64 {
    f64::from_bits(be_uint(b))
}

/// Whether the bytes start a binary plist CF reads (`bplist0` and any one character).
pub(crate) fn is_bplist(data: &[u8]) -> bool {
    data.len() >= 8 && data.starts_with(b"bplist0")
}

/// An open container while [`BinaryEvents`] walks the object graph.
enum Frame<'a> {
    Array {
        obj: u64,
        refs: Refs<'a>,
        next: usize,
    },
    /// `next` counts keys and values alternately: even a key, odd its value.
    Dict {
        obj: u64,
        keys: Refs<'a>,
        values: Refs<'a>,
        next: usize,
    },
}

/// One object as an event: what [`BinaryEvents`] hands out.
pub(crate) enum Item<'a> {
    StartArray,
    StartDict,
    End,
    /// A dict key (always a string object).
    Key(Obj<'a>),
    Object(Obj<'a>),
}

/// The plist events of a binary plist: its top object, depth first, with shared objects
/// repeated at every reference (the caller charges each to its budget) and an object inside
/// itself refused. Depth is the caller's to bound.
pub(crate) struct BinaryEvents<'a> {
    plist: Bplist<'a>,
    started: bool,
    stack: Vec<Frame<'a>>,
    /// The containers open on the path from the top (CF refuses an object inside itself).
    path: std::collections::HashSet<u64>,
    /// Byte offset of the last object handed out.
    last: u64,
}

impl<'a> BinaryEvents<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Result<Self, ReadError> {
        Ok(BinaryEvents {
            plist: Bplist::open(data)?,
            started: false,
            stack: Vec::new(),
            path: std::collections::HashSet::new(),
            last: 0,
        })
    }

    /// Byte offset of the last object handed out.
    pub(crate) fn offset(&self) -> u64 {
        self.last
    }

    pub(crate) fn next(&mut self) -> Result<Option<Item<'a>>, ReadError> {
        if !self.started {
            self.started = true;
            let top = self.plist.top();
            return self.enter(top, self.last, false).map(Some);
        }
        let Some(frame) = self.stack.last_mut() else {
            return Ok(None);
        };
        let plist = &self.plist;
        let place = |refs: &Refs<'a>, i: usize| {
            let from = refs.at(i).map_or(0, |r| plist.offset_of(r));
            (refs.get(i).unwrap_or(u64::MAX), from)
        };
        let (index, from, key) = match frame {
            Frame::Array { refs, next, .. } if *next < refs.len() => {
                *next += 1;
                let (index, from) = place(refs, *next - 1);
                (index, from, false)
            }
            Frame::Dict {
                keys, values, next, ..
            } if *next < 2 * keys.len() => {
                let (refs, key) = if *next % 2 == 0 {
                    (keys, true)
                } else {
                    (values, false)
                };
                let (index, from) = place(refs, *next / 2);
                *next += 1;
                (index, from, key)
            }
            Frame::Array { obj, .. } | Frame::Dict { obj, .. } => {
                let obj = *obj;
                self.path.remove(&obj);
                self.stack.pop();
                return Ok(Some(Item::End));
            }
        };
        self.enter(index, from, key).map(Some)
    }

    /// Object `index` (referred to at byte `from`) as an event, opening it if a container.
    fn enter(&mut self, index: u64, from: u64, key: bool) -> Result<Item<'a>, ReadError> {
        let at = self.plist.offset_from(index, from)?;
        let obj = self.plist.decode(at)?;
        self.last = at as u64;
        if key {
            return match obj {
                Obj::Ascii(_) | Obj::Utf16(_) => Ok(Item::Key(obj)),
                other => Err(ReadError::byte(
                    self.last,
                    format!("expected a string as a dict key, found {}", other.kind()),
                )),
            };
        }
        let frame = match obj {
            Obj::Array(refs) | Obj::Set(refs) => Frame::Array {
                obj: index,
                refs,
                next: 0,
            },
            Obj::Dict { keys, values } => Frame::Dict {
                obj: index,
                keys,
                values,
                next: 0,
            },
            other => return Ok(Item::Object(other)),
        };
        if !self.path.insert(index) {
            return Err(ReadError::byte(
                self.last,
                format!("object {index} contains itself (expected a tree of objects)"),
            ));
        }
        let item = match frame {
            Frame::Array { .. } => Item::StartArray,
            Frame::Dict { .. } => Item::StartDict,
        };
        self.stack.push(frame);
        Ok(item)
    }
}

/// A string object's text: ASCII (other bytes read as MacRoman, as CF reads 8-bit strings in
/// its system encoding) or UTF-16 (a lone surrogate becomes U+FFFD).
pub(crate) fn string<'a>(obj: &Obj<'a>) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    match *obj {
        Obj::Ascii(b) => match crate::registry::str_from_utf8(b) {
            Ok(s) if b.is_ascii() => Cow::Borrowed(s),
            _ => encoding_rs::MACINTOSH.decode_without_bom_handling(b).0,
        },
        Obj::Utf16(b) => {
            let units = b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            Cow::Owned(
                char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect(),
            )
        }
        _ => Cow::Borrowed(""),
    }
}

impl Obj<'_> {
    /// Bytes the object's value takes once decoded (a UTF-16 string up to 3 per unit in
    /// UTF-8): what it is charged before it is built.
    pub(crate) fn decoded_len(&self) -> usize {
        match *self {
            Obj::Data(b) | Obj::Ascii(b) => b.len(),
            Obj::Utf16(b) => b.len() / 2 * 3,
            _ => 0,
        }
    }
}
