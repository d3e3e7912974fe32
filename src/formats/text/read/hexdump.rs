//! `ioreg -f` prints data longer than 8 bytes as a hex dump on the lines after the key:
//! `00000000: 44 46 39 33 … DF93....` (offset, up to 32 bytes, then the bytes as ASCII
//! with `.` for the unprintable). This decodes such lines back into the bytes.

use super::header::hex_val;

/// Decodes the dump lines (each without its tree prefix and the 4-space indent).
/// `None` when a line is not a hex-dump line or the offsets do not follow on.
pub(super) fn decode<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for line in lines {
        let (offset, rest) = split_offset(line)?;
        if offset != out.len() as u64 {
            return None;
        }
        let before = out.len();
        decode_line(rest, &mut out)?;
        if out.len() == before {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `XXXXXXXX:` then the rest.
fn split_offset(line: &[u8]) -> Option<(u64, &[u8])> {
    if line.len() < 9 || line[8] != b':' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &line[..8] {
        v = (v << 4) | u64::from(hex_val(c)?);
    }
    Some((v, &line[9..]))
}

/// ` hh hh … hh<padding> <ascii>`: reads as many ` hh` groups as the ASCII column confirms.
fn decode_line(rest: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut bytes = Vec::with_capacity(32);
    let mut i = 0;
    while bytes.len() < 32 && i + 3 <= rest.len() && rest[i] == b' ' {
        match (hex_val(rest[i + 1]), hex_val(rest[i + 2])) {
            (Some(h), Some(l)) => bytes.push((h << 4) | l),
            _ => break,
        }
        i += 3;
    }
    // The ASCII column repeats the bytes; when the greedy read took part of it for hex,
    // fewer bytes explain the line.
    for n in (1..=bytes.len()).rev() {
        if rest.len() < 3 * n + 1 + n {
            continue;
        }
        let ascii = &rest[rest.len() - n..];
        let gap = &rest[3 * n..rest.len() - n];
        let shown = bytes[..n]
            .iter()
            .map(|&c| if (b' '..=b'~').contains(&c) { c } else { b'.' });
        if !gap.is_empty() && gap.iter().all(|&c| c == b' ') && shown.eq(ascii.iter().copied()) {
            out.extend_from_slice(&bytes[..n]);
            return Some(());
        }
    }
    None
}
