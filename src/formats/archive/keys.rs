//! The keys of an `ioreg -a` archive, and ioscope's own `ioscope:` keys.
//!
//! `ioreg` puts its synthetic keys in the same dictionary as the entry's properties.
//! ioscope's writer adds keys starting with `ioscope:` for what the `ioreg` format cannot
//! hold; other readers (plistlib, IORegistryExplorer-era tools) see them as ordinary keys
//! and ignore them. The writer and this reader share these names.

pub(crate) const NAME: &str = "IORegistryEntryName";
pub(crate) const LOCATION: &str = "IORegistryEntryLocation";
pub(crate) const ID: &str = "IORegistryEntryID";
pub(crate) const CLASS: &str = "IOObjectClass";
pub(crate) const INHERITANCE: &str = "IOObjectInheritance";
pub(crate) const RETAIN: &str = "IOObjectRetainCount";
pub(crate) const STATE: &str = "IOServiceState";
pub(crate) const BUSY: &str = "IOServiceBusyState";
pub(crate) const BUSY_TIME: &str = "IOServiceBusyTime";
pub(crate) const CHILDREN: &str = "IORegistryEntryChildren";

/// Every synthetic `ioreg` key (a property with one of these names must be escaped).
pub(crate) const SYNTHETIC: [&str; 10] = [
    NAME,
    LOCATION,
    ID,
    CLASS,
    INHERITANCE,
    RETAIN,
    STATE,
    BUSY,
    BUSY_TIME,
    CHILDREN,
];

/// Prefix of ioscope's own keys.
pub(crate) const PREFIX: &str = "ioscope:";
/// On the top dict(s): the format version (integer 1). Its presence also turns off the
/// 2011–2019 `IOObjectClass` quirk detection (ioscope never wrote that bug).
pub(crate) const FORMAT: &str = "ioscope:format";
/// On the top dict(s): the plane the archive holds (absent: IOService, as `ioreg`'s default).
pub(crate) const PLANE: &str = "ioscope:plane";
/// On the first top dict: the load report (dialect, host, clipped lines, truncation, warnings).
pub(crate) const REPORT: &str = "ioscope:report";
/// Exact bytes of the name in the plane, when the string could not hold them.
pub(crate) const PLANE_NAME_BYTES: &str = "ioscope:plane-name-bytes";
/// Exact bytes of the location in the plane.
pub(crate) const PLANE_LOCATION_BYTES: &str = "ioscope:plane-location-bytes";
/// The entry's own name (data) when the plane renames it.
pub(crate) const OWN_NAME: &str = "ioscope:own-name";
/// The entry's own location (data, or `false` for none) when the plane overrides it.
pub(crate) const OWN_LOCATION: &str = "ioscope:own-location";
/// `true` on the registry root.
pub(crate) const IS_ROOT: &str = "ioscope:is-root";
/// `"unknown"` when the source did not say whether the entry is an IOService.
pub(crate) const SERVICE: &str = "ioscope:service";
/// Array of annotations restoring exact types of property values (see [`annotation`]).
pub(crate) const ANNOTATIONS: &str = "ioscope:annotations";
/// Prefix put before a property key that would collide with a synthetic or `ioscope:` key.
pub(crate) const ESCAPED_KEY: &str = "ioscope:key:";

/// Annotation fields. An annotation is a dict `{path: [int…], kind: string, …}`: `path[0]`
/// indexes the entry's properties (in order), each further index the dict pair or array
/// element inside the value reached so far.
pub(crate) mod annotation {
    pub(crate) const PATH: &str = "path";
    pub(crate) const KIND: &str = "kind";
    /// `integer`: `width` (8/16/32/64), `signed` (bool), `hex` (bool).
    pub(crate) const INTEGER: &str = "integer";
    /// `set`: the array is an OSSet.
    pub(crate) const SET: &str = "set";
    /// `raw`: a value kept as raw text; `clipped` (bool), optional `bytes` (data).
    pub(crate) const RAW: &str = "raw";
    /// `string`: the string's exact `bytes` (data).
    pub(crate) const STRING: &str = "string";
    /// `key`: the exact `bytes` (data) of the key of the pair the path ends at.
    pub(crate) const KEY: &str = "key";
    /// `date`: exact `seconds` (real) since 2001-01-01 UTC.
    pub(crate) const DATE: &str = "date";
}

/// Whether the reader may interpret a key of an entry dict (a synthetic or `ioscope:` key:
/// `Builder::synthetic`); any other key is a property.
pub(crate) fn interpreted(key: &str) -> bool {
    // Every synthetic key starts with `IO`, every one of ours with `i`: most properties are
    // told apart by their first byte.
    matches!(key.as_bytes().first(), Some(b'I' | b'i'))
        && (SYNTHETIC.contains(&key) || (key.starts_with(PREFIX) && !key.starts_with(ESCAPED_KEY)))
}

/// Whether a property key must be escaped to be written (it collides with a key the reader
/// interprets).
pub(crate) fn needs_escape(key: &[u8]) -> bool {
    key.starts_with(PREFIX.as_bytes()) || SYNTHETIC.iter().any(|s| s.as_bytes() == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader tells most property keys from these by their first byte (`Builder::synthetic`).
    #[test]
    fn synthetic_keys_start_with_io_and_ours_with_i() {
        assert!(SYNTHETIC.iter().all(|k| k.starts_with("IO")));
        assert!(PREFIX.starts_with('i') && ESCAPED_KEY.starts_with(PREFIX));
    }
}
