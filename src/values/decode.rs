//! One small function per decoder: bytes in, a [`View`] out (or `None` when the bytes do
//! not fit it).

use super::{Context, View};
use std::fmt::Write;

/// The 8 bytes every EDID block starts with.
pub(crate) const EDID_HEADER: [u8; 8] = [0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0];

fn number(name: &'static str, v: u64, digits: usize) -> View {
    View {
        name,
        text: format!("{v:#0w$x}", w = digits + 2),
        more: Some(v.to_string()),
    }
}

/// Little-endian u16 (2 bytes).
pub(crate) fn le_u16(b: &[u8]) -> Option<View> {
    let a: [u8; 2] = b.try_into().ok()?;
    Some(number("le16", u16::from_le_bytes(a).into(), 4))
}

/// Little-endian u32 (4 bytes): `<00001659>` is `0x59160000`.
pub(crate) fn le_u32(b: &[u8]) -> Option<View> {
    let a: [u8; 4] = b.try_into().ok()?;
    Some(number("le32", u32::from_le_bytes(a).into(), 8))
}

/// Little-endian u64 (8 bytes).
pub(crate) fn le_u64(b: &[u8]) -> Option<View> {
    let a: [u8; 8] = b.try_into().ok()?;
    Some(number("le64", u64::from_le_bytes(a), 16))
}

/// 32-bit cells in the device tree's byte order: `<0x00000001 0x00000002>`.
pub(crate) fn be_cells(b: &[u8], big_endian: bool) -> Option<View> {
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return None;
    }
    let cells: Vec<String> = b
        .chunks(4)
        .map(|c| format!("{:#010x}", cell(c, big_endian)))
        .collect();
    Some(View::new("cells", format!("<{}>", cells.join(" "))))
}

fn cell(c: &[u8], big_endian: bool) -> u32 {
    let a = [c[0], c[1], c[2], c[3]];
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

/// NUL-separated printable strings (`compatible`): `"pci8086,5904", "pciclass,060000"`.
pub(crate) fn strings(b: &[u8]) -> Option<View> {
    let body = b.strip_suffix(&[0]).unwrap_or(b);
    if body.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for part in body.split(|&c| c == 0) {
        if part.is_empty() || !part.iter().all(|&c| (0x20..0x7f).contains(&c)) {
            return None;
        }
        parts.push(format!("\"{}\"", String::from_utf8_lossy(part)));
    }
    Some(View::new("strings", parts.join(", ")))
}

/// A four-character code (4 printable bytes, in memory order): `'AAPL'`.
pub(crate) fn fourcc(b: &[u8]) -> Option<View> {
    let a: [u8; 4] = b.try_into().ok()?;
    a.iter()
        .all(|c| (0x20..0x7f).contains(c))
        .then(|| View::new("fourcc", format!("'{}'", String::from_utf8_lossy(&a))))
}

/// A UUID (16 bytes, in memory order): `8-4-4-4-12` uppercase as macOS prints them.
pub(crate) fn uuid(b: &[u8]) -> Option<View> {
    (b.len() == 16).then(|| View::new("uuid", uuid_text(b)))
}

/// `B3E4…`: 16 bytes as a UUID string.
pub(crate) fn uuid_text(b: &[u8]) -> String {
    let mut s = String::new();
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{byte:02X}");
    }
    s
}

/// A MAC address (the first 6 bytes; `IOMACAddress` is sometimes padded): `44:1c:a8:e1:d3:95`.
pub(crate) fn mac(b: &[u8]) -> Option<View> {
    if b.len() < 6 {
        return None;
    }
    let parts: Vec<String> = b[..6].iter().map(|c| format!("{c:02x}")).collect();
    Some(View::new("mac", parts.join(":")))
}

