//! Deterministic synthetic registries of any size, for benchmarks, fixtures and tests.
//!
//! Real dumps top out around 3,000 entries; the explorer and the readers must stay fast at a
//! million. [`synthetic`] builds a registry with the shapes real ones have — a platform expert,
//! ACPI devices, PCI bridges and devices with USB, HID, storage and network stacks below them,
//! user clients — plus the extremes benchmarks need: one node ([`WIDE_NODE`]) with up to 10,000
//! children and a daisy chain up to [`DEEP_CHAIN`] levels deep. A second plane (`IODeviceTree`)
//! holds a subset of the entries, some under other names, and a few entries of its own.
//!
//! Properties carry every value type the model has except `Raw` (a reader's artefact): nested
//! dictionaries and arrays, sets, data, big unsigned and negative integers of several widths,
//! booleans, and (rarely, as only archives hold them) dates and reals. Strings contain no
//! quotes or newlines, so `ioreg` text written from a generated registry reads back the same.
//!
//! Classes (with the same superclasses), devices, kext services and client processes come
//! from the simulated Mac's catalogue (`catalogue.rs`), as the demo machine's do. The same
//! `(entries, seed)` always gives the same registry; the random source is the simulated
//! Mac's (`rng.rs`). Behind the `testkit` feature: tests, benchmarks and the `gen` example
//! use it, the default library does not ship it.

use super::catalogue::{
    self, ACPI_DEVICES, DRIVERS, KEXT_SERVICES, MEDIA_CONTENT, PCI_DEVICES, PROCESSES, PciSpec,
    ROOT_PORTS, UsbProduct, bundle_for, data_str, data_u32, dict,
};
use super::rng::Rng;
use crate::registry::{
    ClassId, Date, Entry, EntryId, Integer, Origin, Properties, Registry, ServiceInfo,
    ServiceState, Text, Value,
};
use std::collections::HashMap;

/// The entry whose children form the wide shape (it also has its ordinary children).
pub const WIDE_NODE: &str = "IOResources";
/// Most children [`WIDE_NODE`] gets (at 40,000 entries and more).
pub const WIDE_CHILDREN: usize = 10_000;
/// Depth of the Thunderbolt daisy chain (at 1,280 entries and more).
pub const DEEP_CHAIN: usize = 64;

const SERVICE: &str = "IOService";
const DEVICE_TREE: &str = "IODeviceTree";

/// A registry of exactly `entries` entries (every entry sits in `IOService` or `IODeviceTree`),
/// the same for the same `seed`.
pub fn synthetic(entries: usize, seed: u64) -> Registry {
    let mut b = Builder::new(entries, seed);
    b.build();
    let mut registry = b.registry;
    registry.report.origin = Origin::Built;
    registry
}

/// The kinds of entry the generator builds; each has a class chain, names, properties and
/// the kinds of children it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Acpi,
    PciPort,
    PciBridge,
    PciDevice,
    UsbController,
    UsbPort,
    UsbDevice,
    UsbInterface,
    HidDevice,
    HidDriver,
    NvmeController,
    BlockDevice,
    BlockDriver,
    Media,
    BsdClient,
    NetController,
    NetInterface,
    Driver,
    UserClient,
    Resource,
    TbSwitch,
    TbPort,
}

impl Kind {
    /// Children to expand in the breadth-first fill: (kinds to pick from, fewest, most).
    fn children(self) -> (&'static [Kind], u64, u64) {
        use Kind::*;
        match self {
            PciPort => (&[PciBridge], 1, 1),
            PciBridge => (&[PciDevice, PciDevice, PciDevice, PciPort], 1, 4),
            PciDevice => (
                &[UsbController, NvmeController, NetController, Driver],
                1,
                1,
            ),
            UsbController => (&[UsbPort], 2, 10),
            UsbPort => (&[UsbDevice], 0, 1),
            UsbDevice => (&[UsbInterface], 1, 3),
            UsbInterface => (&[HidDevice, Driver], 0, 1),
            HidDevice => (&[HidDriver, UserClient], 1, 3),
            HidDriver => (&[UserClient], 0, 2),
            NvmeController => (&[BlockDevice], 1, 1),
            BlockDevice => (&[BlockDriver], 1, 1),
            BlockDriver => (&[Media], 1, 1),
            // Partitions below a whole disk; fewer than one on average, so that disks do not
            // crowd out the other stacks.
            Media => (&[Media, BsdClient], 1, 2),
            NetController => (&[NetInterface, UserClient], 1, 2),
            NetInterface => (&[UserClient], 0, 1),
            Acpi => (&[Driver], 0, 1),
            Driver => (&[UserClient], 0, 1),
            BsdClient | UserClient | Resource | TbSwitch | TbPort => (&[], 0, 0),
        }
    }

    /// Whether the kind also sits in the `IODeviceTree` plane.
    fn in_device_tree(self) -> bool {
        matches!(self, Kind::Acpi | Kind::PciPort | Kind::PciDevice)
    }
}

struct Builder {
    registry: Registry,
    rng: Rng,
    /// Entries asked for, and still to add.
    total: usize,
    remaining: usize,
    next_registry_id: u64,
    /// Class name → the interned class (its chain from the catalogue).
    classes: HashMap<&'static str, ClassId>,
    /// Per entry: whether it is in `IODeviceTree`.
    in_dt: Vec<bool>,
    /// Per entry: its `IOService` parent (for finding device-tree ancestors).
    service_parent: Vec<Option<EntryId>>,
    counter: u64,
    /// The catalogue's user-client classes and USB products.
    user_clients: Vec<&'static str>,
    usb_products: Vec<UsbProduct>,
}

