//! Dumps in UTF-16 or UTF-32: transcoded to UTF-8 before any reader sees them.
//!
//! Core Foundation reads XML property lists in UTF-16 and UTF-32 (told by a byte order mark,
//! or by the zero bytes around the `<` that starts the document), and a plist saved by
//! some editors is UTF-16. Taken as bytes, such a file looks like neither XML nor `ioreg`
//! text; so it is transcoded first (UTF-16 with `encoding_rs`, UTF-32 here) and the result
//! read as any other dump. Without a byte order mark, only a document that starts with `<`
//! (after whitespace) is taken for UTF-16 or UTF-32: that is how XML says what it is.

use super::{Position, ReadError};

/// A Unicode encoding wider than UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wide {
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Wide {
    fn unit(self) -> usize {
        match self {
            Wide::Utf16Le | Wide::Utf16Be => 2,
            Wide::Utf32Le | Wide::Utf32Be => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Wide::Utf16Le => "UTF-16LE",
            Wide::Utf16Be => "UTF-16BE",
            Wide::Utf32Le => "UTF-32LE",
            Wide::Utf32Be => "UTF-32BE",
        }
    }

    /// Code unit `i` of `bytes` (whole units only).
    fn at(self, bytes: &[u8], i: usize) -> Option<u32> {
        let b = bytes.get(i * self.unit()..(i + 1) * self.unit())?;
        Some(match self {
            Wide::Utf16Le => u32::from(u16::from_le_bytes([b[0], b[1]])),
            Wide::Utf16Be => u32::from(u16::from_be_bytes([b[0], b[1]])),
            Wide::Utf32Le => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Wide::Utf32Be => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        })
    }
}

/// The wide encoding the bytes are in, and the length of their byte order mark.
pub(crate) fn sniff(bytes: &[u8]) -> Option<(Wide, usize)> {
    // UTF-32LE's mark begins with UTF-16LE's: test it first.
    for (bom, wide) in [
        (&b"\x00\x00\xfe\xff"[..], Wide::Utf32Be),
        (b"\xff\xfe\x00\x00", Wide::Utf32Le),
        (b"\xfe\xff", Wide::Utf16Be),
        (b"\xff\xfe", Wide::Utf16Le),
    ] {
        if bytes.starts_with(bom) {
            return Some((wide, bom.len()));
        }
    }
    [Wide::Utf32Be, Wide::Utf32Le, Wide::Utf16Be, Wide::Utf16Le]
        .into_iter()
        .find(|&w| starts_with_markup(bytes, w))
        .map(|w| (w, 0))
}

/// Whether the first character that is not whitespace is `<`, in `wide`, and its units are
/// really that wide (the next character too, so `<\0\0\0` is not read as UTF-16).
fn starts_with_markup(bytes: &[u8], wide: Wide) -> bool {
    let mut i = 0;
    while let Some(c) = wide.at(bytes, i) {
        match c {
            0x20 | 0x09 | 0x0a | 0x0d => i += 1,
            0x3c => {
                // The next unit must be a plausible ASCII character of markup.
                return wide
                    .at(bytes, i + 1)
                    .is_some_and(|n| (0x21..0x7f).contains(&n));
            }
            _ => return false,
        }
    }
    false
}

/// Reads `bytes` with `read`: as they are, or transcoded to UTF-8 first if they are UTF-16
/// or UTF-32 (calling `release(offset)` as the input before `offset` is transcoded), an
/// error's byte offset then moved back to the byte of the input.
pub(crate) fn read_as_utf8<T>(
    bytes: &[u8],
    release: &dyn Fn(usize),
    read: impl FnOnce(&[u8]) -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    let Some((wide, bom)) = sniff(bytes) else {
        return read(bytes);
    };
    let Some(utf8) = to_utf8_releasing(bytes, release)? else {
        return read(bytes);
    };
    read(&utf8).map_err(|mut e| {
        if let Position::Byte(n) = e.at {
            e.at = Position::Byte(input_offset(&utf8, n, wide, bom));
        }
        e
    })
}

/// Where byte `n` of the transcoded text was in the input.
fn input_offset(utf8: &[u8], n: u64, wide: Wide, bom: usize) -> u64 {
    let prefix = &utf8[..usize::try_from(n).unwrap_or(usize::MAX).min(utf8.len())];
    let text = String::from_utf8_lossy(prefix);
    let units: usize = match wide {
        Wide::Utf16Le | Wide::Utf16Be => text.chars().map(char::len_utf16).sum(),
        Wide::Utf32Le | Wide::Utf32Be => text.chars().count(),
    };
    (bom + units * wide.unit()) as u64
}

/// The bytes transcoded to UTF-8 if they are UTF-16 or UTF-32; `None` if they are not.
pub(crate) fn to_utf8(bytes: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
    to_utf8_releasing(bytes, &|_| {})
}

/// How much input is transcoded between two calls of the release hook.
const CHUNK: usize = 8 << 20;

