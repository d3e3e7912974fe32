//! A lazy reader of binary property lists (`bplist00`) that decodes one object at a time.
//!
//! Why not `plist::Value`: a binary plist is a graph, and the `plist` crate expands every
//! reference into a fresh copy, so a few hundred hostile bytes whose arrays share children
//! expand exponentially. A keyed archive is itself a flat table of objects that refer to
//! each other by number, so reading the table lazily is both safe and a natural fit; it also
//! gives each object's byte offset for error messages.

use super::super::ReadError;

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
#[derive(Debug, Clone, Copy)]
pub(crate) enum Obj<'a> {
    Null,
    Bool(bool),
    Int(i128),
    /// A real (its value is not needed by the keyed-archive layer).
    Real,
    /// A date (its value is not needed by the keyed-archive layer).
    Date,
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
            Obj::Real => "a real",
            Obj::Date => "a date",
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

    pub(crate) fn iter(&self) -> impl Iterator<Item = u64> + 'a {
        self.bytes.chunks_exact(self.size).map(be_uint)
    }
}

fn be_uint(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

impl<'a> Bplist<'a> {
    /// Checks the header and trailer; objects are decoded later by [`Bplist::object`].
    pub(crate) fn open(data: &'a [u8]) -> Result<Self, ReadError> {
        if !data.starts_with(b"bplist00") {
            return Err(ReadError::byte(
                0,
                "expected a binary property list (bplist00)",
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
        if index >= self.count {
            return Err(ReadError::byte(
                0,
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

    fn decode(&self, at: usize) -> Result<Obj<'a>, ReadError> {
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
            0x2 if low == 2 || low == 3 => {
                self.bytes(body, 1 << low, "real")?;
                Obj::Real
            }
            0x3 if low == 3 => {
                self.bytes(body, 8, "date")?;
                Obj::Date
            }
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

/// Integers of 1, 2 and 4 bytes are unsigned; 8 bytes are signed; 16 bytes keep the low 64 bits' sign.
fn int_value(b: &[u8]) -> i128 {
    match b.len() {
        8 => i128::from(be_uint(b) as i64),
        16 => i128::from(be_uint(&b[8..]) as i64),
        _ => i128::from(be_uint(b)),
    }
}
