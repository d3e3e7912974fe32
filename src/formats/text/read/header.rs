//! The part of a tree line after `+-o `: `NAME@LOC  <class C, id 0x…, registered, …, retain N>`.
//!
//! Every age of `ioreg` is accepted (see `HeaderStyle`), as are post-processed lines
//! (`NAME class: A:B:C`), lines clipped at the terminal width (ending in `$`) and the
//! cut-off last line of a truncated file. A header that is not complete loses its last
//! field (it may be cut short) and keeps the rest.

use crate::registry::{HeaderStyle, ServiceInfo, ServiceState};
use memchr::memmem::FinderRev;
use std::sync::LazyLock;

/// What one tree line says about its entry.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Header<'a> {
    /// `name@location` as printed (split later).
    pub label: &'a [u8],
    /// The class, or with `-i` the chain `Base:…:Leaf`.
    pub class: Option<&'a [u8]>,
    pub id: Option<u64>,
    pub retain: Option<u32>,
    pub state: ServiceState,
    /// The line's form, when it is complete enough to tell.
    pub style: Option<HeaderStyle>,
    /// The line ends before its closing `>` (clipped or truncated).
    pub incomplete: bool,
    /// The line ended in `$` (clipped at the terminal width).
    pub clipped: bool,
    /// Fields this reader does not know, kept for a warning.
    pub unknown: Vec<&'a [u8]>,
}

const CLASS_MARK: &[u8] = b"  <class";
const POST_MARK: &[u8] = b" class: ";

/// The searchers for the two marks, built once (`memmem::rfind` builds one per call).
static CLASS_FINDER: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(CLASS_MARK));
static POST_FINDER: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(POST_MARK));

pub(super) fn parse(rest: &[u8]) -> Header<'_> {
    if let Some(pos) = CLASS_FINDER.rfind(rest) {
        let body = &rest[pos + CLASS_MARK.len()..];
        if body.is_empty() || body[0] == b' ' || body[0] == b'>' {
            let mut h = fields(body);
            h.label = &rest[..pos];
            return h;
        }
    }
    if let Some(pos) = POST_FINDER.rfind(rest) {
        return Header {
            label: &rest[..pos],
            class: Some(&rest[pos + POST_MARK.len()..]).filter(|c| !c.is_empty()),
            style: Some(HeaderStyle::PostProcessed),
            ..Header::default()
        };
    }
    // No class at all: a line cut before `<class`.
    let clipped = rest.ends_with(b"$");
    Header {
        label: if clipped {
            &rest[..rest.len() - 1]
        } else {
            rest
        },
        incomplete: true,
        clipped,
        ..Header::default()
    }
}

/// Parses ` C, id 0x…, …, retain N>` (what follows `  <class`).
fn fields(body: &[u8]) -> Header<'_> {
    let mut h = Header::default();
    let body = if let Some(b) = body.strip_suffix(b">") {
        b
    } else if let Some(b) = body.strip_suffix(b"$") {
        h.clipped = true;
        h.incomplete = true;
        b
    } else {
        h.incomplete = true;
        body
    };
    let body = body.strip_prefix(b" ").unwrap_or(body);
    let mut parts: Vec<&[u8]> = split_fields(body).collect();
    if h.incomplete {
        parts.pop();
    }
    let mut parts = parts.into_iter();
    h.class = parts.next().filter(|c| !c.is_empty());
    let mut words = Words::default();
    for part in parts {
        if !words.take(part, &mut h) {
            h.unknown.push(part);
        }
    }
    h.style = style(&h, &words);
    h.state = words.state(&h);
    h
}

fn split_fields(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(body);
    std::iter::from_fn(move || {
        let r = rest?;
        match find_pair(r, b',', b' ') {
            Some(n) => {
                rest = Some(&r[n + 2..]);
                Some(&r[..n])
            }
            None => {
                rest = None;
                (!r.is_empty()).then_some(r)
            }
        }
    })
}

/// The first place where byte `a` is followed by byte `b` (a two-byte `memmem::find` without
/// building a searcher).
fn find_pair(text: &[u8], a: u8, b: u8) -> Option<usize> {
    memchr::memchr_iter(a, text).find(|&n| text.get(n + 1) == Some(&b))
}

/// The state words and busy figures seen on one line.
#[derive(Default)]
struct Words {
    registered: Option<bool>,
    matched: Option<bool>,
    active: Option<bool>,
    busy: Option<u32>,
    busy_ms: Option<u64>,
    retain_count: bool,
}

