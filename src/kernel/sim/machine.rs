//! What the simulated Mac contains: an Intel MacBook Pro–like machine of about 1,500
//! registry entries over the IOService, IODeviceTree, IOPower and IOUSB planes.
//!
//! The content is this project's own, built from the catalogue (`catalogue.rs`: classes,
//! devices, processes) with the fixed-seed generator of `rng.rs`, so the machine, its
//! registry IDs and its counts are the same on every run.

use super::catalogue::{
    ACPI_DEVICES, BLUETOOTH_CONTROLLER, CLASSES, KEXT_SERVICES, PCI_DEVICES, PROCESSES, PciSpec,
    ROOT_PORTS, USB_DEVICES, USB2_HUB, UsbProduct, UsbSpec, bundle_for, class_name, data, data_str,
    data_u32, dict, i32v, props, s, u32v, u64v,
};
use super::objects::{DEVICE_TREE, ObjId, Objects, POWER, SERVICE, USB};
use super::rng::Rng;
use crate::registry::{Date, Integer, Text, Value};

pub use super::catalogue::HOTPLUG_DEVICE;

/// One USB port with a device that can be unplugged and replugged (`hotplug.rs`).
#[derive(Debug, Clone)]
pub(crate) struct DeviceSlot {
    pub spec: &'static UsbSpec,
    /// The port entry the device sits under (IOService plane).
    pub port_entry: ObjId,
    /// The controller (IOUSB plane parent, IOPower parent).
    pub controller: ObjId,
    /// The device object while plugged in.
    pub current: Option<ObjId>,
    /// Registry IDs of earlier instances (unplugged).
    pub history: Vec<u64>,
}

/// The machine's unpluggable devices.
#[derive(Debug, Clone, Default)]
pub(crate) struct Devices {
    pub slots: Vec<DeviceSlot>,
}

/// Builds entries: each new entry gets a deterministic base reference count and busy time.
struct Builder {
    objs: Objects,
    rng: Rng,
    /// IOPMrootDomain: power parents not yet in IOPower hang below it.
    pmroot: Option<ObjId>,
}

impl Builder {
    /// A builder adding to `objs` (taken; give them back with [`Builder::done`]).
    fn on(objs: &mut Objects, seed: u64) -> Self {
        Builder {
            objs: std::mem::take(objs),
            rng: Rng::from_state(seed),
            pmroot: None,
        }
    }

    fn done(self, objs: &mut Objects) {
        *objs = self.objs;
    }

    fn entry(&mut self, class: &'static str, name: &str, location: Option<&str>) -> ObjId {
        let extra = 2 + self.rng.below(9) as u32;
        let id = self.objs.add_entry(class, name, extra);
        let busy_ns = self.rng.below(40) * 1_000_000 + self.rng.below(1_000_000);
        let e = self.objs.e(id);
        e.location = location.map(str::to_owned);
        if let Some(svc) = e.service.as_mut() {
            svc.busy_time_ns = busy_ns;
        }
        id
    }

    /// A service attached under `parent` in IOService, with the driver properties IOKit adds.
    fn node(
        &mut self,
        parent: ObjId,
        class: &'static str,
        name: &str,
        location: Option<&str>,
    ) -> ObjId {
        let id = self.entry(class, name, location);
        self.objs.attach(SERVICE, parent, id);
        let provider = self.objs.entry(parent).map_or("IOService", |e| e.class);
        let score = self.rng.below(100_000) as i64;
        let e = self.objs.e(id);
        if e.service.is_some() {
            e.properties.extend(props(vec![
                ("IOClass", s(class)),
                ("IOProviderClass", s(provider)),
                ("IOProbeScore", i32v(score)),
                ("IOMatchCategory", s("IODefaultMatchCategory")),
                ("CFBundleIdentifier", s(&bundle_for(class))),
                ("IOGeneralInterest", s("IOCommand is not serializable")),
            ]));
        }
        id
    }

    /// A plain entry (no service) under `parent` in the device tree only.
    fn dt_entry(&mut self, parent: ObjId, name: &str) -> ObjId {
        let id = self.entry("IORegistryEntry", name, None);
        self.objs.attach(DEVICE_TREE, parent, id);
        id
    }

    /// A service under `provider` in IOService that the device tree has too, under `dt_parent`.
    fn dt_node(
        &mut self,
        dt_parent: ObjId,
        provider: ObjId,
        class: &'static str,
        name: &str,
        location: Option<&str>,
    ) -> ObjId {
        let id = self.node(provider, class, name, location);
        self.objs.attach(DEVICE_TREE, dt_parent, id);
        id
    }

    /// A USB device under its port in IOService, under the controller in IOUSB and IOPower,
    /// at the port's location.
    fn usb_device(&mut self, port: ObjId, controller: ObjId, name: &str) -> ObjId {
        let loc = self
            .objs
            .entry(port)
            .and_then(|e| e.location.clone())
            .unwrap_or_default();
        let dev = self.node(port, "IOUSBHostDevice", name, Some(&loc));
        self.objs.attach(USB, controller, dev);
        self.power(controller, dev);
        dev
    }

    fn add_props(&mut self, id: ObjId, kv: Vec<(&str, Value)>) {
        self.objs.e(id).properties.extend(props(kv));
    }

