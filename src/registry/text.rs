//! [`Text`]: a string from a registry, kept byte-exact.
//!
//! Names and property strings in old dumps are not always UTF-8 (MacRoman bytes
//! appear in real dumps). They are kept as read, so a writer can give back the
//! exact bytes, and decoded as MacRoman only for display.

use compact_str::CompactString;
use std::borrow::Cow;
use std::fmt;

/// `str::from_utf8` with the common case inline: registry strings are mostly short ASCII, and
/// checking them in a loop the compiler vectorises, without a call, was worth a fifth of the
/// XML reader's time.
#[inline]
pub(crate) fn str_from_utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if bytes.iter().all(|&c| c < 0x80) {
        // SAFETY: ASCII bytes are UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes)
}

/// A registry string: UTF-8 when it was valid UTF-8, otherwise the raw bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Text {
    Utf8(CompactString),
    /// Bytes that are not valid UTF-8 (shown decoded as MacRoman).
    Bytes(Box<[u8]>),
}

impl Text {
    /// Makes a `Text` from bytes, choosing the UTF-8 form when the bytes allow it.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match str_from_utf8(bytes) {
            Ok(s) => Text::Utf8(CompactString::new(s)),
            Err(_) => Text::Bytes(bytes.into()),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Utf8(s) => s.as_bytes(),
            Text::Bytes(b) => b,
        }
    }

    /// The text as UTF-8, if it is.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Text::Utf8(s) => Some(s),
            Text::Bytes(_) => None,
        }
    }

    /// The text for display: UTF-8 as is, other bytes decoded as MacRoman
    /// (every byte maps to one character, so nothing is lost or replaced).
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        match self {
            Text::Utf8(s) => Cow::Borrowed(s.as_str()),
            Text::Bytes(b) => {
                let (s, _, _) = encoding_rs::MACINTOSH.decode(b);
                Cow::Owned(s.into_owned())
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.as_bytes().len()
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::Utf8(CompactString::default())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Utf8(CompactString::new(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Utf8(CompactString::from(s))
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Utf8(s) => fmt::Debug::fmt(s.as_str(), f),
            Text::Bytes(b) => write!(f, "Bytes({:?})", String::from_utf8_lossy(b)),
        }
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
