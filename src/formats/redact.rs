//! `dump --redact`: identifying values replaced by placeholders before a dump is shared.
//!
//! What is identifying is one table, `RULES`: a key (exact, or a key ending so) and the
//! kind of value it holds. Beside the keys, two value patterns are looked for in every
//! string: UUIDs (`8-4-4-4-12` hex) and MAC addresses (`hh:hh:hh:hh:hh:hh`). Public
//! constants are kept: the partition-type GUIDs under `Content`/`Content Hint`, and GUIDs
//! used as dict keys or entry names (EFI tables, plug-in types), which are never values.
//!
//! Redaction runs in two passes over every property of every entry: the first collects the
//! identifying values (by key and by pattern); the second replaces each of them wherever it
//! occurs in a string or data value — a serial number also inside the device tree's
//! `serial-number` data — so that nothing of the original is left. Placeholders keep the
//! value's type and shape (`<redacted serial 1>`, `02:00:00:00:00:01`, a UUID-shaped
//! string, data of the same length) and the same value always gets the same placeholder,
//! so two redacted dumps of one machine still diff. Names, classes, planes and the tree
//! are not touched.

use crate::registry::{Registry, Text, Value};
use std::collections::{BTreeMap, HashMap};

/// The kinds of identifying values, each with its own placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Serial,
    Uuid,
    Mac,
    User,
    Host,
    /// The process named in `IOUserClientCreator` (`pid 123, name`).
    Process,
}

/// How a rule's key is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyMatch {
    Exact(&'static str),
    /// Keys ending so (`SerialNumber` covers `IOPlatformSerialNumber`, `BatterySerialNumber`).
    Suffix(&'static str),
}

/// The identifying keys. Values under them are replaced whole (strings, data; integers
/// are kept), and every occurrence of such a value elsewhere too (except user and process
/// names, which are replaced only under their keys and in `/Users/NAME`).
pub(crate) const RULES: &[(KeyMatch, Kind)] = &[
    (KeyMatch::Suffix("SerialNumber"), Kind::Serial),
    (KeyMatch::Suffix("Serial Number"), Kind::Serial),
    (KeyMatch::Suffix("serial-number"), Kind::Serial),
    (KeyMatch::Exact("kUSBSerialNumberString"), Kind::Serial),
    (KeyMatch::Exact("USB Serial Number"), Kind::Serial),
    (KeyMatch::Exact("Serial"), Kind::Serial),
    (KeyMatch::Exact("device serial"), Kind::Serial),
    (KeyMatch::Suffix("UUID"), Kind::Uuid),
    (KeyMatch::Suffix("uuid"), Kind::Uuid),
    (KeyMatch::Exact("IOMACAddress"), Kind::Mac),
    (KeyMatch::Exact("local-mac-address"), Kind::Mac),
    (KeyMatch::Exact("mac-address"), Kind::Mac),
    // IOConsoleUsers: kCGSSessionUserNameKey, kCGSessionLongUserNameKey (one S).
    (KeyMatch::Suffix("UserNameKey"), Kind::User),
    (KeyMatch::Exact("HostName"), Kind::Host),
    (KeyMatch::Exact("LocalHostName"), Kind::Host),
    (KeyMatch::Exact("ComputerName"), Kind::Host),
    (KeyMatch::Exact("host-name"), Kind::Host),
    (KeyMatch::Exact("IOUserClientCreator"), Kind::Process),
];

/// Keys holding an EDID block (also Open Firmware's `CRT2,EDID`, `DISPLAY,EDID`…): its
/// serial number (bytes 12–15) and its serial-number descriptor (tag 0xFF) are replaced,
/// the checksum kept right.
pub(crate) const EDID_KEYS: &[&str] = &["EDID", "IODisplayEDID", "IODisplayEDIDOriginal"];

fn is_edid_key(key: &str) -> bool {
    EDID_KEYS.contains(&key) || key.ends_with(",EDID")
}

/// Shortest identifying text looked for everywhere (in every string and data value);
/// shorter ones are replaced only under their own key.
const GLOBAL_MIN: usize = 6;

/// Keys whose UUIDs are public constants (partition types), kept as they are.
pub(crate) const PUBLIC_UUID_KEYS: &[&str] = &["Content", "Content Hint"];

/// The kind of identifying value `key` holds, if any.
pub(crate) fn kind_of(key: &str) -> Option<Kind> {
    RULES.iter().find_map(|(m, kind)| match m {
        KeyMatch::Exact(k) if *k == key => Some(*kind),
        KeyMatch::Suffix(s) if key.ends_with(s) => Some(*kind),
        _ => None,
    })
}

/// What was replaced: count per key, for stderr.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub replaced: BTreeMap<String, usize>,
}

