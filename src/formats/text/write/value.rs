//! Property values as `ioreg`'s `cfshow` prints them.

use crate::registry::{IntRadix, Value};

/// Appends `value` to `out` as `ioreg` prints it; `hex` is `ioreg -x`.
pub(super) fn show(value: &Value, hex: bool, out: &mut Vec<u8>) {
    match value {
        Value::String(t) => {
            out.push(b'"');
            out.extend_from_slice(t.as_bytes());
            out.push(b'"');
        }
        Value::Integer(i) => number(i.ioreg_bits(), hex || i.radix == IntRadix::Hex, out),
        // CFNumberGetValue(kCFNumberLongLongType) truncates a real to an integer.
        Value::Real(r) => number(*r as i64 as u64, hex, out),
        Value::Bool(b) => out.extend_from_slice(if *b { b"Yes" } else { b"No" }),
        Value::Data(d) => data(d, hex, out),
        Value::Date(_) => out.extend_from_slice(b"<unknown object>"),
        Value::Raw { text, clipped } => {
            out.extend_from_slice(text.as_bytes());
            if *clipped {
                out.push(b'$');
            }
        }
        Value::Array(items) => list(b'(', items, b')', hex, out),
        Value::Set(items) => list(b'[', items, b']', hex, out),
        Value::Dict(kv) => {
            out.push(b'{');
            for (n, (k, v)) in kv.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(b"\"=");
                show(v, hex, out);
            }
            out.push(b'}');
        }
    }
}

fn list(open: u8, items: &[Value], close: u8, hex: bool, out: &mut Vec<u8>) {
    out.push(open);
    for (n, v) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        show(v, hex, out);
    }
    out.push(close);
}

fn number(bits: u64, hex: bool, out: &mut Vec<u8>) {
    use std::io::Write;
    let _ = if hex {
        write!(out, "0x{bits:x}")
    } else {
        write!(out, "{bits}")
    };
}

/// `<"a","b">` when the bytes are NUL-separated text (≥80% printable, more than one byte,
/// one NUL at most after each string), `<6162>` otherwise or with `-x` (IOKitTools-86 on).
fn data(bytes: &[u8], hex: bool, out: &mut Vec<u8>) {
    out.push(b'<');
    if !hex && looks_like_text(bytes) {
        quoted_strings(bytes, usize::MAX, out);
    } else {
        hex_digits(bytes, out);
    }
    out.push(b'>');
}

/// Data as `ioreg` prints binary data: two lower-case hex digits a byte, `dead0001`.
pub(crate) fn hex_digits(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
}

/// The NUL-separated strings of text data as `ioreg` prints them, `"a","b"` (up to the first
/// empty string), for data that [`looks_like_text`]. Stops after about `cap` bytes of `out`
/// (a cut string is still closed by its quote), so that a huge value costs no more.
pub(crate) fn quoted_strings(bytes: &[u8], cap: usize, out: &mut Vec<u8>) {
    let start = out.len();
    for (n, part) in bytes.split(|&b| b == 0).enumerate() {
        if part.is_empty() || (n > 0 && out.len() - start >= cap) {
            break;
        }
        out.extend_from_slice(if n > 0 { b",\"" } else { b"\"" });
        let room = cap.saturating_sub(out.len() - start);
        out.extend_from_slice(&part[..part.len().min(room)]);
        out.push(b'"');
    }
}

/// `cfdatashow`'s test for "a string or a set of strings".
pub(crate) fn looks_like_text(bytes: &[u8]) -> bool {
    let mut normal = 0usize;
    let mut symbol = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0 {
            break;
        }
        while i < bytes.len() {
            let b = bytes[i];
            if (0x20..=0x7e).contains(&b) {
                normal += 1;
            } else if (128..=254).contains(&b) {
                symbol += 1;
            } else {
                break;
            }
            i += 1;
        }
        if i < bytes.len() && bytes[i] == 0 {
            i += 1;
            continue;
        }
        break;
    }
    if (normal >> 2) < symbol || bytes.len() == 1 {
        return false;
    }
    i >= bytes.len() && normal > 0
}
