//! Typed views of property values, the way a driver developer reads them.
//!
//! A data value is bytes; what they mean depends on the key (`AAPL,ig-platform-id` is a
//! little-endian u32, `compatible` a NUL-separated string list, `EDID` a display's identity,
//! `reg` address/size cells) and on the length. [`data_views`] gives the views that fit a
//! value, best first, hex last (always available). Each decoder is one small function; the
//! table `KEYS` says which decoders a key calls for, and lengths choose the rest.
//!
//! Integers get hex and decimal and, for known bit-field keys (`BIT_FIELDS`), their fields.
//! Strings that name another entry (`IOService:/…`) are references (`reference()`).

mod decode;
#[cfg(test)]
mod tests;

pub(crate) use decode::{
    EDID_HEADER, be_cells, edid, fourcc, hex, le_u16, le_u32, le_u64, mac, pci_id, reg_cells,
    strings, uuid, uuid_text,
};

use crate::registry::{EntryId, EntryProperties, Integer, Registry, Text, Value};

/// One way of reading a value: its name (the key under `"$views"` in JSON) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// `le32`, `strings`, `edid`, `reg`, `hex`, … (stable: JSON keys and remembered choices).
    pub name: &'static str,
    /// The value read this way (`0x59160000`).
    pub text: String,
    /// More for the screen: the decimal of a number (`1494614016`).
    pub more: Option<String>,
}

impl View {
    fn new(name: &'static str, text: String) -> View {
        View {
            name,
            text,
            more: None,
        }
    }

    /// The text with its extra, as the properties pane shows it.
    pub fn display(&self) -> String {
        match &self.more {
            Some(m) => format!("{} ({m})", self.text),
            None => self.text.clone(),
        }
    }
}

/// What a decoder may need beyond the bytes: the cell sizes the parent declares
/// (`#address-cells`, `#size-cells`) and the byte order of cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// `(#address-cells, #size-cells)` of the parent in the plane, when it says.
    pub cells: Option<(usize, usize)>,
    /// Cells are big-endian (PowerPC Open Firmware); little-endian on Intel and Apple silicon.
    pub big_endian: bool,
    /// What the entry itself calls the device (its `model`), to name a PCI `device-id`.
    pub model: Option<String>,
}

impl Context {
    /// The context of `entry`'s properties: its first parent's cell sizes in `plane`
    /// (IODeviceTree first, where the cells are declared), their byte order read from the
    /// `#address-cells` value itself (a small number).
    pub fn of(registry: &Registry, entry: EntryId) -> Context {
        let model = match registry.entry(entry).property("model") {
            Some(Value::Data(d)) => strings(d).map(|_| {
                String::from_utf8_lossy(d.split(|&b| b == 0).next().unwrap_or_default())
                    .into_owned()
            }),
            Some(Value::String(t)) => Some(t.to_string_lossy().into_owned()),
            _ => None,
        };
        Context {
            model,
            ..Context::cells_of(registry, entry)
        }
    }

    fn cells_of(registry: &Registry, entry: EntryId) -> Context {
        let mut planes: Vec<_> = registry.planes().iter().collect();
        planes.sort_by_key(|p| p.name() != "IODeviceTree");
        for plane in planes {
            // In IOService the provider of a PCI device is its bridge's driver, whose own
            // provider (the bridge) holds the cells: look a few levels up.
            let mut at = entry;
            for _ in 0..3 {
                let Some(parent) = plane.parent(at) else {
                    break;
                };
                let props = &registry.entry(parent).properties;
                let cell = |key: &str| {
                    props.iter().find_map(|(k, v)| match v {
                        Value::Data(d) if k == key && d.len() == 4 => Some(small_cell(d)),
                        _ => None,
                    })
                };
                if let (Some((a, be)), Some((s, _))) = (cell("#address-cells"), cell("#size-cells"))
                {
                    return Context {
                        cells: Some((a as usize, s as usize)),
                        big_endian: be,
                        model: None,
                    };
                }
                at = parent;
            }
        }
        Context::default()
    }
}

/// A 4-byte cell holding a small number, and whether it is big-endian (`<00000003>`).
fn small_cell(d: &[u8]) -> (u32, bool) {
    let b = [d[0], d[1], d[2], d[3]];
    let (le, be) = (u32::from_le_bytes(b), u32::from_be_bytes(b));
    if be < le { (be, true) } else { (le, false) }
}