impl Report {
    /// `redacted: IOMACAddress 2, IOPlatformSerialNumber 1` (keys escaped for a terminal).
    pub fn line(&self) -> String {
        if self.replaced.is_empty() {
            return "redacted: nothing identifying found".into();
        }
        let parts: Vec<String> = self
            .replaced
            .iter()
            .map(|(k, n)| format!("{} {n}", crate::registry::escape::for_terminal(k)))
            .collect();
        format!("redacted: {}", parts.join(", "))
    }
}

/// One identifying value found, as text or bytes, with its placeholder.
#[derive(Default)]
struct Secrets {
    /// Original text → placeholder text (everywhere-kinds), longest first when applied.
    text: Vec<(String, String)>,
    /// Original bytes → same-length placeholder bytes (for data values).
    bytes: Vec<(Vec<u8>, Vec<u8>)>,
    /// User names: (original, placeholder, same-length placeholder), replaced everywhere as
    /// whole words (a user called `Apple` leaves `AppleACPIPlatformExpert` alone).
    words: Vec<(String, String, Vec<u8>)>,
    /// EDID serial numbers (bytes 12–15) → their placeholder number.
    edid_serials: HashMap<u32, u32>,
    /// Values replaced only where keyed: (kind, original) → placeholder.
    keyed: HashMap<(Kind, String), String>,
    counters: HashMap<Kind, usize>,
    seen: HashMap<(Kind, Vec<u8>), usize>,
}

impl Secrets {
    /// The number of this value within its kind (the same value, the same number).
    fn number(&mut self, kind: Kind, original: &[u8]) -> usize {
        if let Some(&n) = self.seen.get(&(kind, original.to_vec())) {
            return n;
        }
        let c = self.counters.entry(kind).or_insert(0);
        *c += 1;
        let n = *c;
        self.seen.insert((kind, original.to_vec()), n);
        n
    }

    fn add_text(&mut self, kind: Kind, original: &str) {
        if self.text.iter().any(|(o, _)| o == original) {
            return;
        }
        // A short serial (`1.1.3`) is replaced where its key holds it, not as a substring
        // of every string in the dump.
        if original.len() < GLOBAL_MIN {
            if kind == Kind::Serial || kind == Kind::Host {
                self.add_keyed(kind, original);
            }
            return;
        }
        let n = self.number(kind, original.as_bytes());
        let placeholder = match kind {
            Kind::Uuid => uuid_placeholder(n, original),
            Kind::Mac => mac_text(n, original),
            _ => format!("<redacted {} {n}>", kind_word(kind)),
        };
        // In data the same text is replaced by bytes of the same length.
        if !self.bytes.iter().any(|(o, _)| o == original.as_bytes()) {
            let same_len = same_length(kind, n, original.len());
            self.bytes
                .push((original.as_bytes().to_vec(), same_len.into_bytes()));
        }
        self.text.push((original.to_owned(), placeholder));
    }