    /// Links `child` below `parent` in IOPower through a new IOPowerConnection.
    fn power(&mut self, parent: ObjId, child: ObjId) {
        if let Some(pm) = self.pmroot
            && parent != pm
            && self
                .objs
                .entry(parent)
                .is_some_and(|e| e.planes[POWER].parent.is_none())
        {
            self.power(pm, parent);
        }
        let conn = self.entry("IOPowerConnection", "IOPowerConnection", None);
        let state = self.rng.below(3) as i64;
        self.add_props(
            conn,
            vec![
                ("CurrentPowerState", i32v(2)),
                ("DesiredPowerState", i32v(2 - state.min(1))),
                ("PowerClass", i32v(state)),
                ("Unusual", Value::Bool(false)),
            ],
        );
        self.objs.attach(POWER, parent, conn);
        self.objs.attach(POWER, conn, child);
        let max = 2 + self.rng.below(2) as i64;
        self.add_props(
            child,
            vec![(
                "IOPowerManagement",
                dict(vec![
                    ("CurrentPowerState", i32v(max)),
                    ("DevicePowerState", i32v(max)),
                    ("MaxPowerState", i32v(max)),
                ]),
            )],
        );
    }

    /// User clients opened by client processes.
    fn user_clients(&mut self, parent: ObjId, class: &'static str, count: usize) {
        for i in 0..count {
            let (proc_name, pid) =
                PROCESSES[(i * 7 + self.rng.below(3) as usize) % PROCESSES.len()];
            let uc = self.node(parent, class, class, None);
            self.add_props(
                uc,
                vec![
                    ("IOUserClientCreator", s(&format!("pid {pid}, {proc_name}"))),
                    ("IOUserClientCrossEndianCompatible", Value::Bool(true)),
                ],
            );
        }
    }
}

/// Boots the machine: every entry, the root, and the USB devices that can be unplugged.
pub(crate) fn build() -> (Objects, ObjId, Devices) {
    let mut b = Builder::on(&mut Objects::new(CLASSES), 0x1050_c0de_2026_0001);
    let root = b.entry("IORegistryEntry", "Root", None);
    for plane in [SERVICE, DEVICE_TREE, POWER, USB] {
        b.objs.add_root(plane, root);
    }
    root_properties(&mut b, root);
    let pe = platform(&mut b, root);
    let (pmroot, resources) = services_root(&mut b, root);
    b.pmroot = Some(pmroot);
    let acpi = b.node(
        pe,
        "AppleACPIPlatformExpert",
        "AppleACPIPlatformExpert",
        None,
    );
    b.power(pmroot, acpi);
    cpus(&mut b, acpi, pe);
    acpi_devices(&mut b, acpi, pe, pmroot);
    let xhc = pci(&mut b, acpi, pe);
    resources_children(&mut b, resources);
    let devices = usb(&mut b, root, xhc);
    power_pass(&mut b, root, Some(root));
    (b.objs, root, devices)
}

/// Classes that do not join the power tree (no `PMinit`/`joinPMtree`).
fn unpowered(objs: &Objects, class: &str) -> bool {
    [
        "IOUserClient",
        "IOStorage",
        "IOMediaBSDClient",
        "IOAudioControl",
        "IOAudioStream",
        "IOPowerConnection",
        "AppleSMCKeysEndpoint",
        "IOPMrootDomain",
        "IOResources",
        "IOPlatformExpertDevice",
    ]
    .iter()
    .any(|c| objs.conforms(class, c))
}

/// Joins every power-managed service below `top` not placed yet to its nearest IOService
/// ancestor in the power tree (as drivers calling `joinPMtree` on their provider do);
/// `root` (at boot) is never a power parent, IOPMrootDomain stands in for it.
fn power_pass(b: &mut Builder, top: ObjId, root: Option<ObjId>) {
    for obj in b.objs.subtree(SERVICE, top) {
        let Some(e) = b.objs.entry(obj) else { continue };
        if e.service.is_none() || e.planes[POWER].member || unpowered(&b.objs, e.class) {
            continue;
        }
        let mut anc = e.planes[SERVICE].parent;
        while let Some(a) = anc {
            if b.objs.entry(a).is_some_and(|ae| ae.planes[POWER].member) {
                break;
            }
            anc = b.objs.entry(a).and_then(|ae| ae.planes[SERVICE].parent);
        }
        let parent = anc
            .filter(|&a| Some(a) != root)
            .or(b.pmroot)
            .expect("pmroot is set");
        b.power(parent, obj);
    }
}

fn root_properties(b: &mut Builder, root: ObjId) {
    let planes = ["IOService", "IODeviceTree", "IOPower", "IOUSB"];
    b.add_props(
        root,
        vec![
            (
                "IOKitBuildVersion",
                s("Darwin Kernel Version 23.6.0: ioscope simulated kernel; root:xnu-sim/RELEASE_X86_64"),
            ),
            ("IORegistryPlanes", dict(planes.iter().map(|p| (*p, s(p))).collect())),
            ("IOMaximumMappedIOByteCount", u64v(0x8000_0000)),
            (
                "IOConsoleUsers",
                Value::Array(vec![dict(vec![
                    ("kCGSSessionUserNameKey", s("demo")),
                    ("kCGSSessionUserIDKey", u32v(501)),
                    ("kCGSSessionOnConsoleKey", Value::Bool(true)),
                    ("kCGSSessionLoginDoneKey", Value::Bool(true)),
                ])]),
            ),
            (
                "IOKitDiagnostics",
                dict(vec![
                    ("Instance allocation", u64v(181_337)),
                    ("Container allocation", u64v(402_113)),
                    ("IOMalloc allocation", u64v(98_765_432)),
                    (
                        "Classes",
                        dict(vec![
                            ("IOService", u64v(1_204)),
                            ("IOUserClient", u64v(233)),
                            (
                                "IOUserIterator",
                                u64v(super::leaky::ITERATORS_AT_BOOT),
                            ),
                        ]),
                    ),
                ]),
            ),
        ],
    );
}