impl Words {
    fn take<'a>(&mut self, part: &'a [u8], h: &mut Header<'a>) -> bool {
        match part {
            b"registered" => self.registered = Some(true),
            b"!registered" => self.registered = Some(false),
            b"matched" => self.matched = Some(true),
            b"!matched" => self.matched = Some(false),
            b"active" => self.active = Some(true),
            b"inactive" => self.active = Some(false),
            _ => {
                if let Some(hex) = part.strip_prefix(b"id 0x") {
                    h.id = parse_hex(hex).map(|(v, _)| v);
                    return h.id.is_some();
                }
                if let Some(n) = part.strip_prefix(b"retain count ") {
                    self.retain_count = true;
                    h.retain = parse_dec(n).and_then(|v| u32::try_from(v).ok());
                    return h.retain.is_some();
                }
                if let Some(n) = part.strip_prefix(b"retain ") {
                    h.retain = parse_dec(n).and_then(|v| u32::try_from(v).ok());
                    return h.retain.is_some();
                }
                if let Some(rest) = part.strip_prefix(b"busy ") {
                    return self.busy(rest);
                }
                return false;
            }
        }
        true
    }

    /// `N` or `N (T ms)`.
    fn busy(&mut self, rest: &[u8]) -> bool {
        let (count, time) = match memchr::memchr(b' ', rest) {
            Some(n) => (&rest[..n], Some(&rest[n + 1..])),
            None => (rest, None),
        };
        self.busy = parse_dec(count).and_then(|v| u32::try_from(v).ok());
        if let Some(t) = time {
            let ms = t
                .strip_prefix(b"(")
                .and_then(|t| t.strip_suffix(b" ms)"))
                .and_then(parse_dec);
            if ms.is_none() {
                return false;
            }
            self.busy_ms = ms;
        }
        self.busy.is_some()
    }

    fn state(&self, h: &Header<'_>) -> ServiceState {
        let any = self.registered.is_some() || self.matched.is_some() || self.active.is_some();
        if !any {
            // A complete line with a retain count but no state words is a plain registry entry.
            return if !h.incomplete && h.retain.is_some() {
                ServiceState::NotService
            } else {
                ServiceState::Unknown
            };
        }
        // Up to IOKitTools-56 (`retain count`), the word "registered" showed the matched bit
        // and "matched" the registered bit.
        let (reg_bit, match_bit) = if self.retain_count {
            (ServiceInfo::MATCHED, ServiceInfo::REGISTERED)
        } else {
            (ServiceInfo::REGISTERED, ServiceInfo::MATCHED)
        };
        let mut state = 0;
        if self.registered == Some(true) {
            state |= reg_bit;
        }
        if self.matched == Some(true) {
            state |= match_bit;
        }
        if self.active == Some(false) {
            state |= ServiceInfo::INACTIVE;
        }
        // `(N ms)` came with `id` (IOKitTools-78); from then on its absence means zero.
        // A non-zero time under 1 ms prints as `(0 ms)`: kept as 1 ns so it stays non-zero.
        let busy_time_ns = match self.busy_ms {
            Some(0) => Some(1),
            Some(ms) => Some(ms.saturating_mul(1_000_000)),
            None if h.id.is_some() && self.busy.is_some() => Some(0),
            None => None,
        };
        ServiceState::Service(ServiceInfo {
            state,
            busy: self.busy,
            busy_time_ns,
        })
    }
}

fn style(h: &Header<'_>, words: &Words) -> Option<HeaderStyle> {
    if h.incomplete {
        return None;
    }
    Some(if h.id.is_some() {
        HeaderStyle::Modern
    } else if words.retain_count {
        HeaderStyle::RetainCount
    } else if h.retain.is_some() {
        HeaderStyle::NoId
    } else {
        HeaderStyle::ClassOnly
    })
}

pub(super) fn parse_dec(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Parses hex digits; returns the value and the number of digits used.
pub(super) fn parse_hex(s: &[u8]) -> Option<(u64, usize)> {
    let n = s.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if n == 0 || n != s.len() {
        return None;
    }
    let digits = &s[..n];
    let significant = digits.iter().skip_while(|&&c| c == b'0').count();
    if significant > 16 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = (v << 4) | u64::from(hex_val(c)?);
    }
    Some((v, n))
}

pub(super) fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}