    fn add_bytes(&mut self, kind: Kind, original: &[u8]) {
        if self.bytes.iter().any(|(o, _)| o == original) {
            return;
        }
        let n = self.number(kind, original);
        let mut p = vec![0u8; original.len()];
        match kind {
            Kind::Mac => {
                p[0] = 0x02;
                p[5] = n as u8;
                p[4] = (n >> 8) as u8;
            }
            Kind::Uuid => {
                let tail = (n as u64).to_be_bytes();
                let k = p.len().min(8);
                let at = p.len() - k;
                p[at..].copy_from_slice(&tail[8 - k..]);
            }
            _ => p = same_length(kind, n, original.len()).into_bytes(),
        }
        self.bytes.push((original.to_vec(), p));
        // Its text forms, as other values may write them.
        if kind == Kind::Mac && original.len() == 6 {
            for sep in [":", "-"] {
                let lower: Vec<String> = original.iter().map(|b| format!("{b:02x}")).collect();
                let upper: Vec<String> = original.iter().map(|b| format!("{b:02X}")).collect();
                for t in [lower.join(sep), upper.join(sep)] {
                    self.seen.insert((kind, t.clone().into_bytes()), n);
                    self.add_text(kind, &t);
                }
            }
        }
        if kind == Kind::Uuid && original.len() == 16 {
            let t = crate::values::uuid_text(original);
            for t in [t.to_ascii_lowercase(), t] {
                self.seen.insert((kind, t.clone().into_bytes()), n);
                self.add_text(kind, &t);
            }
        }
    }

    fn add_word(&mut self, original: &str) {
        if original.len() < 3 || self.words.iter().any(|(o, ..)| o == original) {
            return;
        }
        let n = self.number(Kind::User, original.as_bytes());
        self.words.push((
            original.to_owned(),
            format!("<redacted user {n}>"),
            same_length(Kind::User, n, original.len()).into_bytes(),
        ));
    }

    fn add_keyed(&mut self, kind: Kind, original: &str) {
        if original.is_empty() || self.keyed.contains_key(&(kind, original.to_owned())) {
            return;
        }
        let n = self.number(kind, original.as_bytes());
        self.keyed.insert(
            (kind, original.to_owned()),
            format!("<redacted {} {n}>", kind_word(kind)),
        );
    }
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Serial => "serial",
        Kind::Uuid => "uuid",
        Kind::Mac => "mac",
        Kind::User => "user",
        Kind::Host => "host",
        Kind::Process => "process",
    }
}

/// `00000000-0000-0000-0000-00000000000N`, in the original's case.
fn uuid_placeholder(n: usize, original: &str) -> String {
    let p = format!("00000000-0000-0000-0000-{n:012X}");
    if original.bytes().any(|b| b.is_ascii_lowercase()) {
        p.to_ascii_lowercase()
    } else {
        p
    }
}

/// `02:00:00:00:00:01` with the original's separator and case.
fn mac_text(n: usize, original: &str) -> String {
    let sep = if original.contains('-') { "-" } else { ":" };
    let b = [0x02, 0, 0, 0, (n >> 8) as u8, n as u8];
    let parts: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    parts.join(sep)
}

/// A placeholder of exactly `len` ASCII bytes (for text inside data values).
fn same_length(kind: Kind, n: usize, len: usize) -> String {
    let word = match kind {
        Kind::Serial => "SERIAL",
        Kind::Uuid => "UUID",
        Kind::Mac => "MAC",
        Kind::User => "USER",
        Kind::Host => "HOST",
        Kind::Process => "PROC",
    };
    let word = if len > word.len() { word } else { "" };
    let s = format!("{word}{n:0>width$}", width = len.saturating_sub(word.len()));
    s[s.len().saturating_sub(len)..].to_owned()
}

/// Replaces the identifying values of every entry (see the module docs).
pub fn redact(registry: &mut Registry) -> Report {
    let ids: Vec<_> = registry.entries().map(|(id, _)| id).collect();
    let mut secrets = Secrets::default();
    for &id in &ids {
        for (k, v) in &registry.entry(id).properties {
            collect(&k.to_string_lossy(), v, &mut secrets);
        }
    }
    // Longest first, so that a value containing another is replaced whole.
    secrets
        .text
        .sort_by_key(|(o, _)| std::cmp::Reverse(o.len()));
    secrets
        .bytes
        .sort_by_key(|(o, _)| std::cmp::Reverse(o.len()));
    let mut report = Report::default();
    for &id in &ids {
        let props = &mut registry.entry_mut(id).properties;
        for (k, v) in props.iter_mut() {
            let key = k.to_string_lossy().into_owned();
            apply(&key, v, &secrets, &mut report);
        }
    }
    report
}