/// The platform expert device, and the device tree's plain entries (`efi`, `chosen`, …).
fn platform(b: &mut Builder, root: ObjId) -> ObjId {
    let pe = b.dt_node(root, root, "IOPlatformExpertDevice", "MacBookPro16,1", None);
    b.objs.e(pe).planes[DEVICE_TREE].name = Some("/".into());
    b.add_props(
        pe,
        vec![
            ("model", data(b"MacBookPro16,1\0")),
            ("compatible", data(b"MacBookPro16,1\0")),
            ("board-id", data(b"Mac-E1008331FDC96864\0")),
            ("IOPlatformSerialNumber", s("C02SIMULATED")),
            ("IOPlatformUUID", s("5E1F7C2A-1D3B-4C8E-9A70-0123456789AB")),
            ("IOBusyInterest", s("IOCommand is not serializable")),
            ("clock-frequency", data(&[0x00, 0xe1, 0xf5, 0x05])),
            ("manufacturer", data(b"Apple Inc.\0")),
            ("system-type", data(&[2])),
        ],
    );
    let efi = b.dt_entry(pe, "efi");
    b.add_props(
        efi,
        vec![
            ("firmware-revision", data(&[0x0a, 0x00, 0x01, 0x00])),
            ("firmware-vendor", data(b"A\0p\0p\0l\0e\0\0\0")),
        ],
    );
    for name in ["platform", "runtime-services", "kernel-compatibility"] {
        let n = b.dt_entry(efi, name);
        b.add_props(n, vec![("name", data_str(name))]);
    }
    let table = b.dt_entry(efi, "configuration-table");
    for i in 0..30u64 {
        let guid = format!(
            "{:08X}-{:04X}-11D3-9A2D-0090273FC14D",
            0xEB9D_2D30 + i * 0x1111,
            0x2D88 + i
        );
        let g = b.dt_entry(table, &guid);
        b.add_props(
            g,
            vec![
                ("alias", data(format!("table{i}\0").as_bytes())),
                ("table", data(&(0x7a5e_0000u64 + i * 0x1000).to_le_bytes())),
            ],
        );
    }
    let chosen = b.dt_entry(pe, "chosen");
    b.add_props(
        chosen,
        vec![
            ("boot-args", data(b"-v keepsyms=1\0")),
            ("boot-uuid", data(b"2C3B4A59-6877-4E8D-9C0B-1A2B3C4D5E6F\0")),
            ("random-seed", data(&[0x5a; 64])),
        ],
    );
    let memory_map = b.dt_entry(chosen, "memory-map");
    for i in 0..100u64 {
        let seg = b.dt_entry(
            memory_map,
            &format!("Driver-{:x}", 0xffff_ff7f_8000_0000_u64 + i * 0x20000),
        );
        b.add_props(
            seg,
            vec![("reg", data(&(0x1000_0000u64 + i * 0x4_0000).to_le_bytes()))],
        );
    }
    let options = b.dt_entry(pe, "options");
    b.add_props(
        options,
        vec![
            ("SystemAudioVolume", data(&[0x30])),
            ("csr-active-config", data(&[0, 0, 0, 0])),
            ("prev-lang:kbd", data(b"en-US:0")),
            (
                "bluetoothActiveControllerInfo",
                data(&[0x4c, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]),
            ),
        ],
    );
    pe
}

/// IOResources and IOPMrootDomain, children of the root in IOService (and IOPower's top).
fn services_root(b: &mut Builder, root: ObjId) -> (ObjId, ObjId) {
    let resources = b.node(root, "IOResources", "IOResources", None);
    b.add_props(
        resources,
        vec![
            ("IOKit", s("IOService")),
            (
                "IOConsoleSecurityInterest",
                s("IOCommand is not serializable"),
            ),
            // An OSSet (printed `[…]` by ioreg).
            (
                "IOResourceMatched",
                Value::Set(vec![s("IOBSD"), s("IOKit"), s("IONVRAM"), s("IORTC")]),
            ),
            ("boot-uuid-media", s("IOMedia")),
        ],
    );
    let pm = b.node(root, "IOPMrootDomain", "IOPMrootDomain", None);
    b.objs.attach(POWER, root, pm);
    b.add_props(
        pm,
        vec![
            ("SleepWakeUUID", s("7A1C2B3D-0000-4ABC-8DEF-112233445566")),
            ("System Capabilities", u32v(0x1f)),
            (
                "Supported Features",
                dict(vec![
                    ("DeepSleep", u32v(0x3_0000)),
                    ("Hibernation", u32v(0x2_0000)),
                ]),
            ),
            ("SleepTime", Value::Date(Date(780_000_000.25))),
            ("IOSleepSupported", Value::Bool(true)),
            ("Wake Type", s("UserActivity Assertion")),
            ("Last Sleep Duration Seconds", Value::Real(1803.5)),
        ],
    );
    let parent = b.node(pm, "IORootParent", "IORootParent", None);
    b.power(pm, parent);
    b.user_clients(pm, "RootDomainUserClient", 40);
    (pm, resources)
}

/// The processors: services under the ACPI platform expert, and in the device tree below
/// `/cpus` as on real Intel Macs (`IODeviceTree:/cpus/CPU0@0`).
fn cpus(b: &mut Builder, acpi: ObjId, pe: ObjId) {
    let node = b.entry("IOPlatformDevice", "cpus", None);
    b.objs.attach(DEVICE_TREE, pe, node);
    for i in 0..24u32 {
        let loc = format!("{i:x}");
        let cpu = b.dt_node(node, acpi, "AppleACPICPU", &format!("CPU{i}"), Some(&loc));
        b.add_props(
            cpu,
            vec![
                ("processor-id", u32v(u64::from(i))),
                ("processor-lapic", u32v(u64::from(i * 2))),
                ("cpu-type", data(&[0x06, 0x9e, 0x00, 0x00])),
                ("IOCPUNumber", u32v(u64::from(i))),
                ("State", u32v(2)),
            ],
        );
        let ic = b.node(
            cpu,
            "AppleACPICPUInterruptController",
            "AppleACPICPUInterruptController",
            None,
        );
        b.add_props(
            ic,
            vec![(
                "InterruptControllerName",
                s(&format!("IOInterruptController0000000{i:x}")),
            )],
        );
        if i == 0 {
            let plugin = b.node(cpu, "X86PlatformPlugin", "X86PlatformPlugin", None);
            b.node(plugin, "X86PlatformShim", "X86PlatformShim", None);
        }
    }
}