/// Decoders a key calls for, best first (the generic ones by length follow them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decoder {
    LeU32,
    /// A PCI vendor/device/subsystem ID (16 bits in a 32-bit cell), named where the entry
    /// names it (`device-id` by its `model`).
    Pci,
    Strings,
    Edid,
    Mac,
    Reg,
    Uuid,
}

/// The keys whose data means something particular. Matching is exact; the generic
/// decoders (by length) still follow.
pub(crate) const KEYS: &[(&str, &[Decoder])] = &[
    ("AAPL,ig-platform-id", &[Decoder::LeU32]),
    ("AAPL,snb-platform-id", &[Decoder::LeU32]),
    ("device-id", &[Decoder::Pci, Decoder::LeU32]),
    ("vendor-id", &[Decoder::Pci, Decoder::LeU32]),
    ("subsystem-id", &[Decoder::Pci, Decoder::LeU32]),
    ("subsystem-vendor-id", &[Decoder::Pci, Decoder::LeU32]),
    ("revision-id", &[Decoder::LeU32]),
    ("class-code", &[Decoder::LeU32]),
    ("compatible", &[Decoder::Strings]),
    ("name", &[Decoder::Strings]),
    ("model", &[Decoder::Strings]),
    ("device_type", &[Decoder::Strings]),
    ("EDID", &[Decoder::Edid]),
    ("IODisplayEDID", &[Decoder::Edid]),
    ("IODisplayEDIDOriginal", &[Decoder::Edid]),
    ("IOMACAddress", &[Decoder::Mac]),
    ("local-mac-address", &[Decoder::Mac]),
    ("mac-address", &[Decoder::Mac]),
    ("reg", &[Decoder::Reg]),
    ("assigned-addresses", &[Decoder::Reg]),
    ("IOPlatformUUID", &[Decoder::Uuid]),
    ("platform-uuid", &[Decoder::Uuid]),
];

/// Largest data value read as a string list.
pub(crate) const STRINGS_CAP: usize = 64 * 1024;

/// Every view of a data value under `key`, best first; `hex` is always last.
pub fn data_views(key: &str, bytes: &[u8], cx: &Context) -> Vec<View> {
    let mut out: Vec<View> = Vec::new();
    let mut add = |v: Option<View>| {
        if let Some(v) = v {
            if !out.iter().any(|o| o.name == v.name) {
                out.push(v);
            }
        }
    };
    let by_key = KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(&[][..], |e| e.1);
    for d in by_key {
        add(run(*d, key, bytes, cx));
    }
    // By length and content.
    if bytes.len() == 128 || bytes.len() >= 128 && bytes.starts_with(&decode::EDID_HEADER) {
        add(edid(bytes));
    }
    // Text is looked at up to a size a pane shows (a 100 MB value must not cost its size
    // on every frame).
    if bytes.len() <= STRINGS_CAP {
        add(strings(bytes));
    }
    match bytes.len() {
        2 => add(le_u16(bytes)),
        4 => {
            add(le_u32(bytes));
            add(fourcc(bytes));
        }
        6 => add(mac(bytes)),
        8 => add(le_u64(bytes)),
        16 => add(uuid(bytes)),
        _ => {}
    }
    if bytes.len().is_multiple_of(4) && bytes.len() > 4 && bytes.len() <= 64 {
        add(be_cells(bytes, cx.big_endian));
    }
    add(Some(hex(bytes)));
    out
}

fn run(d: Decoder, key: &str, bytes: &[u8], cx: &Context) -> Option<View> {
    match d {
        Decoder::LeU32 => le_u32(bytes),
        Decoder::Pci => pci_id(bytes, cx.model.as_deref().filter(|_| key == "device-id")),
        Decoder::Strings => strings(bytes),
        Decoder::Edid => edid(bytes),
        Decoder::Mac => mac(bytes),
        Decoder::Reg => reg_cells(bytes, cx),
        Decoder::Uuid => uuid(bytes),
    }
}

