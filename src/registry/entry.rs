//! One registry entry and its service state.

use super::{ClassId, EntryProperties, Text};

/// Index of an entry in its [`Registry`](super::Registry). Only meaningful for that registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(pub u32);

impl EntryId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// What `ioreg` and IORegistryExplorer show for one registry entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// The registry entry ID (`id 0x100000123`), when the source recorded it.
    pub id: Option<u64>,
    /// The name in the entry's first plane (other planes may override it, see `super::Plane`).
    pub name: Text,
    /// The location (`@1f,2`) in the entry's first plane, if any.
    pub location: Option<Text>,
    pub class: Option<ClassId>,
    /// The kernel object's retain count (`IOObjectGetKernelRetainCount`), as captured.
    pub retain: Option<u32>,
    pub state: ServiceState,
    /// Properties in their original order (maybe left in the file they were read from:
    /// see [`EntryProperties`]).
    pub properties: EntryProperties,
    /// Marks the registry root (some sources say so explicitly).
    pub is_root: bool,
    /// Not a registry entry: the node that holds a plane's unattached entries (entries whose
    /// parent the source lacks). Counted nowhere, written by no writer.
    pub synthetic: bool,
}

impl Entry {
    pub fn named(name: impl Into<Text>) -> Self {
        Entry {
            name: name.into(),
            ..Entry::default()
        }
    }

    /// The first property with this key.
    pub fn property(&self, key: &str) -> Option<&super::Value> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// Whether an entry is an IOService, and if so its state as `IOServiceGetBusyStateAndTime` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServiceState {
    /// The source did not say (10.3 `<class X>` lines, tree-only post-processed dumps).
    #[default]
    Unknown,
    /// A plain registry entry (no state or busy fields on its `ioreg` line).
    NotService,
    Service(ServiceInfo),
}

/// IOService state bits and busy figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceInfo {
    /// `kIOService*State` bits: inactive 0x1, registered 0x2, matched 0x4, first publish 0x8, first match 0x10.
    pub state: u64,
    /// The busy count, when known.
    pub busy: Option<u32>,
    /// Accumulated busy time in nanoseconds, when known.
    pub busy_time_ns: Option<u64>,
}

impl ServiceInfo {
    pub const INACTIVE: u64 = 0x1;
    pub const REGISTERED: u64 = 0x2;
    pub const MATCHED: u64 = 0x4;

    pub fn registered(&self) -> bool {
        self.state & Self::REGISTERED != 0
    }
    pub fn matched(&self) -> bool {
        self.state & Self::MATCHED != 0
    }
    pub fn active(&self) -> bool {
        self.state & Self::INACTIVE == 0
    }

    /// `registered, matched, active` (or with `!`/`in` prefixes), as `ioreg` words it.
    pub(crate) fn state_words(&self) -> String {
        format!(
            "{}registered, {}matched, {}active",
            if self.registered() { "" } else { "!" },
            if self.matched() { "" } else { "!" },
            if self.active() { "" } else { "in" }
        )
    }
}