/// ACPI namespace devices (services, also in IODeviceTree) and their drivers.
fn acpi_devices(b: &mut Builder, acpi: ObjId, pe: ObjId, pmroot: ObjId) {
    let extra: Vec<(String, String)> = (0..24)
        .map(|i| ("INT33C2".to_owned(), format!("I2C{i:X}")))
        .chain((0..16).map(|i| ("PNP0C0B".to_owned(), format!("FAN{i:X}"))))
        .chain((0..20).map(|i| ("ACPI0007".to_owned(), format!("PR{i:02}"))))
        .chain((0..12).map(|i| ("INT3F0D".to_owned(), format!("TZ{i:02}"))))
        .collect();
    for (i, (hid, name)) in extra.iter().enumerate() {
        let loc = format!("{:x}", 0x100 + i);
        let dev = b.dt_node(pe, acpi, "IOACPIPlatformDevice", name, Some(&loc));
        b.add_props(
            dev,
            vec![
                ("name", data_str(hid)),
                ("_STA", u32v(if i % 5 == 0 { 0 } else { 0xf })),
                ("_UID", s(&i.to_string())),
            ],
        );
    }
    for (i, (hid, name, driver)) in ACPI_DEVICES.iter().enumerate() {
        let loc = format!("{i:x}");
        let dev = b.dt_node(pe, acpi, "IOACPIPlatformDevice", name, Some(&loc));
        b.add_props(
            dev,
            vec![
                ("name", data_str(hid)),
                ("compatible", data_str(hid)),
                ("_STA", u32v(0xf)),
                ("_ADR", u32v(0)),
            ],
        );
        let Some(driver) = driver else { continue };
        let d = b.node(dev, driver, driver, None);
        b.power(pmroot, d);
        match *driver {
            "AppleSmartBatteryManager" => battery(b, d),
            "AppleSMC" => {
                for k in 0..60 {
                    let ep = b.node(d, "AppleSMCKeysEndpoint", "AppleSMCKeysEndpoint", None);
                    b.add_props(
                        ep,
                        vec![
                            ("Key", data(format!("TC{k}P").as_bytes())),
                            ("Type", s("sp78")),
                        ],
                    );
                }
            }
            _ => {}
        }
    }
}

fn battery(b: &mut Builder, manager: ObjId) {
    let bat = b.node(manager, "AppleSmartBattery", "AppleSmartBattery", None);
    b.add_props(
        bat,
        vec![
            ("ExternalConnected", Value::Bool(true)),
            ("IsCharging", Value::Bool(false)),
            ("CurrentCapacity", u32v(87)),
            ("MaxCapacity", u32v(100)),
            ("DesignCapacity", u32v(8790)),
            ("CycleCount", u32v(312)),
            ("Voltage", u32v(12_604)),
            // Negative while discharging: a signed 64-bit value.
            (
                "InstantAmperage",
                Value::Integer(Integer::signed(-1_234, 64)),
            ),
            ("Temperature", u32v(3_021)),
            ("Serial", s("D86SIM0001")),
            (
                "BatteryData",
                dict(vec![
                    ("StateOfCharge", u32v(87)),
                    ("Qmax", Value::Array(vec![u32v(8_901), u32v(8_877)])),
                    ("AdapterPower", Value::Real(96.0)),
                ]),
            ),
            ("UpdateTime", Value::Date(Date(785_301_234.0))),
        ],
    );
}

fn pci_props(b: &mut Builder, dev: ObjId, vendor: u16, device: u16, class: u32, loc: &str) {
    b.add_props(
        dev,
        vec![
            ("vendor-id", data_u32(u32::from(vendor))),
            ("device-id", data_u32(u32::from(device))),
            ("class-code", data_u32(class)),
            ("revision-id", data_u32(2)),
            (
                "compatible",
                data(format!("pci{vendor:x},{device:x}\0pciclass,{class:06x}\0").as_bytes()),
            ),
            (
                "pcidebug",
                s(&format!("0:{}:0", loc.split(',').next().unwrap_or("0"))),
            ),
            ("IOPCIExpressLinkStatus", u32v(0x7022)),
            ("IOPCIExpressCapabilities", u32v(2)),
            (
                "IOInterruptSpecifiers",
                Value::Array(vec![data(&[0x10, 0, 0, 0, 7, 0, 0, 0])]),
            ),
            ("IOInterruptControllers", Value::Array(vec![s("io-apic-0")])),
            (
                "IODeviceMemory",
                Value::Array(vec![Value::Array(vec![dict(vec![
                    ("address", u64v(0xb000_0000 + u64::from(device) * 0x1000)),
                    ("length", u64v(0x1000)),
                ])])]),
            ),
        ],
    );
}