/// A generated entry before it is added: its class and name.
struct Spec {
    kind: Option<Kind>,
    class: &'static str,
    name: String,
    location: Option<String>,
    service: bool,
    properties: Properties,
}

impl Builder {
    fn new(entries: usize, seed: u64) -> Self {
        Builder {
            registry: Registry::new(),
            rng: Rng::new(seed),
            total: entries,
            remaining: entries,
            next_registry_id: 0x1_0000_0100,
            classes: HashMap::new(),
            in_dt: Vec::with_capacity(entries),
            service_parent: Vec::with_capacity(entries),
            counter: 0,
            user_clients: catalogue::user_client_classes(),
            usb_products: catalogue::usb_products().collect(),
        }
    }

    fn build(&mut self) {
        let Some(root) = self.add_root() else { return };
        let spec = self.platform_spec();
        let Some(platform) = self.add(Some(root), spec) else {
            return;
        };
        let spec = self.acpi_expert_spec();
        let acpi_pe = self.add(Some(platform), spec);
        let spec = self.resources_spec();
        let resources = self.add(Some(platform), spec);
        let spec = self.pci_root_spec();
        let pci0 = acpi_pe.and_then(|pe| self.add(Some(pe), spec));
        self.device_tree_only(root);
        if let Some(res) = resources {
            let wide = (self.total / 4).min(WIDE_CHILDREN);
            self.fill_children(res, Kind::Resource, wide);
        }
        if let Some(pci0) = pci0 {
            let depth = (self.total / 20).min(DEEP_CHAIN);
            self.deep_chain(pci0, depth);
        }
        let (Some(pe), Some(pci0)) = (acpi_pe, pci0) else {
            return;
        };
        let acpi = (self.total / 10).min(60);
        self.fill_children(pe, Kind::Acpi, acpi);
        self.breadth_first(pci0);
    }

    /// Grows the PCI hierarchy below `pci0` breadth-first until the budget is spent; when a
    /// round of ports runs out of descendants, another port is added.
    fn breadth_first(&mut self, pci0: EntryId) {
        let mut queue = std::collections::VecDeque::new();
        while self.remaining > 0 {
            if queue.is_empty() {
                let kind = if self.rng.one_in(3) {
                    Kind::PciDevice
                } else {
                    Kind::PciPort
                };
                let spec = self.spec(kind);
                if let Some(id) = self.add(Some(pci0), spec) {
                    queue.push_back((id, kind));
                }
                continue;
            }
            let Some((parent, kind)) = queue.pop_front() else {
                break;
            };
            let (kinds, lo, hi) = kind.children();
            if kinds.is_empty() {
                continue;
            }
            let n = self.rng.range(lo, hi);
            for _ in 0..n {
                let child = *self.rng.pick(kinds);
                let spec = self.spec(child);
                match self.add(Some(parent), spec) {
                    Some(id) => queue.push_back((id, child)),
                    None => return,
                }
            }
        }
    }

    fn fill_children(&mut self, parent: EntryId, kind: Kind, n: usize) {
        for _ in 0..n {
            let spec = self.spec(kind);
            if self.add(Some(parent), spec).is_none() {
                return;
            }
        }
    }

    /// Thunderbolt switches and ports alternating, `depth` levels below `parent`.
    fn deep_chain(&mut self, parent: EntryId, depth: usize) {
        let mut cur = parent;
        for level in 0..depth {
            let kind = if level % 2 == 0 {
                Kind::TbSwitch
            } else {
                Kind::TbPort
            };
            let spec = self.spec(kind);
            match self.add(Some(cur), spec) {
                Some(id) => cur = id,
                None => return,
            }
        }
    }

    /// Entries only the device tree has (`options`, `chosen`, `cpus` …): plain registry entries.
    fn device_tree_only(&mut self, root: EntryId) {
        let n = (self.total / 50).min(200);
        for i in 0..n {
            let (name, location) = match i {
                0 => ("options".to_string(), None),
                1 => ("chosen".to_string(), None),
                2 => ("memory-map".to_string(), None),
                3 => ("efi".to_string(), None),
                _ => ("cpu".to_string(), Some(format!("{}", i - 4))),
            };
            let mut properties = vec![
                (Text::from("name"), data_str(&name)),
                (
                    Text::from("device_type"),
                    data_str(if i >= 4 { "cpu" } else { &name }),
                ),
            ];
            if i >= 4 {
                let freq = 2_400_000_000 + self.rng.below(16) * 100_000_000;
                properties.push((Text::from("clock-frequency"), data_u32(freq as u32)));
                properties.push((Text::from("cpu-id"), Value::u64(i as u64 - 4)));
            }
            let spec = Spec {
                kind: None,
                class: "IORegistryEntry",
                name,
                location,
                service: false,
                properties,
            };
            let Some(id) = self.add_detached(spec) else {
                return;
            };
            self.registry.plane_mut(DEVICE_TREE).add_child(root, id);
            self.in_dt[id.index()] = true;
        }
    }

    fn add_root(&mut self) -> Option<EntryId> {
        let properties = self.root_properties();
        let spec = Spec {
            kind: None,
            class: "IORegistryEntry",
            name: "Root".into(),
            location: None,
            service: false,
            properties,
        };
        let id = self.add_detached(spec)?;
        self.registry.entry_mut(id).is_root = true;
        self.registry.entry_mut(id).retain = Some(22);
        self.registry.plane_mut(SERVICE).add_root(id);
        self.registry.plane_mut(DEVICE_TREE).add_root(id);
        self.in_dt[id.index()] = true;
        Some(id)
    }