fn collect(key: &str, v: &Value, s: &mut Secrets) {
    match v {
        Value::Dict(kv) => {
            for (k, v) in kv {
                collect(&k.to_string_lossy(), v, s);
            }
        }
        Value::Array(items) | Value::Set(items) => {
            for v in items {
                collect(key, v, s);
            }
        }
        Value::String(t) => {
            let text = t.to_string_lossy();
            match kind_of(key) {
                Some(Kind::Process) => {
                    if let Some((_, name)) = text.split_once(", ") {
                        s.add_keyed(Kind::Process, name);
                    }
                }
                Some(Kind::User) => {
                    s.add_keyed(Kind::User, &text);
                    s.add_word(&text);
                }
                Some(Kind::Uuid) if PUBLIC_UUID_KEYS.contains(&key) => {}
                Some(kind) if !text.trim().is_empty() && !placeholder_like(&text) => {
                    s.add_text(kind, &text)
                }
                _ => {}
            }
            if !PUBLIC_UUID_KEYS.contains(&key) {
                for u in find_uuids(&text) {
                    s.add_text(Kind::Uuid, u);
                }
            }
            for m in find_macs(&text) {
                s.add_text(Kind::Mac, m);
            }
        }
        Value::Data(d) if is_edid_key(key) && is_edid(d) => {
            let serial = u32::from_le_bytes([d[12], d[13], d[14], d[15]]);
            if serial != 0 && !s.edid_serials.contains_key(&serial) {
                let n = s.number(Kind::Serial, &d[12..16]) as u32;
                s.edid_serials.insert(serial, n);
            }
            for desc in d[54..126].chunks(18) {
                if desc[..3] == [0, 0, 0] && desc[3] == 0xff {
                    let text: Vec<u8> = desc[5..18]
                        .iter()
                        .copied()
                        .take_while(|&c| c != b'\n' && c != 0)
                        .collect();
                    if let Ok(t) = std::str::from_utf8(&text) {
                        s.add_text(Kind::Serial, t.trim_end());
                    }
                }
            }
        }
        Value::Data(d) => match kind_of(key) {
            Some(Kind::Mac) if d.len() >= 6 => s.add_bytes(Kind::Mac, &d[..6]),
            Some(Kind::Uuid) if d.len() == 16 => s.add_bytes(Kind::Uuid, d),
            Some(kind @ (Kind::Serial | Kind::Host)) => {
                // Long runs are looked for everywhere; shorter fragments are only replaced
                // here (see `apply`), not in every data value of the dump.
                for run in d.split(|b| !(0x21..0x7f).contains(b)) {
                    if run.len() >= GLOBAL_MIN {
                        s.add_bytes(kind, run);
                        if let Ok(t) = std::str::from_utf8(run) {
                            s.add_text(kind, t);
                        }
                    }
                }
            }
            _ => {}
        },
        _ => {}
    }
}

/// Values that say nothing (`0000000000000000`, `not serializable` notes) are kept.
fn placeholder_like(text: &str) -> bool {
    text.bytes().all(|b| b == b'0') || text.contains("is not serializable")
}