/// PCI0 and everything below it. Returns the USB controller.
fn pci(b: &mut Builder, acpi: ObjId, pe: ObjId) -> ObjId {
    let pci0 = b.dt_node(pe, acpi, "IOACPIPlatformDevice", "PCI0", Some("0"));
    b.add_props(pci0, vec![("name", data(b"PNP0A08\0")), ("_UID", s("0"))]);
    let bridge = b.node(pci0, "AppleACPIPCI", "AppleACPIPCI", None);
    let mut xhc = None;
    for spec in PCI_DEVICES {
        let dev = b.dt_node(pci0, bridge, "IOPCIDevice", spec.name, Some(spec.loc));
        pci_props(b, dev, spec.vendor, spec.device, spec.class, spec.loc);
        b.power(bridge, dev);
        match spec.name {
            "IGPU" => graphics(b, dev),
            "XHC1" => {
                let c = b.node(dev, "AppleIntelCNLUSBXHCI", "XHC1", None);
                b.power(dev, c);
                xhc = Some(c);
            }
            "HDEF" => audio(b, dev),
            "LPCB" => {
                b.node(dev, "AppleLPC", "AppleLPC", None);
            }
            _ => {}
        }
    }
    for (i, (name, ep_spec)) in ROOT_PORTS.iter().enumerate() {
        let loc = format!("1c,{i}");
        let rp = b.dt_node(pci0, bridge, "IOPCIDevice", name, Some(&loc));
        pci_props(b, rp, 0x8086, 0xa338 + i as u16, 0x060400, &loc);
        b.power(bridge, rp);
        let pp = b.node(rp, "IOPCI2PCIBridge", "IOPP", None);
        let ep = b.dt_node(rp, pp, "IOPCIDevice", ep_spec.name, Some(ep_spec.loc));
        b.power(rp, ep);
        let PciSpec {
            vendor,
            device,
            class,
            loc,
            ..
        } = *ep_spec;
        pci_props(b, ep, vendor, device, class, loc);
        match ep_spec.name {
            "PXSX" => nvme(b, ep),
            "ARPT" => wifi(b, ep),
            _ => thunderbolt(b, ep, i),
        }
    }
    for i in 0..16u16 {
        let name = format!("RP{:02}", i + 2);
        let loc = format!("1d,{i:x}");
        let rp = b.dt_node(pci0, bridge, "IOPCIDevice", &name, Some(&loc));
        pci_props(b, rp, 0x8086, 0xa340 + i, 0x060400, &loc);
        let pp = b.node(rp, "IOPCI2PCIBridge", "IOPP", None);
        let ep = b.dt_node(rp, pp, "IOPCIDevice", "PXSX", Some("0"));
        pci_props(b, ep, 0xffff, 0xffff, 0xff0000, "0");
    }
    xhc.expect("XHC1 is in PCI_DEVICES")
}

fn graphics(b: &mut Builder, igpu: ObjId) {
    for fb in 0..3 {
        let loc = fb.to_string();
        let f = b.node(
            igpu,
            "AppleIntelFramebuffer",
            "AppleIntelFramebuffer",
            Some(&loc),
        );
        b.power(igpu, f);
        b.add_props(
            f,
            vec![
                (
                    "IOFBCurrentPixelCount",
                    u64v(if fb == 0 { 5_184_000 } else { 0 }),
                ),
                ("IOFBTransform", u64v(0)),
                ("IOFramebufferOpenGLIndex", u32v(fb)),
            ],
        );
        b.node(
            f,
            "IOFramebufferI2CInterface",
            "IOFramebufferI2CInterface",
            None,
        );
        let connect = b.node(f, "IODisplayConnect", "display0", None);
        if fb == 0 {
            let d = b.node(connect, "AppleDisplay", "AppleDisplay", None);
            b.add_props(
                d,
                vec![
                    ("DisplayProductName", s("Color LCD")),
                    ("DisplayVendorID", u32v(1552)),
                    (
                        "IODisplayEDID",
                        data(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x06, 0x10]),
                    ),
                ],
            );
        }
        b.user_clients(f, "IOFramebufferUserClient", 2);
    }
    let accel = b.node(igpu, "IntelAccelerator", "IntelAccelerator", None);
    b.power(igpu, accel);
    b.add_props(
        accel,
        vec![(
            "PerformanceStatistics",
            dict(vec![
                ("Device Utilization %", u32v(7)),
                ("In use system memory", u64v(412_876_800)),
            ]),
        )],
    );
    b.user_clients(accel, "IGAccelCommandQueue", 40);
    b.user_clients(accel, "IOAccelSurface", 40);
}

fn audio(b: &mut Builder, hdef: ObjId) {
    let ctl = b.node(hdef, "AppleHDAController", "AppleHDAController", None);
    b.power(hdef, ctl);
    for codec in 0..2 {
        let loc = codec.to_string();
        let c = b.node(
            ctl,
            "AppleHDACodecGeneric",
            "AppleHDACodecGeneric",
            Some(&loc),
        );
        let drv = b.node(c, "AppleHDADriver", "AppleHDADriver", None);
        b.power(ctl, drv);
        for (class, label) in [
            ("AppleHDAEngineOutput", "Built-in Output"),
            ("AppleHDAEngineInput", "Built-in Input"),
        ] {
            let eng = b.node(drv, class, class, None);
            b.add_props(
                eng,
                vec![
                    ("IOAudioEngineDescription", s(label)),
                    (
                        "IOAudioEngineSampleRate",
                        dict(vec![
                            ("IOAudioSampleRateWholeNumber", u32v(48_000)),
                            ("IOAudioSampleRateFraction", u32v(0)),
                        ]),
                    ),
                ],
            );
            b.node(eng, "IOAudioStream", "IOAudioStream", None);
            for _ in 0..3 {
                b.node(eng, "IOAudioLevelControl", "IOAudioLevelControl", None);
            }
            b.node(eng, "IOAudioToggleControl", "IOAudioToggleControl", None);
            b.user_clients(eng, "IOAudioEngineUserClient", 4);
        }
    }
}