/// One field of a bit-field integer: name, low bit, width in bits.
pub(crate) type Field = (&'static str, u32, u32);

/// Keys whose integer is a bit field: `(key, [(field, low bit, width)])`.
pub(crate) const BIT_FIELDS: &[(&str, &[Field])] = &[
    // PCIe Link Status register: current link speed (gen) and negotiated width.
    (
        "IOPCIExpressLinkStatus",
        &[("speed", 0, 4), ("width", 4, 6), ("training", 11, 1)],
    ),
    // PCIe Link Capabilities: max speed, max width, ASPM support.
    (
        "IOPCIExpressLinkCapabilities",
        &[("max-speed", 0, 4), ("max-width", 4, 6), ("aspm", 10, 2)],
    ),
];

/// Views of an integer: hex and decimal always, its fields under a bit-field key.
pub(crate) fn integer_views(key: &str, i: &Integer) -> Vec<View> {
    let mut out = Vec::new();
    if let Some((_, fields)) = BIT_FIELDS.iter().find(|(k, _)| *k == key) {
        let bits = i.bits;
        let text: Vec<String> = fields
            .iter()
            .map(|(name, low, width)| {
                let v = (bits >> low) & ((1u64 << width) - 1);
                format!("{name}={v}")
            })
            .collect();
        out.push(View::new("bits", text.join(" ")));
    }
    out.push(View::new("hex", format!("{:#x}", i.ioreg_bits())));
    out.push(View::new("dec", i.value().to_string()));
    out
}

/// The views of any value under `key`, for the pane and for `dump --decode`: data and
/// integers have views; other values none.
pub fn views(key: &str, v: &Value, cx: &Context) -> Vec<View> {
    match v {
        Value::Data(d) => data_views(key, d, cx),
        Value::Integer(i) => integer_views(key, i),
        _ => Vec::new(),
    }
}

/// The registry path a string value names (`IOService:/…`, `IODeviceTree:/…`,
/// `IOACPIPlane:/…`: any `PLANE:/` the registry has), or `None`.
pub(crate) fn reference<'a>(registry: &Registry, text: &'a str) -> Option<&'a str> {
    // A plane name is short: the colon comes early or not at all.
    let colon = text.bytes().take(64).position(|b| b == b':')?;
    let (plane, rest) = (&text[..colon], &text[colon + 1..]);
    (rest.starts_with('/') && registry.plane(plane).is_some()).then_some(text)
}

/// What a property value points at, as text [`Registry::resolve`] reads: a registry path
/// (`IOService:/…`, any plane), an integer that is another entry's registry ID (`0x…`),
/// or a device-tree phandle (4-byte data under a `…-parent` key, the entry whose
/// `AAPL,phandle` it is, by its registry ID). `None` when it names no entry.
pub fn link(registry: &Registry, key: &str, v: &Value) -> Option<String> {
    match v {
        // Every plane's name begins with `IO`; a huge string costs nothing here.
        Value::String(t) if t.as_bytes().starts_with(b"IO") && t.len() < 64 * 1024 => {
            reference(registry, &t.to_string_lossy()).map(str::to_owned)
        }
        Value::String(_) => None,
        // Finding an entry by ID or phandle is a scan: only where it costs little (a phandle
        // is a property: not where values stay in their file, where the scan would decode
        // them all).
        _ if registry.len() > BACKLINK_SCAN_LIMIT => None,
        Value::Integer(i) if i.bits > u64::from(u32::MAX) => registry
            .find_by_id(i.bits)
            .map(|_| format!("{:#x}", i.bits)),
        Value::Data(d)
            if d.len() == 4
                && (key.ends_with("-parent") || key == "phandle")
                && !registry.has_deferred_properties() =>
        {
            let (target, _) = registry.entries().find(
                |(_, e)| matches!(e.property("AAPL,phandle"), Some(Value::Data(p)) if **p == **d),
            )?;
            registry.entry(target).id.map(|id| format!("{id:#x}"))
        }
        _ => None,
    }
}

/// Registries larger than this are not scanned for [`backlinks`] (a scan per selection
/// would cost more than a key press may).
pub(crate) const BACKLINK_SCAN_LIMIT: usize = 20_000;

/// Whether every entry's properties may be scanned on a key press: not in a registry larger
/// than [`BACKLINK_SCAN_LIMIT`], nor in one whose values were left in their file (a large
/// dump: the scan would decode, and keep, every value of the file).
fn scannable(registry: &Registry) -> bool {
    registry.len() <= BACKLINK_SCAN_LIMIT && !registry.has_deferred_properties()
}