fn apply(key: &str, v: &mut Value, s: &Secrets, report: &mut Report) {
    let mut hit = false;
    match v {
        Value::Dict(kv) => {
            for (k, v) in kv.iter_mut() {
                let key = k.to_string_lossy().into_owned();
                apply(&key, v, s, report);
            }
        }
        Value::Array(items) | Value::Set(items) => {
            for v in items {
                apply(key, v, s, report);
            }
        }
        Value::String(t) => {
            let text = t.to_string_lossy().into_owned();
            let mut out = text.clone();
            if let Some(kind) = kind_of(key) {
                let (head, name) = match (kind, out.split_once(", ")) {
                    (Kind::Process, Some((h, n))) => (format!("{h}, "), n.to_owned()),
                    _ => (String::new(), out.clone()),
                };
                if let Some(p) = s.keyed.get(&(kind, name)) {
                    out = format!("{head}{p}");
                }
            }
            for (o, p, _) in &s.words {
                if let Some(b) = replace_word(out.as_bytes(), o.as_bytes(), p.as_bytes()) {
                    out = String::from_utf8_lossy(&b).into_owned();
                }
            }
            for (o, p) in &s.text {
                if out.contains(o.as_str()) {
                    out = out.replace(o.as_str(), p);
                }
            }
            if out != text {
                *t = Text::from(out.as_str());
                hit = true;
            }
        }
        Value::Data(d) => {
            let mut bytes = d.to_vec();
            for (o, p) in &s.bytes {
                hit |= replace_bytes(&mut bytes, o, p);
            }
            for (o, _, p) in &s.words {
                if let Some(b) = replace_word(&bytes, o.as_bytes(), p) {
                    bytes = b;
                    hit = true;
                }
            }
            if matches!(kind_of(key), Some(Kind::Serial | Kind::Host)) {
                // Fragments too short to look for everywhere (`W0A` before the serial in
                // the device tree's `serial-number`).
                let mut i = 0;
                while i < bytes.len() {
                    let len = bytes[i..]
                        .iter()
                        .take_while(|b| (0x21..0x7f).contains(*b))
                        .count();
                    if (3..GLOBAL_MIN).contains(&len) {
                        let p = same_length(Kind::Serial, 0, len);
                        bytes[i..i + len].copy_from_slice(p.as_bytes());
                        hit = true;
                    }
                    i += len.max(1);
                }
            }
            if is_edid_key(key) && is_edid(&bytes) {
                let serial = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
                if let Some(n) = s.edid_serials.get(&serial) {
                    bytes[12..16].copy_from_slice(&n.to_le_bytes());
                    hit = true;
                }
                if hit {
                    // The block's checksum: all 128 bytes sum to 0 mod 256.
                    let sum = bytes[..127].iter().fold(0u8, |a, &b| a.wrapping_add(b));
                    bytes[127] = 0u8.wrapping_sub(sum);
                }
            }
            if hit {
                *d = bytes.into_boxed_slice();
            }
        }
        _ => {}
    }
    if hit {
        *report.replaced.entry(key.to_owned()).or_insert(0) += 1;
    }
}

/// An EDID block (128 bytes or more, with the fixed header).
fn is_edid(d: &[u8]) -> bool {
    d.len() >= 128 && d.starts_with(&crate::values::EDID_HEADER)
}

/// Replaces every occurrence of `from` in `bytes` by `to` (of the same length).
fn replace_bytes(bytes: &mut [u8], from: &[u8], to: &[u8]) -> bool {
    if from.is_empty() || from.len() > bytes.len() || from.len() != to.len() {
        return false;
    }
    let mut hit = false;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            hit = true;
            i += from.len();
        } else {
            i += 1;
        }
    }
    hit
}