fn nvme(b: &mut Builder, ep: ObjId) {
    let ctl = b.node(ep, "IONVMeController", "IONVMeController", None);
    let dev = b.node(
        ctl,
        "IONVMeBlockStorageDevice",
        "IONVMeBlockStorageDevice",
        None,
    );
    b.add_props(
        dev,
        vec![(
            "Device Characteristics",
            dict(vec![
                ("Product Name", s("APPLE SSD AP1024N")),
                ("Serial Number", s("C02SIM00NVME")),
                ("Medium Type", s("Solid State")),
            ]),
        )],
    );
    let drv = b.node(dev, "IOBlockStorageDriver", "IOBlockStorageDriver", None);
    let whole = media(
        b,
        drv,
        "APPLE SSD AP1024N Media",
        1_000_555_581_440,
        true,
        "disk0",
    );
    let scheme = b.node(
        whole,
        "IOGUIDPartitionScheme",
        "IOGUIDPartitionScheme",
        None,
    );
    let _efi = media(
        b,
        scheme,
        "EFI System Partition",
        209_715_200,
        false,
        "disk0s1",
    );
    let part = media(b, scheme, "Untitled 2", 1_000_345_825_280, false, "disk0s2");
    let cscheme = b.node(
        part,
        "AppleAPFSContainerScheme",
        "AppleAPFSContainerScheme",
        None,
    );
    let amedia = b.node(cscheme, "AppleAPFSMedia", "AppleAPFSMedia", None);
    let container = b.node(amedia, "AppleAPFSContainer", "AppleAPFSContainer", None);
    for (i, vol) in [
        "Macintosh HD",
        "Macintosh HD - Data",
        "Preboot",
        "Recovery",
        "VM",
        "Update",
    ]
    .iter()
    .enumerate()
    {
        let v = media(
            b,
            container,
            vol,
            1_000_345_825_280,
            false,
            &format!("disk1s{}", i + 1),
        );
        b.add_props(v, vec![("RoleValue", u32v(1 << i))]);
    }
}

/// An IOMedia with its BSD client.
fn media(b: &mut Builder, parent: ObjId, name: &str, size: u64, whole: bool, bsd: &str) -> ObjId {
    let class = if b
        .objs
        .entry(parent)
        .is_some_and(|e| e.class == "AppleAPFSContainer")
    {
        "AppleAPFSVolume"
    } else {
        "IOMedia"
    };
    let m = b.node(parent, class, name, None);
    let minor = b.rng.below(30) as i64;
    b.add_props(
        m,
        vec![
            ("Size", u64v(size)),
            ("Preferred Block Size", u64v(4096)),
            ("Whole", Value::Bool(whole)),
            ("Writable", Value::Bool(true)),
            ("Removable", Value::Bool(false)),
            (
                "Content",
                s(if whole {
                    "GUID_partition_scheme"
                } else {
                    "41504653-0000-11AA-AA11-00306543ECAC"
                }),
            ),
            ("BSD Name", s(bsd)),
            ("BSD Major", i32v(1)),
            ("BSD Minor", i32v(minor)),
            ("BSD Unit", i32v(0)),
        ],
    );
    b.node(m, "IOMediaBSDClient", "IOMediaBSDClient", None);
    m
}

fn wifi(b: &mut Builder, ep: ObjId) {
    let nic = b.node(ep, "AirPort_BrcmNIC", "AirPort_BrcmNIC", None);
    b.power(ep, nic);
    b.add_props(
        nic,
        vec![
            ("IOMACAddress", data(&[0x3c, 0x22, 0xfb, 0x01, 0x02, 0x03])),
            ("IOLinkSpeed", u64v(866_000_000)),
            ("IOModel", s("BCM4364")),
            ("IOLinkStatus", u32v(3)),
        ],
    );
    let en0 = b.node(nic, "IO80211Interface", "en0", None);
    b.add_props(
        en0,
        vec![
            ("BSD Name", s("en0")),
            ("IOInterfaceUnit", u32v(0)),
            ("IOMediaAddressLength", u32v(6)),
            ("IOMaxTransferUnit", u32v(1500)),
        ],
    );
}

fn thunderbolt(b: &mut Builder, ep: ObjId, bus: usize) {
    let nhi = b.node(
        ep,
        "AppleThunderboltNHIType3",
        "AppleThunderboltNHIType3",
        None,
    );
    b.power(ep, nhi);
    let ctl = b.node(
        nhi,
        "IOThunderboltController",
        "IOThunderboltController",
        None,
    );
    let sw = b.node(
        ctl,
        "IOThunderboltSwitchType3",
        "IOThunderboltSwitchType3",
        Some("0"),
    );
    b.add_props(
        sw,
        vec![
            ("Route String", u64v(0)),
            ("Device Vendor Name", s("Apple Inc.")),
            ("UID", u64v(0x0001_0000_0000_0000 + bus as u64)),
        ],
    );
    for port in 0..16 {
        let loc = port.to_string();
        let p = b.node(sw, "IOThunderboltPort", "IOThunderboltPort", Some(&loc));
        b.add_props(
            p,
            vec![
                ("Port Number", u32v(port)),
                ("Adapter Type", u32v(if port < 3 { 1 } else { 0x10_0101 })),
            ],
        );
        if port == 5 {
            b.node(p, "IOThunderboltLocalNode", "IOThunderboltLocalNode", None);
        }
    }
}