    /// Adds an entry under `parent` in `IOService` (and in `IODeviceTree` when its kind is there).
    fn add(&mut self, parent: Option<EntryId>, spec: Spec) -> Option<EntryId> {
        let kind = spec.kind;
        let id = self.add_detached(spec)?;
        if let Some(p) = parent {
            self.registry.plane_mut(SERVICE).add_child(p, id);
            self.service_parent[id.index()] = Some(p);
        }
        let dt = kind.is_some_and(Kind::in_device_tree) || parent.is_none();
        if dt {
            self.join_device_tree(id, kind);
        }
        Some(id)
    }

    /// Puts `id` under its nearest `IOService` ancestor that is in the device tree; PCI devices
    /// there are sometimes named by vendor and device ID instead of their ACPI name.
    fn join_device_tree(&mut self, id: EntryId, kind: Option<Kind>) {
        let mut anchor = self.service_parent[id.index()];
        while let Some(a) = anchor {
            if self.in_dt[a.index()] {
                break;
            }
            anchor = self.service_parent[a.index()];
        }
        let Some(anchor) = anchor else { return };
        self.registry.plane_mut(DEVICE_TREE).add_child(anchor, id);
        self.in_dt[id.index()] = true;
        if kind == Some(Kind::PciDevice) && self.rng.one_in(3) {
            let f = self.pci_function();
            let name = Text::from(format!("pci{:x},{:x}", f.vendor, f.device));
            self.registry
                .plane_mut(DEVICE_TREE)
                .set_name_override(id, name);
        }
    }

    /// Adds an entry to the arena (no plane yet), spending one unit of the budget.
    fn add_detached(&mut self, spec: Spec) -> Option<EntryId> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let class = self.class(spec.class);
        let entry = Entry {
            id: Some(self.registry_id()),
            name: Text::from(spec.name),
            location: spec.location.map(Text::from),
            class: Some(class),
            retain: Some(self.retain()),
            state: if spec.service {
                self.service_state()
            } else {
                ServiceState::NotService
            },
            properties: spec.properties.into(),
            is_root: false,
            synthetic: false,
        };
        let id = self.registry.add_entry(entry);
        self.in_dt.push(false);
        self.service_parent.push(None);
        Some(id)
    }

    fn class(&mut self, class: &'static str) -> ClassId {
        if let Some(&id) = self.classes.get(class) {
            return id;
        }
        let id = self
            .registry
            .classes
            .intern_chain(catalogue::class_chain(class))
            .unwrap_or_else(|| self.registry.classes.intern("IORegistryEntry"));
        self.classes.insert(class, id);
        id
    }

    /// IDs increase in creation order with occasional gaps (entries that came and went).
    fn registry_id(&mut self) -> u64 {
        let id = self.next_registry_id;
        self.next_registry_id += if self.rng.one_in(8) {
            self.rng.range(2, 40)
        } else {
            1
        };
        id
    }

    /// Mostly 5–15, sometimes in the hundreds (busy providers).
    fn retain(&mut self) -> u32 {
        let base = self.rng.range(5, 15);
        let extra = if self.rng.one_in(12) {
            self.rng.below(300)
        } else {
            0
        };
        (base + extra) as u32
    }

    /// Mostly `registered, matched, active`; some unregistered, a few inactive or busy.
    fn service_state(&mut self) -> ServiceState {
        let mut state = ServiceInfo::REGISTERED | ServiceInfo::MATCHED;
        if self.rng.one_in(20) {
            state = 0;
        } else if self.rng.one_in(100) {
            state |= ServiceInfo::INACTIVE;
        }
        let busy = u32::from(self.rng.one_in(200));
        let ms = match self.rng.below(4) {
            0 | 1 => 0,
            2 => self.rng.below(100),
            _ => self.rng.below(25_000),
        };
        ServiceState::Service(ServiceInfo {
            state,
            busy: Some(busy),
            busy_time_ns: Some(ms * 1_000_000),
        })
    }

    fn unique(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }
}

// --- Specs per kind --------------------------------------------------------------------------

impl Builder {
    fn spec(&mut self, kind: Kind) -> Spec {
        use Kind::*;
        let mut spec = match kind {
            Acpi => self.acpi_spec(),
            PciPort => self.pci_spec(true),
            PciDevice => self.pci_spec(false),
            PciBridge => self.driver_spec("IOPCI2PCIBridge", "IOPP"),
            UsbController => self.usb_controller_spec(),
            UsbPort => self.usb_port_spec(),
            UsbDevice => self.usb_device_spec(),
            UsbInterface => self.usb_interface_spec(),
            HidDevice => self.hid_device_spec(),
            HidDriver => self.hid_driver_spec(),
            NvmeController => self.driver_spec("IONVMeController", "IONVMeController"),
            BlockDevice => self.driver_spec("IONVMeBlockStorageDevice", "IONVMeBlockStorageDevice"),
            BlockDriver => self.driver_spec("IOBlockStorageDriver", "IOBlockStorageDriver"),
            Media => self.media_spec(),
            BsdClient => self.driver_spec("IOMediaBSDClient", "IOMediaBSDClient"),
            NetController => self.net_controller_spec(),
            NetInterface => self.net_interface_spec(),
            Driver => self.named_driver_spec(),
            UserClient => self.user_client_spec(),
            Resource => self.resource_spec(),
            TbSwitch => self.tb_spec(true),
            TbPort => self.tb_spec(false),
        };
        spec.kind = Some(kind);
        spec
    }

    fn service(
        class: &'static str,
        name: impl Into<String>,
        location: Option<String>,
        properties: Properties,
    ) -> Spec {
        Spec {
            kind: None,
            class,
            name: name.into(),
            location,
            service: true,
            properties,
        }
    }