/// The entries whose top-level properties point at `target` (as [`link`] reads them: its
/// path in any plane, its registry ID, its `AAPL,phandle`), with the key, at most `max`;
/// `None` when the registry is too large to scan (`BACKLINK_SCAN_LIMIT`) or its values stay
/// in their file (then [`References`] answers).
pub fn backlinks(
    registry: &Registry,
    target: EntryId,
    max: usize,
) -> Option<Vec<(EntryId, String)>> {
    if !scannable(registry) {
        return None;
    }
    let every = registry
        .entries()
        .flat_map(|(from, e)| e.properties.iter().map(move |(k, v)| (from, k, v)));
    Some(Target::of(registry, target).find(every, max))
}

/// What points at one entry: its paths, registry ID and phandle.
struct Target {
    entry: EntryId,
    paths: Vec<String>,
    id: Option<u64>,
    phandle: Option<Box<[u8]>>,
}

impl Target {
    fn of(registry: &Registry, entry: EntryId) -> Self {
        let paths = registry
            .planes()
            .iter()
            .filter(|p| p.contains(entry))
            .filter_map(|p| registry.path_in(p, entry))
            .collect();
        let t = registry.entry(entry);
        let phandle = match t.property("AAPL,phandle") {
            Some(Value::Data(d)) if d.len() == 4 => Some(d.clone()),
            _ => None,
        };
        Target {
            entry,
            paths,
            id: t.id,
            phandle,
        }
    }

    /// Whether property `k` = `v` points at the target.
    fn hit(&self, k: &Text, v: &Value) -> bool {
        match v {
            Value::String(s) => {
                s.as_bytes().starts_with(b"IO") && self.paths.iter().any(|p| *s == p.as_str())
            }
            Value::Integer(i) => self
                .id
                .is_some_and(|id| id > u64::from(u32::MAX) && i.bits == id),
            Value::Data(d) => {
                self.phandle.as_ref().is_some_and(|p| p == d)
                    && k.to_string_lossy().ends_with("-parent")
            }
            _ => false,
        }
    }

    /// The first `max` properties of `every` (entry, key, value) that point at the target.
    fn find<'a>(
        &self,
        every: impl Iterator<Item = (EntryId, &'a Text, &'a Value)>,
        max: usize,
    ) -> Vec<(EntryId, String)> {
        every
            .filter(|&(from, k, v)| from != self.entry && self.hit(k, v))
            .map(|(from, k, _)| (from, k.to_string_lossy().into_owned()))
            .take(max)
            .collect()
    }
}

/// Every top-level property of a registry that may point at an entry (a string that may be a
/// path, an integer that may be a registry ID, 4 bytes under a `…-parent` key), gathered in
/// one pass: [`backlinks`] for a registry whose values stay in their file, where a scan per
/// key press would decode them all (the explorer gathers them on a thread of its own).
#[derive(Debug, Default)]
pub struct References {
    refs: Vec<(EntryId, Text, Value)>,
}

impl References {
    /// Gathers the properties of `lists` (each decoded for the visit only).
    pub fn gather<'a>(lists: impl Iterator<Item = (EntryId, &'a EntryProperties)>) -> Self {
        let mut refs = Vec::new();
        for (from, list) in lists {
            // A list its source cannot give back points nowhere (the pane says why).
            let _ = list.with(|list| {
                for (k, v) in list {
                    let may_point = match v {
                        Value::String(s) => s.as_bytes().starts_with(b"IO"),
                        Value::Integer(i) => i.bits > u64::from(u32::MAX),
                        Value::Data(d) => d.len() == 4 && k.as_bytes().ends_with(b"-parent"),
                        _ => false,
                    };
                    if may_point {
                        refs.push((from, k.clone(), v.clone()));
                    }
                }
            });
        }
        References { refs }
    }

    /// [`backlinks`] from the gathered properties.
    pub fn backlinks(
        &self,
        registry: &Registry,
        target: EntryId,
        max: usize,
    ) -> Vec<(EntryId, String)> {
        let every = self.refs.iter().map(|(from, k, v)| (*from, k, v));
        Target::of(registry, target).find(every, max)
    }
}