/// IOResources' children: kext services, user-client-heavy services, IOUserServers.
fn resources_children(b: &mut Builder, resources: ObjId) {
    for name in KEXT_SERVICES {
        b.objs.add_class(name, "IOService");
        let svc = b.node(resources, name, name, None);
        let clients = b.rng.below(4) as usize;
        b.user_clients(svc, "IOUserClient", clients);
    }
    let surface = b.node(resources, "IOSurfaceRoot", "IOSurfaceRoot", None);
    b.user_clients(surface, "IOSurfaceRootUserClient", 120);
    let keystore = b.node(resources, "AppleKeyStore", "AppleKeyStore", None);
    b.user_clients(keystore, "AppleKeyStoreUserClient", 14);
    let hid = b.node(resources, "IOHIDSystem", "IOHIDSystem", None);
    b.add_props(
        hid,
        vec![
            ("HIDIdleTime", u64v(1_500_000_000)),
            (
                "HIDParameters",
                dict(vec![
                    ("HIDKeyRepeat", u64v(83_333_333)),
                    ("HIDInitialKeyRepeat", u64v(500_000_000)),
                ]),
            ),
        ],
    );
    b.user_clients(hid, "IOHIDUserClient", 3);
    b.user_clients(hid, "IOHIDParamUserClient", 30);
    let wrangler = b.node(resources, "IODisplayWrangler", "IODisplayWrangler", None);
    b.add_props(
        wrangler,
        vec![(
            "IOPowerManagement",
            dict(vec![
                ("CurrentPowerState", i32v(4)),
                ("DevicePowerState", i32v(4)),
                ("MaxPowerState", i32v(4)),
            ]),
        )],
    );
    let stack = b.node(resources, "IONetworkStack", "IONetworkStack", None);
    b.user_clients(stack, "IONetworkStackUserClient", 3);
    for (i, dext) in [
        "com.apple.driverkit.AppleUserHIDDrivers",
        "com.apple.DriverKit-AppleBCMWLAN",
        "com.apple.driverkit.AppleUserECM",
        "com.apple.AppleUserHIDEventDriver",
        "com.apple.DriverKit-IOUserDockChannelSerial",
        "com.apple.IOUserBluetoothSerialDriver",
        "com.apple.driverkit.AppleUserUSBSerial",
        "com.apple.driverkit.AppleUserHIDEventDriver",
    ]
    .iter()
    .enumerate()
    {
        let tag = 0x0001_0000_0500_u64 + i as u64 * 0x31;
        let server = b.node(
            resources,
            "IOUserServer",
            &format!("IOUserServer({dext}-0x{tag:x})"),
            None,
        );
        b.add_props(
            server,
            vec![
                ("IOUserServerName", s(dext)),
                ("IOUserServerTag", u64v(tag)),
                ("IOPersonalityPublisher", s(dext)),
            ],
        );
        for k in 0..(2 + i % 4) {
            let svc = b.node(server, "IOUserService", &format!("IOUserService{k}"), None);
            b.add_props(
                svc,
                vec![
                    ("IOUserClass", s("IOUserService")),
                    ("IOUserServerCDHash", data(&[0xa5; 20])),
                ],
            );
        }
    }
}

/// The USB controller's ports, and the devices plugged into some of them.
fn usb(b: &mut Builder, root: ObjId, xhc: ObjId) -> Devices {
    b.objs.attach(USB, root, xhc);
    b.add_props(
        xhc,
        vec![
            ("kUSBSleepSupported", Value::Bool(true)),
            ("UsbHostControllerSoftRetryPolicy", u32v(2)),
            ("locationID", u32v(0x1400_0000)),
        ],
    );
    let mut ports = Vec::new();
    for i in 0..18u32 {
        let (class, name) = if i < 12 {
            ("AppleUSB20XHCIPort", format!("HS{:02}", i + 1))
        } else {
            ("AppleUSB30XHCIPort", format!("SS{:02}", i - 11))
        };
        let loc = format!("{:x}", 0x1410_0000 + (i + 1) * 0x10_0000);
        let p = b.node(xhc, class, &name, Some(&loc));
        b.add_props(
            p,
            vec![
                ("port", data_u32(i + 1)),
                ("UsbConnector", u32v(if i < 4 { 9 } else { 255 })),
                ("kUSBWakePortCurrentLimit", u32v(1500)),
            ],
        );
        if let Some(svc) = b.objs.e(p).service.as_mut() {
            svc.state &= !crate::registry::ServiceInfo::MATCHED;
        }
        ports.push(p);
    }
    // Internal devices that stay plugged in.
    let bt = internal_device(b, xhc, ports[7], BLUETOOTH_CONTROLLER);
    b.node(
        bt,
        "IOBluetoothHostControllerUSBTransport",
        "IOBluetoothHostControllerUSBTransport",
        None,
    );
    let hub = internal_device(b, xhc, ports[3], USB2_HUB);
    let hub_driver = b.node(hub, "AppleUSB20Hub", "AppleUSB20Hub", None);
    for i in 0..4 {
        let loc = format!("{:x}", 0x1440_0000 + (i + 1) * 0x1000);
        b.node(
            hub_driver,
            "AppleUSB20HubPort",
            &format!("Port{}", i + 1),
            Some(&loc),
        );
    }
    let slots = USB_DEVICES
        .iter()
        .map(|spec| {
            let mut slot = DeviceSlot {
                spec,
                port_entry: ports[spec.port],
                controller: xhc,
                current: None,
                history: Vec::new(),
            };
            slot.current = Some(plug(&mut b.objs, &slot));
            slot
        })
        .collect();
    Devices { slots }
}

/// An internal USB device that stays plugged in.
fn internal_device(b: &mut Builder, xhc: ObjId, port: ObjId, product: UsbProduct) -> ObjId {
    let dev = b.usb_device(port, xhc, product.name);
    b.add_props(
        dev,
        vec![
            ("USB Product Name", s(product.name)),
            ("idVendor", u32v(u64::from(product.id_vendor))),
            ("idProduct", u32v(u64::from(product.id_product))),
            ("Built-In", Value::Bool(true)),
        ],
    );
    dev
}