    fn platform_spec(&mut self) -> Spec {
        let model = *self
            .rng
            .pick(&["MacBookPro15,2", "Macmini8,1", "iMac20,1", "MacPro7,1"]);
        let mut p = vec![
            prop(
                "IOPlatformSystemSleepPolicy",
                Value::Data(self.rng.bytes(160).into()),
            ),
            prop("compatible", data_str(model)),
            prop("version", data_str("1.0")),
            prop("board-id", data_str("Mac-827FB448E656EC26")),
            prop(
                "IOInterruptSpecifiers",
                Value::Array(vec![Value::Data(self.rng.bytes(8).into())]),
            ),
            prop(
                "IOInterruptControllers",
                Value::Array(vec![Value::string("io-apic-0")]),
            ),
            prop(
                "IOPolledInterface",
                Value::string("SMCPolledInterface is not serializable"),
            ),
            prop("clock-frequency", data_u32(0x17d7_8400)),
            prop("manufacturer", data_str("Apple Inc.")),
            prop("IOPlatformUUID", Value::String(self.uuid())),
            prop("IOPlatformSerialNumber", Value::string("C02YRAHMLVDC")),
            prop("system-type", Value::Data(Box::new([2]))),
            prop("model", data_str(model)),
            prop("name", data_str("/")),
        ];
        p.push(prop(
            "IOBusyInterest",
            Value::string("IOCommand is not serializable"),
        ));
        Self::service("IOPlatformExpertDevice", model, None, p)
    }

    fn acpi_expert_spec(&mut self) -> Spec {
        let mut p = self.matched("AppleACPIPlatformExpert");
        p.push(prop(
            "IOProviderClass",
            Value::string("IOPlatformExpertDevice"),
        ));
        p.push(prop("IONameMatch", Value::string("ACPI")));
        p.push(prop("acpi-mmcfg-seg0", Value::u64(3_758_096_384)));
        p.push(prop(
            "IOPlatformMaxBusDelay",
            Value::Array(vec![Value::u64(u64::MAX), Value::u64(0)]),
        ));
        p.push(prop(
            "Platform Memory Ranges",
            Value::Array(vec![Value::u64(0), Value::u64(4_294_967_295)]),
        ));
        p.push(prop(
            "ACPI Statistics",
            dict(vec![
                ("GpeLastDispatched", Value::u64(self.rng.below(200))),
                ("MethodCount", Value::u64(self.rng.range(1000, 2000))),
                ("SciCount", Value::u64(self.rng.below(10_000))),
                ("FixedEventCount", Value::u64(0)),
            ]),
        ));
        Self::service(
            "AppleACPIPlatformExpert",
            "AppleACPIPlatformExpert",
            None,
            p,
        )
    }

    fn resources_spec(&mut self) -> Spec {
        let p = vec![
            prop("IOKit", Value::string("IOService")),
            prop("IOBSD", Value::string("IOService")),
            prop("IOConsoleUsers", Value::string("IOService")),
            prop("IOTimeSyncDaemonService", Value::string("IOService")),
            prop(
                "IOResourceMatched",
                Value::Array(vec![
                    Value::string("IOBSD"),
                    Value::string("IOKit"),
                    Value::string("IONVRAM"),
                ]),
            ),
        ];
        Self::service("IOResources", WIDE_NODE, None, p)
    }

    fn pci_root_spec(&mut self) -> Spec {
        let mut p = self.acpi_properties("PNP0A08");
        p.push(prop("IOPCIConfigured", Value::Bool(true)));
        p.push(prop("IOPCIMSIMode", Value::Bool(true)));
        Self::service("IOACPIPlatformDevice", "PCI0", Some("0".into()), p)
    }

    fn acpi_spec(&mut self) -> Spec {
        let (hid, name, _) = *self.rng.pick(ACPI_DEVICES);
        let p = self.acpi_properties(hid);
        let location = self
            .rng
            .one_in(3)
            .then(|| format!("{:x}", self.rng.below(0x20)));
        Self::service("IOACPIPlatformDevice", name, location, p)
    }

    /// A PCI function of the catalogue (on the root bus or behind a root port).
    fn pci_function(&mut self) -> PciSpec {
        let n = PCI_DEVICES.len() + ROOT_PORTS.len();
        let i = self.rng.below(n as u64) as usize;
        PCI_DEVICES
            .get(i)
            .copied()
            .unwrap_or_else(|| ROOT_PORTS[i - PCI_DEVICES.len()].1)
    }

    fn acpi_properties(&mut self, hid: &str) -> Properties {
        let mut p = vec![
            prop("name", data_str(hid)),
            prop("compatible", data_str(hid)),
            prop("_STA", Value::u64(15)),
            prop("_ADR", Value::u64(self.rng.below(0x20) << 16)),
        ];
        if self.rng.one_in(2) {
            p.push(prop("_UID", Value::string(&self.rng.below(4).to_string())));
        }
        if self.rng.one_in(3) {
            p.push(prop(
                "IOInterruptSpecifiers",
                Value::Array(vec![Value::Data(self.rng.bytes(8).into())]),
            ));
            p.push(prop(
                "IOInterruptControllers",
                Value::Array(vec![Value::string("io-apic-0")]),
            ));
        }
        p
    }