/// An EDID block: manufacturer, product code, serial, size, preferred mode, and the
/// monitor name or text the descriptors hold.
pub(crate) fn edid(b: &[u8]) -> Option<View> {
    if b.len() < 128 || !b.starts_with(&EDID_HEADER) {
        return None;
    }
    let m = u16::from_be_bytes([b[8], b[9]]);
    let letter = |shift: u16| char::from(b'A' - 1 + ((m >> shift) & 0x1f) as u8);
    let maker: String = [letter(10), letter(5), letter(0)].into_iter().collect();
    let product = u16::from_le_bytes([b[10], b[11]]);
    let serial = u32::from_le_bytes([b[12], b[13], b[14], b[15]]);
    let mut text = format!(
        "{maker} product {product:#06x} serial {serial} {}x{} cm",
        b[21], b[22]
    );
    // The first detailed timing descriptor is the preferred mode.
    let d = &b[54..72];
    let clock = u16::from_le_bytes([d[0], d[1]]);
    if clock != 0 {
        let h = usize::from(d[2]) | (usize::from(d[4] >> 4) << 8);
        let v = usize::from(d[5]) | (usize::from(d[7] >> 4) << 8);
        let _ = write!(text, ", {h}x{v} @ {:.2} MHz", f64::from(clock) / 100.0);
    }
    for d in b[54..126].chunks(18) {
        if d[0] == 0 && d[1] == 0 && matches!(d[3], 0xfc | 0xfe | 0xff) {
            let s: String = d[5..18]
                .iter()
                .take_while(|&&c| c != b'\n' && c != 0)
                .map(|&c| char::from(c))
                .collect();
            let label = match d[3] {
                0xfc => "name",
                0xff => "serial",
                _ => "text",
            };
            let _ = write!(text, ", {label} \"{}\"", s.trim_end());
        }
    }
    Some(View::new("edid", text))
}

/// `reg` / `assigned-addresses` split by the parent's `#address-cells` / `#size-cells`:
/// `0x02001010:0x0 size 0x100000; …` (with three address cells, the first, `phys.hi`,
/// before the 64-bit address).
pub(crate) fn reg_cells(b: &[u8], cx: &Context) -> Option<View> {
    let (a, s) = cx.cells?;
    let n = (a + s) * 4;
    if a > 3 || s > 2 || n == 0 || b.is_empty() || !b.len().is_multiple_of(n) {
        return None;
    }
    let cells: Vec<u64> = b
        .chunks(4)
        .map(|c| u64::from(cell(c, cx.big_endian)))
        .collect();
    let join = |c: &[u64]| c.iter().fold(0u64, |acc, &x| (acc << 32) | x);
    let parts: Vec<String> = cells
        .chunks(a + s)
        .map(|e| {
            let (addr, size) = e.split_at(a);
            let addr = if a == 3 {
                format!("{:#010x}:{:#x}", addr[0], join(&addr[1..]))
            } else {
                format!("{:#x}", join(addr))
            };
            format!("{addr} size {:#x}", join(size))
        })
        .collect();
    Some(View::new("reg", parts.join("; ")))
}

/// Hex bytes, always available: `00001659`.
pub(crate) fn hex(b: &[u8]) -> View {
    let mut s = String::with_capacity(b.len().min(4096) * 2);
    for byte in b.iter().take(4096) {
        let _ = write!(s, "{byte:02x}");
    }
    if b.len() > 4096 {
        s.push('…');
    }
    View::new("hex", s)
}

/// A PCI ID: the low 16 bits of a little-endian cell, `0x5916`, with the name the dump gives
/// it (`0x5916 Intel HD Graphics 620`).
pub(crate) fn pci_id(b: &[u8], name: Option<&str>) -> Option<View> {
    let id = match b.len() {
        2 | 4 => u16::from_le_bytes([b[0], b[1]]),
        _ => return None,
    };
    if b.len() == 4 && (b[2] != 0 || b[3] != 0) {
        return None;
    }
    let text = match name {
        Some(n) => format!("{id:#06x} {n}"),
        None => format!("{id:#06x}"),
    };
    Some(View::new("pci", text))
}