/// [`to_utf8`], a chunk at a time, calling `release(offset)` once the input before `offset`
/// has been transcoded (a memory-mapped file then gives those pages back, so a large UTF-16
/// file is never resident whole beside its UTF-8 text).
pub(crate) fn to_utf8_releasing(
    bytes: &[u8],
    release: &dyn Fn(usize),
) -> Result<Option<Vec<u8>>, ReadError> {
    let Some((wide, bom)) = sniff(bytes) else {
        return Ok(None);
    };
    let body = &bytes[bom..];
    if !body.len().is_multiple_of(wide.unit()) {
        return Err(ReadError::byte(
            bytes.len() as u64,
            format!(
                "expected whole {} characters, found {} stray byte(s) at the end (truncated?)",
                wide.name(),
                body.len() % wide.unit()
            ),
        ));
    }
    let mut out = String::with_capacity(body.len() / wide.unit());
    let mut decoder = match wide {
        Wide::Utf16Le => Some(encoding_rs::UTF_16LE.new_decoder_without_bom_handling()),
        Wide::Utf16Be => Some(encoding_rs::UTF_16BE.new_decoder_without_bom_handling()),
        Wide::Utf32Le | Wide::Utf32Be => None,
    };
    let mut done = 0;
    while done < body.len() {
        let end = (done + CHUNK).min(body.len());
        let chunk = &body[done..end];
        let last = end == body.len();
        match &mut decoder {
            Some(d) => {
                let need = d.max_utf8_buffer_length(chunk.len()).unwrap_or(usize::MAX);
                out.reserve(need);
                let _ = d.decode_to_string(chunk, &mut out, last);
            }
            None => {
                for i in 0..chunk.len() / 4 {
                    let c = wide.at(chunk, i).unwrap_or(0);
                    match char::from_u32(c) {
                        Some(ch) => out.push(ch),
                        None => {
                            return Err(ReadError::byte(
                                (bom + done + i * 4) as u64,
                                format!("expected a {} character, found 0x{c:08x}", wide.name()),
                            ));
                        }
                    }
                }
            }
        }
        done = end;
        release(bom + done);
    }
    Ok(Some(out.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn wide_documents_are_told_with_or_without_a_mark() {
        let mut bom = vec![0xff, 0xfe];
        bom.extend(utf16le("<?xml?>"));
        assert_eq!(sniff(&bom), Some((Wide::Utf16Le, 2)));
        assert_eq!(sniff(&utf16le("  <plist>")), Some((Wide::Utf16Le, 0)));
        let be32: Vec<u8> = "<p"
            .chars()
            .flat_map(|c| (c as u32).to_be_bytes())
            .collect();
        assert_eq!(sniff(&be32), Some((Wide::Utf32Be, 0)));
        assert_eq!(sniff(b"<?xml version"), None);
        assert_eq!(sniff(b"+-o Root  <class IORegistryEntry>"), None);
    }

    #[test]
    fn errors_name_the_byte_of_the_input_not_of_the_transcoded_text() {
        let doc = "<a>é😀<b";
        let mut wide = vec![0xff, 0xfe];
        wide.extend(utf16le(doc));
        // An error at the `<` of `<b` (UTF-8 byte 9): UTF-16 units 3 + 1 + 2 in, after the mark.
        let e = read_as_utf8(&wide, &|_| {}, |text| -> Result<(), ReadError> {
            let at = text.iter().rposition(|&c| c == b'<').unwrap();
            Err(ReadError::byte(at as u64, "x"))
        })
        .unwrap_err();
        assert_eq!(e.at, Position::Byte(2 + 2 * 6));
    }

    /// Transcoded a chunk at a time (the input released behind), a character split across
    /// two chunks is kept whole.
    #[test]
    fn large_inputs_transcode_in_chunks_and_release_behind() {
        let text: String = "aé😀".repeat(CHUNK / 3);
        let mut wide = vec![0xff, 0xfe];
        wide.extend(utf16le(&text));
        assert!(wide.len() > 2 * CHUNK);
        let released = std::cell::RefCell::new(Vec::new());
        let out = to_utf8_releasing(&wide, &|n| released.borrow_mut().push(n))
            .unwrap()
            .unwrap();
        assert!(out == text.as_bytes());
        let released = released.into_inner();
        assert_eq!(released.last(), Some(&wide.len()));
        assert!(released.len() >= 3, "{released:?}");
        let le32: Vec<u8> = [0xff, 0xfe, 0, 0]
            .into_iter()
            .chain(text.chars().flat_map(|c| (c as u32).to_le_bytes()))
            .collect();
        assert!(to_utf8(&le32).unwrap().unwrap() == text.as_bytes());
    }

    #[test]
    fn transcodes_utf16_and_utf32_and_refuses_a_stray_byte() {
        let mut doc = vec![0xfe, 0xff];
        doc.extend("<a>é</a>".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(to_utf8(&doc).unwrap().unwrap(), "<a>é</a>".as_bytes());
        let le32: Vec<u8> = "<b>✓</b>"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert_eq!(to_utf8(&le32).unwrap().unwrap(), "<b>✓</b>".as_bytes());
        let mut odd = utf16le("<a/>");
        odd.push(b' ');
        let e = to_utf8(&odd).unwrap_err();
        assert!(e.message.contains("stray byte"), "{e}");
        assert_eq!(to_utf8(b"<plist/>").unwrap(), None);
    }
}