    fn pci_spec(&mut self, port: bool) -> Spec {
        let function = self.pci_function();
        let name = if port {
            format!("RP{:02}", self.rng.range(1, 24))
        } else {
            function.name.to_string()
        };
        let dev = self.rng.below(0x20);
        let func = self.rng.below(8);
        let location = if func == 0 {
            format!("{dev:x}")
        } else {
            format!("{dev:x},{func:x}")
        };
        let (vendor, device) = (u32::from(function.vendor), u32::from(function.device));
        let cells = self.rng.range(1, 3) as usize;
        let mut p = vec![
            prop("assigned-addresses", Value::Data(self.rng.bytes(20).into())),
            prop("vendor-id", data_u32(vendor)),
            prop("device-id", data_u32(device)),
            prop("revision-id", data_u32(self.rng.below(16) as u32)),
            prop("class-code", data_u32(function.class)),
            prop("subsystem-id", data_u32(self.rng.below(0x10000) as u32)),
            prop(
                "compatible",
                Value::Data(
                    format!(
                        "pci{vendor:x},{device:x}\0pciclass,{:06x}\0",
                        function.class
                    )
                    .into_bytes()
                    .into(),
                ),
            ),
            prop("reg", Value::Data(self.rng.bytes(20 * cells).into())),
            prop("name", data_str(if port { "pci-bridge" } else { "pci" })),
            prop(
                "IOName",
                Value::string(if port { "pci-bridge" } else { "pci" }),
            ),
            prop("pcidebug", Value::string(&format!("0:{dev}:{func}"))),
            prop(
                "IOPCIExpressLinkStatus",
                Value::u64(self.rng.range(0x1001, 0x7044)),
            ),
            prop(
                "IOPCIExpressLinkCapabilities",
                Value::Integer(Integer::unsigned(self.rng.below(1 << 32), 32)),
            ),
            prop("IOPCIResourced", Value::Bool(self.rng.one_in(2))),
            prop("IOPowerManagement", self.power_management()),
            prop(
                "acpi-path",
                Value::string(&format!("IOACPIPlane:/_SB/PCI0@0/{name}@{:x}", dev << 16)),
            ),
        ];
        if !port {
            p.push(prop("IODeviceMemory", self.device_memory()));
        }
        if self.rng.one_in(4) {
            p.push(prop("AAPL,slot-name", data_str("Built In")));
        }
        Self::service("IOPCIDevice", name, Some(location), p)
    }

    /// `IODeviceMemory`: an array of arrays of `{"address"=…,"length"=…}` (nested containers).
    fn device_memory(&mut self) -> Value {
        let ranges = (0..self.rng.range(1, 3))
            .map(|_| {
                Value::Array(vec![dict(vec![
                    (
                        "address",
                        Value::u64(0xc000_0000 + (self.rng.below(0x4000) << 16)),
                    ),
                    ("length", Value::u64(1 << self.rng.range(12, 28))),
                ])])
            })
            .collect();
        Value::Array(ranges)
    }

    fn power_management(&mut self) -> Value {
        let max = self.rng.range(1, 4);
        dict(vec![
            ("DevicePowerState", Value::u64(max)),
            ("CurrentPowerState", Value::u64(max)),
            (
                "CapabilityFlags",
                Value::u64(if max > 1 { 32768 } else { 2 }),
            ),
            ("MaxPowerState", Value::u64(max)),
            ("DriverPowerState", Value::u64(0)),
        ])
    }

    /// What every matched driver carries from its personality.
    fn matched(&mut self, class: &str) -> Properties {
        vec![
            prop("IOClass", Value::string(class)),
            prop("CFBundleIdentifier", Value::string(&bundle_for(class))),
            prop("IOProbeScore", Value::u64(self.rng.below(5) * 1000)),
            prop("IOMatchCategory", Value::string("IODefaultMatchCategory")),
            prop("IOPowerManagement", self.power_management()),
        ]
    }

    fn driver_spec(&mut self, class: &'static str, name: &str) -> Spec {
        let mut p = self.matched(class);
        p.push(prop(
            "IOGeneralInterest",
            Value::string("IOCommand is not serializable"),
        ));
        Self::service(class, name, None, p)
    }

    fn named_driver_spec(&mut self) -> Spec {
        let name = *self.rng.pick(DRIVERS);
        let mut p = self.matched(name);
        if name == "AppleSMC" {
            p.push(prop("smc-version", Value::string("2.45f0")));
            p.push(prop("FanCount", Value::u64(2)));
            // A signed 32-bit temperature offset: prints as 4294967284 in ioreg text.
            p.push(prop("TempOffset", Value::Integer(Integer::signed(-12, 32))));
        }
        if self.rng.one_in(3) {
            p.push(prop(
                "IOReportLegend",
                Value::Array(vec![dict(vec![
                    (
                        "IOReportGroupName",
                        Value::string("Interrupt Statistics (by index)"),
                    ),
                    (
                        "IOReportChannels",
                        Value::Array(vec![Value::Array(vec![
                            Value::u64(5_291_294_645_182_070_784),
                            Value::Integer(Integer::signed(-4_294_967_296, 64)),
                            Value::string("               First Level Interrupt Handler Count"),
                        ])]),
                    ),
                    (
                        "IOReportChannelInfo",
                        dict(vec![("IOReportChannelUnit", Value::u64(0))]),
                    ),
                ])]),
            ));
        }
        Self::service(name, name, None, p)
    }

    fn usb_controller_spec(&mut self) -> Spec {
        let mut p = self.matched("AppleUSBXHCIPPT");
        p.push(prop("kUSBSleepPortCurrentLimit", Value::u64(1500)));
        p.push(prop("kUSBWakePortCurrentLimit", Value::u64(1500)));
        p.push(prop("UsbRTD3Supported", Value::Bool(true)));
        p.push(prop("64bit", Value::Bool(true)));
        p.push(prop(
            "IOCFPlugInTypes",
            dict(vec![(
                "9dc7b780-9ec0-11d4-a54f-000a27052861",
                Value::string("IOUSBHostFamily.kext/Contents/PlugIns/IOUSBLib.bundle"),
            )]),
        ));
        Self::service("AppleUSBXHCIPPT", "AppleUSBXHCIPPT", None, p)
    }