/// Builds one USB device's objects under its port (at boot, and again on replug).
pub(crate) fn plug(objs: &mut Objects, slot: &DeviceSlot) -> ObjId {
    let spec = slot.spec;
    let product = spec.product;
    let mut b = Builder::on(objs, 0x5eed ^ u64::from(product.id_product));
    let dev = b.usb_device(slot.port_entry, slot.controller, product.name);
    let loc = b.objs.e(dev).location.clone().unwrap_or_default();
    let location_id = u64::from_str_radix(&loc, 16).unwrap_or(0);
    let session = 0x0000_0042_0000_0000u64 + b.objs.e(dev).registry_id;
    let mut kv = vec![
        ("USB Product Name", s(product.name)),
        (
            "USB Vendor Name",
            Value::String(Text::from_bytes(product.vendor)),
        ),
        ("idVendor", u32v(u64::from(product.id_vendor))),
        ("idProduct", u32v(u64::from(product.id_product))),
        ("bcdDevice", u32v(0x0100)),
        ("bDeviceClass", u32v(0)),
        ("bNumConfigurations", u32v(1)),
        ("Device Speed", u32v(u64::from(spec.speed))),
        ("locationID", u32v(location_id)),
        ("sessionID", u64v(session)),
        ("UsbPowerSinkAllocation", u32v(500)),
        ("kUSBCurrentConfiguration", u32v(1)),
        (
            "IOCFPlugInTypes",
            dict(vec![(
                "9dc7b780-9ec0-11d4-a54f-000a27052861",
                s("IOUSBHostFamily.kext/Contents/PlugIns/IOUSBLib.bundle"),
            )]),
        ),
        (
            "Device Descriptor",
            data(&[
                0x12,
                0x01,
                0x00,
                0x02,
                0,
                0,
                0,
                0x40,
                product.id_vendor as u8,
                (product.id_vendor >> 8) as u8,
                product.id_product as u8,
                (product.id_product >> 8) as u8,
            ]),
        ),
    ];
    if let Some(serial) = spec.serial {
        kv.push(("USB Serial Number", s(serial)));
        kv.push(("kUSBSerialNumberString", s(serial)));
    }
    b.add_props(dev, kv);
    if spec.user_client {
        let uc = b.node(
            dev,
            "AppleUSBHostDeviceUserClient",
            "AppleUSBHostDeviceUserClient",
            None,
        );
        describe_user_client(&mut b.objs, uc);
    }
    for (n, iface) in spec.interfaces.iter().enumerate() {
        let iloc = format!("{n}");
        let ifc = b.node(dev, "IOUSBHostInterface", product.name, Some(&iloc));
        b.add_props(
            ifc,
            vec![
                ("bInterfaceNumber", u32v(n as u64)),
                ("bInterfaceClass", u32v(u64::from(iface.class))),
                ("bInterfaceSubClass", u32v(u64::from(iface.subclass))),
                ("bInterfaceProtocol", u32v(u64::from(iface.protocol))),
                ("bAlternateSetting", u32v(0)),
            ],
        );
        if iface.user_client {
            let uc = b.node(
                ifc,
                "AppleUSBHostInterfaceUserClient",
                "AppleUSBHostInterfaceUserClient",
                None,
            );
            describe_user_client(&mut b.objs, uc);
        }
        let mut parent = ifc;
        let mut partitioned = false;
        for &class in iface.drivers {
            let name = if class == "IOMedia" {
                format!("{} Media", product.name)
            } else {
                class.to_owned()
            };
            let class: &'static str = class_name(class);
            parent = b.node(parent, class, &name, None);
            if class == "IOHIDEventDriver" {
                b.user_clients(parent, "IOHIDEventServiceUserClient", 2);
            }
            if class == "IOMedia" {
                let whole = !partitioned;
                partitioned = true;
                b.add_props(
                    parent,
                    vec![
                        ("Size", u64v(62_742_792_192)),
                        ("Removable", Value::Bool(true)),
                        ("Ejectable", Value::Bool(true)),
                        ("Whole", Value::Bool(whole)),
                        ("BSD Name", s(if whole { "disk4" } else { "disk4s1" })),
                    ],
                );
            }
        }
    }
    b.done(objs);
    dev
}

/// After a replug: the new device's drivers join the power tree below it, as the boot-time
/// `power_pass` joined the first instance's. (Without this a replugged device came back
/// with fewer IOPowerConnections than it was booted with, and a walk after replugging had
/// fewer entries than before the unplug.) Not used at boot, which stays as it was.
pub(crate) fn join_power_tree(objs: &mut Objects, device: ObjId) {
    let mut b = Builder::on(objs, 0x0070_7765_7200 ^ u64::from(device.0));
    power_pass(&mut b, device, None);
    b.done(objs);
}

#[cfg(test)]
/// The user-client class a service hands out on `IOServiceOpen`.
pub(crate) fn user_client_class(objs: &Objects, service_class: &str) -> &'static str {
    if objs.conforms(service_class, "IOUSBHostDevice") {
        "AppleUSBHostDeviceUserClient"
    } else if objs.conforms(service_class, "IOUSBHostInterface") {
        "AppleUSBHostInterfaceUserClient"
    } else if objs.conforms(service_class, "IOPMrootDomain") {
        "RootDomainUserClient"
    } else {
        "IOUserClient"
    }
}

/// Properties of a user client opened by our own task.
pub(crate) fn describe_user_client(objs: &mut Objects, uc: ObjId) {
    objs.e(uc).properties.extend(props(vec![
        ("IOUserClientCreator", s("pid 4242, ioscope")),
        ("IOUserClientEntitlements", Value::Bool(false)),
    ]));
}