/// `hay` with every whole-word occurrence of `from` (not between ASCII letters or digits)
/// replaced by `to`; `None` when there is none.
pub(crate) fn replace_word(hay: &[u8], from: &[u8], to: &[u8]) -> Option<Vec<u8>> {
    if from.is_empty() || from.len() > hay.len() {
        return None;
    }
    let word = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    let mut out = Vec::with_capacity(hay.len());
    let (mut i, mut hit) = (0, false);
    while i < hay.len() {
        if hay[i..].starts_with(from)
            && !word(i.checked_sub(1).and_then(|j| hay.get(j)))
            && !word(hay.get(i + from.len()))
        {
            out.extend_from_slice(to);
            i += from.len();
            hit = true;
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    hit.then_some(out)
}

/// The UUID-shaped substrings of `text` (`8-4-4-4-12` hex digits).
pub(crate) fn find_uuids(text: &str) -> Vec<&str> {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 36 <= b.len() {
        let mut at = i;
        let ok = SHAPE.iter().enumerate().all(|(n, &len)| {
            let part = &b[at..at + len];
            at += len;
            let hex = part.iter().all(u8::is_ascii_hexdigit);
            let dash = n == 4 || b[at] == b'-';
            at += usize::from(n < 4);
            hex && dash
        });
        let bounded = (i == 0 || !b[i - 1].is_ascii_hexdigit())
            && (i + 36 == b.len() || !b[i + 36].is_ascii_hexdigit());
        if ok && bounded {
            out.push(&text[i..i + 36]);
            i += 36;
        } else {
            i += 1;
        }
    }
    out
}

/// The MAC-shaped substrings of `text` (`hh:hh:hh:hh:hh:hh`), all-zero and broadcast ones
/// excepted.
pub(crate) fn find_macs(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 17 <= b.len() {
        let w = &b[i..i + 17];
        let ok = (0..17).all(|j| {
            if j % 3 == 2 {
                w[j] == b':'
            } else {
                w[j].is_ascii_hexdigit()
            }
        });
        let bounded = (i == 0 || !b[i - 1].is_ascii_hexdigit() && b[i - 1] != b':')
            && (i + 17 == b.len() || !b[i + 17].is_ascii_hexdigit() && b[i + 17] != b':');
        let s = if ok && bounded { &text[i..i + 17] } else { "" };
        if !s.is_empty() && s != "00:00:00:00:00:00" && !s.eq_ignore_ascii_case("ff:ff:ff:ff:ff:ff")
        {
            out.push(s);
            i += 17;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Entry;

    #[test]
    fn patterns_find_uuids_and_macs() {
        assert_eq!(
            find_uuids("x 0ABCDEF0-1234-5678-9abc-def012345678/y"),
            ["0ABCDEF0-1234-5678-9abc-def012345678"]
        );
        assert!(find_uuids("0ABCDEF0-1234-5678-9abc-def01234567").is_empty());
        assert_eq!(find_macs("en0 44:1c:a8:e1:d3:95."), ["44:1c:a8:e1:d3:95"]);
        assert!(find_macs("00:00:00:00:00:00").is_empty());
    }

    #[test]
    fn keys_and_placeholders() {
        assert_eq!(kind_of("IOPlatformSerialNumber"), Some(Kind::Serial));
        assert_eq!(kind_of("IOPlatformUUID"), Some(Kind::Uuid));
        assert_eq!(kind_of("IOClass"), None);
        assert_eq!(same_length(Kind::Serial, 1, 11), "SERIAL00001");
        assert_eq!(same_length(Kind::Serial, 1, 3), "001");
    }

    #[test]
    fn the_same_value_gets_the_same_placeholder() {
        let mut r = Registry::new();
        let e = Entry {
            properties: vec![
                (
                    Text::from("IOPlatformSerialNumber"),
                    Value::string("YM64551AW0A"),
                ),
                (
                    Text::from("serial-number"),
                    Value::Data(b"W0A\0\0YM64551AW0A\0".to_vec().into()),
                ),
                (
                    Text::from("IOMACAddress"),
                    Value::Data(vec![0x44, 0x1c, 0xa8, 0xe1, 0xd3, 0x95].into()),
                ),
                (
                    Text::from("note"),
                    Value::string("mac 44:1c:a8:e1:d3:95 sn YM64551AW0A"),
                ),
                (
                    Text::from("IOUserClientCreator"),
                    Value::string("pid 1, loginwindow"),
                ),
            ]
            .into(),
            ..Entry::default()
        };
        let id = r.add_entry(e);
        let report = redact(&mut r);
        let p = &r.entry(id).properties;
        assert_eq!(p[0].1, Value::string("<redacted serial 1>"));
        let Value::Data(d) = &p[1].1 else { panic!() };
        assert!(!d.windows(3).any(|w| w == b"W0A"), "{d:?}");
        assert_eq!(d.len(), 17);
        assert_eq!(p[2].1, Value::Data(vec![2, 0, 0, 0, 0, 1].into()));
        assert_eq!(
            p[3].1,
            Value::string("mac 02:00:00:00:00:01 sn <redacted serial 1>")
        );
        assert_eq!(p[4].1, Value::string("pid 1, <redacted process 1>"));
        assert_eq!(report.replaced["IOPlatformSerialNumber"], 1);
    }
}