    fn usb_port_spec(&mut self) -> Spec {
        let n = self.rng.range(1, 15);
        let p = vec![
            prop("port", data_u32(n as u32)),
            prop("UsbCPortNumber", Value::u64(self.rng.range(1, 4))),
            prop("usb-port-type", Value::u64(self.rng.below(10))),
            prop(
                "PortType",
                Value::Integer(Integer::unsigned(self.rng.below(4), 32)),
            ),
            prop(
                "kUSBBusCurrentPoolID",
                Value::u64(self.rng.range(1 << 32, 1 << 33)),
            ),
            prop("UsbPowerSinkAllocation", Value::u64(0)),
            prop("comment", Value::string("Type-C port")),
        ];
        Self::service(
            "AppleUSB30XHCIPort",
            format!("HS{n:02}"),
            Some(format!("{:x}", 0x1410_0000 + n * 0x10_0000)),
            p,
        )
    }

    fn usb_device_spec(&mut self) -> Spec {
        let UsbProduct {
            name: product,
            vendor,
            id_vendor,
            id_product,
        } = *self.rng.pick(&self.usb_products);
        let vendor = Text::from_bytes(vendor);
        let location_id = 0x1410_0000 + (self.rng.below(0x100) << 12);
        let p = vec![
            prop("sessionID", Value::u64(self.rng.range(1 << 40, 1 << 60))),
            prop("idProduct", Value::u64(u64::from(id_product))),
            prop("idVendor", Value::u64(u64::from(id_vendor))),
            prop("bcdDevice", Value::u64(self.rng.below(0x1000))),
            prop("USB Product Name", Value::string(product)),
            prop("USB Vendor Name", Value::String(vendor.clone())),
            prop("kUSBProductString", Value::string(product)),
            prop("kUSBVendorString", Value::String(vendor)),
            prop("USB Serial Number", Value::String(self.serial())),
            prop(
                "locationID",
                Value::Integer(Integer::unsigned(location_id, 32)),
            ),
            prop("Device Speed", Value::u64(self.rng.below(4))),
            prop("USB Address", Value::u64(self.rng.range(1, 127))),
            prop("kUSBCurrentConfiguration", Value::u64(1)),
            prop("Bus Power Available", Value::u64(250)),
            prop("IOCFPlugInTypes", self.plugin_types()),
            prop(
                "kUSBPreferredConfiguration",
                Value::Integer(Integer::unsigned(1, 8)),
            ),
            prop("IOPowerManagement", self.power_management()),
        ];
        Self::service(
            "IOUSBHostDevice",
            product,
            Some(format!("{location_id:x}")),
            p,
        )
    }

    fn plugin_types(&mut self) -> Value {
        dict(vec![(
            "9dc7b780-9ec0-11d4-a54f-000a27052861",
            Value::string("IOUSBHostFamily.kext/Contents/PlugIns/IOUSBLib.bundle"),
        )])
    }

    fn usb_interface_spec(&mut self) -> Spec {
        let n = self.rng.below(4);
        let p = vec![
            prop("bInterfaceNumber", Value::u64(n)),
            prop(
                "bInterfaceClass",
                Value::u64(*self.rng.pick(&[3u64, 8, 9, 14, 255])),
            ),
            prop("bInterfaceSubClass", Value::u64(self.rng.below(2))),
            prop("bInterfaceProtocol", Value::u64(self.rng.below(3))),
            prop("bAlternateSetting", Value::u64(0)),
            prop("bConfigurationValue", Value::u64(1)),
            prop("bNumEndpoints", Value::u64(self.rng.range(1, 3))),
            prop("IOCFPlugInTypes", self.plugin_types()),
        ];
        Self::service(
            "IOUSBHostInterface",
            "IOUSBHostInterface",
            Some(format!("{n}")),
            p,
        )
    }

    fn hid_device_spec(&mut self) -> Spec {
        let mut p = self.matched("IOUSBHostHIDDevice");
        let pairs = (0..self.rng.range(1, 4))
            .map(|_| {
                dict(vec![
                    (
                        "DeviceUsagePage",
                        Value::u64(*self.rng.pick(&[1u64, 12, 13, 65280])),
                    ),
                    ("DeviceUsage", Value::u64(self.rng.range(1, 8))),
                ])
            })
            .collect();
        p.push(prop("DeviceUsagePairs", Value::Array(pairs)));
        let descriptor_len = self.rng.range(40, 400) as usize;
        p.push(prop(
            "ReportDescriptor",
            Value::Data(self.rng.bytes(descriptor_len).into()),
        ));
        p.push(prop(
            "MaxInputReportSize",
            Value::u64(self.rng.range(8, 64)),
        ));
        p.push(prop("ReportInterval", Value::u64(8000)));
        p.push(prop("Built-In", Value::Bool(self.rng.one_in(2))));
        p.push(prop("Transport", Value::string("USB")));
        p.push(prop("PrimaryUsagePage", Value::u64(1)));
        Self::service(
            "IOUSBHostHIDDevice",
            "IOUSBHostHIDDevice",
            Some(format!("{:x}", self.rng.below(1 << 32))),
            p,
        )
    }

    fn hid_driver_spec(&mut self) -> Spec {
        let mut p = self.matched("IOHIDEventDriver");
        p.push(prop(
            "HIDEventServiceProperties",
            dict(vec![
                ("HIDPointerAcceleration", Value::u64(45056)),
                ("HIDScrollAcceleration", Value::u64(20480)),
                ("HIDKeyboardModifierMappingPairs", Value::Array(vec![])),
                (
                    "HIDMouseScrollScaling",
                    Value::Integer(Integer::signed(-1, 32)),
                ),
            ]),
        ));
        // OSSet: `ioreg` prints it as `[1,2,4]`; archives turn it into an array.
        p.push(prop(
            "SupportedModifiers",
            Value::Set(vec![Value::u64(1), Value::u64(2), Value::u64(4)]),
        ));
        p.push(prop(
            "AbsoluteAxisOffset",
            Value::Integer(Integer::signed(-512, 32)),
        ));
        p.push(prop("LastEventType", Value::u64(self.rng.below(30))));
        Self::service("IOHIDEventDriver", "IOHIDEventDriver", None, p)
    }

    fn media_spec(&mut self) -> Spec {
        let unit = self.rng.below(8);
        let slice = self.rng.range(1, 6);
        let size = self.rng.range(1 << 20, 1 << 41) & !0xfff;
        let content = *self.rng.pick(MEDIA_CONTENT);
        let mut p = vec![
            prop("Content", Value::string(content)),
            prop("UUID", Value::String(self.uuid())),
            prop("Size", Value::u64(size)),
            prop("Preferred Block Size", Value::u64(4096)),
            prop("Whole", Value::Bool(self.rng.one_in(3))),
            prop("Writable", Value::Bool(true)),
            prop("Removable", Value::Bool(false)),
            prop("Ejectable", Value::Bool(false)),
            prop("Leaf", Value::Bool(self.rng.one_in(2))),
            prop("BSD Name", Value::string(&format!("disk{unit}s{slice}"))),
            prop("BSD Major", Value::u64(1)),
            prop("BSD Minor", Value::u64(unit * 16 + slice)),
            prop("BSD Unit", Value::u64(unit)),
            prop("Partition ID", Value::u64(slice)),
            prop("Base", Value::u64(self.rng.below(1 << 30) * 4096)),
        ];
        p.push(prop("Statistics", self.statistics()));
        Self::service(
            "IOMedia",
            format!("disk{unit}s{slice}"),
            Some(format!("{slice}")),
            p,
        )
    }

    /// Block-storage statistics: big counters and nanosecond totals.
    fn statistics(&mut self) -> Value {
        dict(vec![
            ("Operations (Write)", Value::u64(self.rng.below(1 << 24))),
            ("Latency Time (Write)", Value::u64(0)),
            ("Bytes (Read)", Value::u64(self.rng.below(1 << 40))),
            ("Errors (Write)", Value::u64(0)),
            ("Total Time (Read)", Value::u64(self.rng.below(1 << 44))),
            ("Latency Time (Read)", Value::u64(0)),
            ("Retries (Read)", Value::u64(0)),
            ("Errors (Read)", Value::u64(0)),
            ("Total Time (Write)", Value::u64(self.rng.below(1 << 44))),
            ("Bytes (Write)", Value::u64(self.rng.below(1 << 40))),
            ("Operations (Read)", Value::u64(self.rng.below(1 << 24))),
            ("Retries (Write)", Value::u64(0)),
        ])
    }

    fn net_controller_spec(&mut self) -> Spec {
        let mut p = self.matched("AppleBCM5701Ethernet");
        p.push(prop("IOMACAddress", Value::Data(self.rng.bytes(6).into())));
        p.push(prop("IOMaxPacketSize", Value::u64(1518)));
        p.push(prop("IOMinPacketSize", Value::u64(64)));
        p.push(prop("IOLinkSpeed", Value::u64(1_000_000_000)));
        p.push(prop("IOLinkStatus", Value::u64(3)));
        p.push(prop("IOVendor", Value::string("Broadcom")));
        p.push(prop("IOModel", Value::string("BCM57766-A1")));
        p.push(prop(
            "IOPacketFilters",
            dict(vec![
                ("IONetworkFilterGroup", Value::u64(17)),
                ("IOEthernetWakeOnLANFilterGroup", Value::u64(1)),
            ]),
        ));
        p.push(prop(
            "IOMediumDictionary",
            dict(vec![(
                "00100026",
                dict(vec![
                    ("Index", Value::u64(0)),
                    ("Type", Value::u64(0x0010_0026)),
                    ("Speed", Value::u64(1_000_000_000)),
                    ("Flags", Value::u64(0)),
                ]),
            )]),
        ));
        Self::service("AppleBCM5701Ethernet", "AppleBCM5701Ethernet", None, p)
    }

    fn net_interface_spec(&mut self) -> Spec {
        let unit = self.rng.below(8);
        let p = vec![
            prop("BSD Name", Value::string(&format!("en{unit}"))),
            prop("IOInterfaceUnit", Value::u64(unit)),
            prop("IOInterfaceType", Value::u64(6)),
            prop("IOMaxTransferUnit", Value::u64(1500)),
            prop("IOMediaAddressLength", Value::u64(6)),
            prop("IOInterfaceFlags", Value::u64(0x8863)),
            prop("IOBuiltin", Value::Bool(true)),
            prop("IOPrimaryInterface", Value::Bool(unit == 0)),
            prop("IOInterfaceNamePrefix", Value::string("en")),
            prop("IONetworkData", self.network_data()),
        ];
        Self::service("IOEthernetInterface", format!("en{unit}"), None, p)
    }

    /// Three levels of nesting, with data, as network interfaces really carry.
    fn network_data(&mut self) -> Value {
        dict(vec![
            (
                "IOEthernetStatsKey",
                dict(vec![
                    ("Access Type", Value::u64(2)),
                    ("Size", Value::u64(228)),
                    ("Data", Value::Data(self.rng.bytes(24).into())),
                ]),
            ),
            (
                "IONetworkStatsKey",
                dict(vec![
                    ("Access Type", Value::u64(2)),
                    ("Size", Value::u64(20)),
                    ("Data", Value::Data(self.rng.bytes(20).into())),
                ]),
            ),
        ])
    }

    fn user_client_spec(&mut self) -> Spec {
        let class = *self.rng.pick(&self.user_clients);
        let (process, pid) = *self.rng.pick(PROCESSES);
        let mut p = vec![
            prop(
                "IOUserClientCreator",
                Value::string(&format!("pid {pid}, {process}")),
            ),
            prop("IOUserClientDefaultLocking", Value::Bool(true)),
            prop(
                "IOUserClientCrossEndianCompatible",
                Value::Bool(self.rng.one_in(2)),
            ),
        ];
        // Dates and reals only come from user-space plists, never from `ioreg` text; rare here.
        if self.rng.one_in(50) {
            let when = 6.0e8 + self.rng.below(1 << 26) as f64;
            p.push(prop("IOUserClientCreationDate", Value::Date(Date(when))));
            p.push(prop(
                "IOUserClientLoadAverage",
                Value::Real(self.rng.below(1000) as f64 / 64.0),
            ));
        }
        Self::service(class, class, None, p)
    }

    fn resource_spec(&mut self) -> Spec {
        // Kext services, and now and then a DriverKit server.
        let base = if self.rng.one_in(KEXT_SERVICES.len() as u64) {
            "IOUserServer"
        } else {
            *self.rng.pick(KEXT_SERVICES)
        };
        let n = self.unique();
        let name = if base == "IOUserServer" {
            format!(
                "IOUserServer(com.apple.driverkit.Synthetic{n}-0x{:x})",
                0x1_0000_0000 + n
            )
        } else if self.rng.one_in(2) {
            base.to_string()
        } else {
            format!("{base}{n}")
        };
        let mut p = self.matched(base);
        p.push(prop("IOProviderClass", Value::string("IOResources")));
        p.push(prop("IOResourceMatch", Value::string("IOKit")));
        if self.rng.one_in(4) {
            p.push(prop(
                "IOUserServerCDHash",
                Value::string(&hex(&self.rng.bytes(20))),
            ));
        }
        Self::service(base, name, None, p)
    }

    fn tb_spec(&mut self, switch: bool) -> Spec {
        let class = if switch {
            "IOThunderboltSwitchType3"
        } else {
            "IOThunderboltPort"
        };
        let location = if switch {
            format!("{}", self.rng.below(8))
        } else {
            format!("{}", self.rng.range(1, 7))
        };
        let p = vec![
            prop("UID", Value::u64(self.rng.next_u64())),
            prop("Route String", Value::u64(self.rng.below(1 << 48))),
            prop("Depth", Value::u64(self.rng.below(7))),
            prop("Device Vendor ID", Value::u64(1)),
            prop("Supported Link Width", Value::u64(self.rng.range(1, 2))),
            prop("Max Packet Size", Value::u64(256)),
        ];
        Self::service(class, class, Some(location), p)
    }

    fn root_properties(&mut self) -> Properties {
        let planes = [
            "IOPower",
            "IOService",
            "IODeviceTree",
            "IOUSB",
            "IOACPIPlane",
        ]
        .iter()
        .map(|p| (*p, Value::string(p)))
        .collect();
        let mut names: Vec<&str> = Vec::new();
        for c in DRIVERS
            .iter()
            .chain(KEXT_SERVICES)
            .chain(&self.user_clients)
        {
            if !names.contains(c) {
                names.push(c);
            }
        }
        let classes = names
            .into_iter()
            .map(|c| (c, Value::u64(self.rng.below(40))))
            .collect();
        let users = Value::Array(vec![dict(vec![
            ("kCGSSessionOnConsoleKey", Value::Bool(true)),
            ("kSCSecuritySessionID", Value::u64(100_006)),
            ("kCGSessionLongUserNameKey", Value::string("Archie Hancock")),
            ("kCGSSessionUserIDKey", Value::u64(501)),
            ("kCGSSessionIDKey", Value::u64(257)),
            ("kCGSSessionAuditIDKey", Value::u64(100_006)),
            ("kCGSSessionUserNameKey", Value::string("archie")),
        ])]);
        vec![
            prop(
                "IOKitBuildVersion",
                Value::string(
                    "Darwin Kernel Version 19.3.0: Thu Jan  9 20:58:23 PST 2020; root:xnu-6153.81.5~1/RELEASE_X86_64",
                ),
            ),
            prop("OS Build Version", Value::string("19D76")),
            prop("IOBluetoothActive", Value::Bool(true)),
            prop("OSKernelCPUSubtype", Value::u64(3)),
            prop("OSKernelCPUType", Value::u64(16_777_223)),
            prop("IORegistryPlanes", dict(planes)),
            prop("IOConsoleLocked", Value::Bool(false)),
            prop("IOConsoleUsers", users),
            prop(
                "IOKitDiagnostics",
                dict(vec![
                    ("Instance allocation", Value::u64(27_934_160)),
                    ("Container allocation", Value::u64(14_575_652)),
                    ("Pageable allocation", Value::u64(2_405_584_896)),
                    ("Classes", dict(classes)),
                ]),
            ),
        ]
    }

    fn uuid(&mut self) -> Text {
        let b = self.rng.bytes(16);
        Text::from(format!(
            "{}-{}-{}-{}-{}",
            hex_upper(&b[0..4]),
            hex_upper(&b[4..6]),
            hex_upper(&b[6..8]),
            hex_upper(&b[8..10]),
            hex_upper(&b[10..16])
        ))
    }

    fn serial(&mut self) -> Text {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        let s: String = (0..12)
            .map(|_| char::from(*self.rng.pick(ALPHABET)))
            .collect();
        Text::from(s)
    }
}

fn prop(key: &str, value: Value) -> (Text, Value) {
    (Text::from(key), value)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
