//! The simulated Mac's catalogue: its classes, devices, kext services and processes, in one
//! place. The machine the demo boots (`machine.rs`) is built from it, and so are the big
//! registries of the `testkit` generator (`generate.rs`), so both speak of the same classes
//! with the same superclasses, the same devices and the same client processes.

use crate::registry::{Integer, Properties, Text, Value};

/// `(class, superclass)`: what `IOObjectCopySuperclassForClass` answers.
/// `IORegistryEntry` is the root class (and `OSObject` above it is not asked for).
pub(crate) const CLASSES: &[(&str, &str)] = &[
    ("IOService", "IORegistryEntry"),
    ("IORegistryEntry", "OSObject"),
    ("IOPlatformExpertDevice", "IOService"),
    ("IOPlatformExpert", "IOService"),
    ("IODTPlatformExpert", "IOPlatformExpert"),
    ("IOACPIPlatformExpert", "IODTPlatformExpert"),
    ("AppleACPIPlatformExpert", "IOACPIPlatformExpert"),
    ("IOPlatformDevice", "IOService"),
    ("IOACPIPlatformDevice", "IOPlatformDevice"),
    ("IOCPU", "IOService"),
    ("AppleACPICPU", "IOCPU"),
    ("IOInterruptController", "IOService"),
    ("AppleACPICPUInterruptController", "IOInterruptController"),
    ("X86PlatformPlugin", "IOService"),
    ("X86PlatformShim", "IOService"),
    ("IOPCIBridge", "IOService"),
    ("AppleACPIPCI", "IOPCIBridge"),
    ("IOPCI2PCIBridge", "IOPCIBridge"),
    ("IOPCIDevice", "IOService"),
    ("IOUSBHostController", "IOService"),
    ("AppleUSBHostController", "IOUSBHostController"),
    ("AppleUSBXHCI", "AppleUSBHostController"),
    ("AppleIntelCNLUSBXHCI", "AppleUSBXHCI"),
    ("AppleUSBHostPort", "IOService"),
    ("AppleUSBXHCIPort", "AppleUSBHostPort"),
    ("AppleUSB20XHCIPort", "AppleUSBXHCIPort"),
    ("AppleUSB30XHCIPort", "AppleUSBXHCIPort"),
    ("IOUSBHostDevice", "IOService"),
    ("IOUSBHostInterface", "IOService"),
    ("IOHIDDevice", "IOService"),
    ("IOUSBHostHIDDevice", "IOHIDDevice"),
    ("IOHIDInterface", "IOService"),
    ("IOHIDEventService", "IOService"),
    ("IOHIDEventDriver", "IOHIDEventService"),
    ("IOUserClient", "IOService"),
    ("IOHIDEventServiceUserClient", "IOUserClient"),
    ("IOHIDLibUserClient", "IOUserClient"),
    ("IOHIDSystem", "IOService"),
    ("IOHIDUserClient", "IOUserClient"),
    ("IOHIDParamUserClient", "IOUserClient"),
    ("AppleUSBHostDeviceUserClient", "IOUserClient"),
    ("AppleUSBHostInterfaceUserClient", "IOUserClient"),
    ("IOSCSIProtocolInterface", "IOService"),
    ("IOSCSIProtocolServices", "IOSCSIProtocolInterface"),
    ("IOUSBMassStorageInterfaceNub", "IOService"),
    ("IOUSBMassStorageDriver", "IOSCSIProtocolServices"),
    ("IOSCSILogicalUnitNub", "IOSCSIProtocolServices"),
    ("IOSCSIPrimaryCommandsDevice", "IOService"),
    ("IOSCSIBlockCommandsDevice", "IOSCSIPrimaryCommandsDevice"),
    ("IOSCSIPeripheralDeviceType00", "IOSCSIBlockCommandsDevice"),
    ("IOBlockStorageDevice", "IOService"),
    ("IOBlockStorageServices", "IOBlockStorageDevice"),
    ("IONVMeBlockStorageDevice", "IOBlockStorageDevice"),
    ("IOStorage", "IOService"),
    ("IOBlockStorageDriver", "IOStorage"),
    ("IOMedia", "IOStorage"),
    ("IOPartitionScheme", "IOStorage"),
    ("IOGUIDPartitionScheme", "IOPartitionScheme"),
    ("IOFDiskPartitionScheme", "IOPartitionScheme"),
    ("AppleAPFSContainerScheme", "IOPartitionScheme"),
    ("AppleAPFSContainer", "IOPartitionScheme"),
    ("AppleAPFSMedia", "IOMedia"),
    ("AppleAPFSVolume", "IOMedia"),
    ("IOMediaBSDClient", "IOService"),
    ("IONVMeController", "IOService"),
    ("IONetworkController", "IOService"),
    ("IOEthernetController", "IONetworkController"),
    ("IO80211Controller", "IOEthernetController"),
    ("AirPort_BrcmNIC", "IO80211Controller"),
    ("IONetworkInterface", "IOService"),
    ("IOEthernetInterface", "IONetworkInterface"),
    ("IO80211Interface", "IOEthernetInterface"),
    ("IONetworkStack", "IOService"),
    ("IONetworkStackUserClient", "IOUserClient"),
    ("AppleHDAController", "IOService"),
    ("IOHDACodecDevice", "IOService"),
    ("AppleHDACodecGeneric", "IOHDACodecDevice"),
    ("IOAudioDevice", "IOService"),
    ("AppleHDADriver", "IOAudioDevice"),
    ("IOAudioEngine", "IOService"),
    ("AppleHDAEngineOutput", "IOAudioEngine"),
    ("AppleHDAEngineInput", "IOAudioEngine"),
    ("IOAudioStream", "IOService"),
    ("IOAudioControl", "IOService"),
    ("IOAudioLevelControl", "IOAudioControl"),
    ("IOAudioToggleControl", "IOAudioControl"),
    ("IOAudioEngineUserClient", "IOUserClient"),
    ("IOGraphicsDevice", "IOService"),
    ("IOFramebuffer", "IOGraphicsDevice"),
    ("AppleIntelFramebuffer", "IOFramebuffer"),
    ("IOI2CInterface", "IOService"),
    ("IOFramebufferI2CInterface", "IOI2CInterface"),
    ("IODisplayConnect", "IOService"),
    ("IODisplay", "IOService"),
    ("AppleDisplay", "IODisplay"),
    ("IOFramebufferUserClient", "IOUserClient"),
    ("IOAccelerator", "IOService"),
    ("IntelAccelerator", "IOAccelerator"),
    ("IOAccelSurface", "IOUserClient"),
    ("IGAccelCommandQueue", "IOUserClient"),
    ("IOResources", "IOService"),
    ("IOPMrootDomain", "IOService"),
    ("RootDomainUserClient", "IOUserClient"),
    ("IORootParent", "IOService"),
    ("IOPowerConnection", "IOService"),
    ("IOPMPowerSource", "IOService"),
    ("AppleSmartBattery", "IOPMPowerSource"),
    ("AppleSmartBatteryManager", "IOService"),
    ("AppleACPIEC", "IOService"),
    ("AppleACPIButton", "IOService"),
    ("AppleACPIALS", "IOService"),
    ("AppleLPC", "IOService"),
    ("IORTC", "IOService"),
    ("AppleRTC", "IORTC"),
    ("AppleHPET", "IOService"),
    ("AppleSMC", "IOService"),
    ("AppleSMCKeysEndpoint", "IOService"),
    ("IOUserServer", "IOUserClient"),
    ("IOSurfaceRoot", "IOService"),
    ("IOSurfaceRootUserClient", "IOUserClient"),
    ("AppleKeyStore", "IOService"),
    ("AppleKeyStoreUserClient", "IOUserClient"),
    ("IODisplayWrangler", "IOService"),
    ("IOThunderboltController", "IOService"),
    ("AppleThunderboltNHI", "IOService"),
    ("AppleThunderboltNHIType3", "AppleThunderboltNHI"),
    ("IOThunderboltSwitch", "IOService"),
    ("IOThunderboltSwitchType3", "IOThunderboltSwitch"),
    ("IOThunderboltPort", "IOService"),
    ("IOThunderboltLocalNode", "IOService"),
    ("AppleUSBHub", "IOService"),
    ("AppleUSB20Hub", "AppleUSBHub"),
    ("AppleUSBHubPort", "AppleUSBHostPort"),
    ("AppleUSB20HubPort", "AppleUSBHubPort"),
    ("IOBluetoothHostControllerUSBTransport", "IOService"),
    ("IOUserService", "IOService"),
    // Only in generated registries (the `testkit` generator).
    ("AppleUSBXHCIPPT", "AppleUSBXHCI"),
    ("AppleBCM5701Ethernet", "IOEthernetController"),
];

/// Services under IOResources that stand for loaded kexts (class = name).
pub(crate) const KEXT_SERVICES: &[&str] = &[
    "AppleFDEKeyStore",
    "IOHDIXController",
    "IOTimeSyncClockManager",
    "AppleMobileFileIntegrity",
    "AppleCredentialManager",
    "AppleImage4",
    "AppleUSBHostResources",
    "AppleHV",
    "AppleMCCSControlModule",
    "AGPM",
    "AppleFSCompressionTypeZlib",
    "AppleFSCompressionTypeDataless",
    "AudioAUUC",
    "AppleSystemPolicy",
    "EndpointSecurityDriver",
    "IOBluetoothSerialManager",
    "AppleAPFSUserClientManager",
    "IOAVBNub",
    "AppleSSE",
    "AppleGraphicsDevicePolicy",
    "AppleGraphicsControl",
    "AppleLMUController",
    "IOPlatformPluginLegacy",
    "AppleIntelMCEReporter",
    "AppleEFINVRAM",
    "AppleEFIRuntime",
    "AppleSmartIO",
    "AppleTopCaseHIDEventDriver",
    "IOTimeSyncDomain",
    "AppleBacklightExpert",
    "AppleHIDKeyboardEventDriver",
    "AppleUpstreamUserClientDriver",
    "AppleVirtualGraphics",
    "AppleSEPKeyStore",
    "AppleIPAppender",
    "AppleSmartBatteryShim",
    "IOReportHub",
    "AppleCallbackPowerSource",
    "AppleThunderboltIP",
    "AppleVTD",
    "KDIDiskImage",
    "AppleBTM",
];

/// Client processes that hold user clients (name, pid).
pub(crate) const PROCESSES: &[(&str, u32)] = &[
    ("WindowServer", 161),
    ("loginwindow", 154),
    ("Dock", 521),
    ("Finder", 527),
    ("SystemUIServer", 524),
    ("ControlCenter", 530),
    ("Safari", 1203),
    ("Terminal", 1187),
    ("coreaudiod", 188),
    ("bluetoothd", 143),
    ("powerd", 98),
    ("hidd", 126),
    ("usbmuxd", 112),
    ("mds", 117),
    ("mds_stores", 402),
    ("backupd", 833),
    ("NotificationCenter", 612),
    ("corebrightnessd", 151),
    ("locationd", 133),
    ("airportd", 166),
    ("configd", 109),
    ("Mail", 1402),
    ("Music", 1490),
    ("QuickLookUIService", 1511),
    ("WallpaperAgent", 640),
];

/// ACPI namespace devices: `(_HID, name, the driver matched on it)`.
pub(crate) const ACPI_DEVICES: &[(&str, &str, Option<&str>)] = &[
    ("PNP0C0A", "BAT0", Some("AppleSmartBatteryManager")),
    ("ACPI0003", "ADP1", None),
    ("PNP0C0D", "LID0", Some("AppleACPIButton")),
    ("PNP0C0C", "PWRB", Some("AppleACPIButton")),
    ("PNP0C0E", "SLPB", Some("AppleACPIButton")),
    ("ACPI0008", "ALS0", Some("AppleACPIALS")),
    ("PNP0C09", "EC", Some("AppleACPIEC")),
    ("PNP0103", "HPET", Some("AppleHPET")),
    ("PNP0B00", "RTC", Some("AppleRTC")),
    ("APP0001", "SMC", Some("AppleSMC")),
    ("PNP0100", "TIMR", None),
    ("PNP0000", "PIC", None),
    ("PNP0200", "DMAC", None),
    ("PNP0C04", "MATH", None),
    ("PNP0C02", "LDRC", None),
    ("INT33A1", "PEPD", None),
    ("PNP0C14", "WMI1", None),
    ("ACPI000E", "AWAC", None),
];

/// Drivers named after their class that match on platform and PCI devices.
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
pub(crate) const DRIVERS: &[&str] = &[
    "AppleSMC",
    "AppleLPC",
    "AppleHPET",
    "AppleRTC",
    "AppleACPIEC",
    "AppleHDAController",
    "AppleIntelFramebuffer",
    "IOBluetoothHostControllerUSBTransport",
    "AppleMCCSControlModule",
    "AGPM",
    "AppleGraphicsControl",
];

/// What a partition's `Content` says.
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
pub(crate) const MEDIA_CONTENT: &[&str] = &[
    "GUID_partition_scheme",
    "41504653-0000-11AA-AA11-00306543ECAC",
    "EFI",
    "Apple_HFS",
];

/// A PCI function: its ACPI name, location (`dev[,func]`), IDs and class code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PciSpec {
    pub name: &'static str,
    pub loc: &'static str,
    pub vendor: u16,
    pub device: u16,
    pub class: u32,
}

/// The functions on the root bus.
pub(crate) const PCI_DEVICES: &[PciSpec] = &[
    PciSpec {
        name: "MCHC",
        loc: "0",
        vendor: 0x8086,
        device: 0x3ec4,
        class: 0x060000,
    },
    PciSpec {
        name: "IGPU",
        loc: "2",
        vendor: 0x8086,
        device: 0x3e9b,
        class: 0x030000,
    },
    PciSpec {
        name: "XHC1",
        loc: "14",
        vendor: 0x8086,
        device: 0xa36d,
        class: 0x0c0330,
    },
    PciSpec {
        name: "PMCR",
        loc: "14,2",
        vendor: 0x8086,
        device: 0xa36f,
        class: 0x050000,
    },
    PciSpec {
        name: "HECI",
        loc: "16",
        vendor: 0x8086,
        device: 0xa360,
        class: 0x078000,
    },
    PciSpec {
        name: "LPCB",
        loc: "1f",
        vendor: 0x8086,
        device: 0xa30d,
        class: 0x060100,
    },
    PciSpec {
        name: "HDEF",
        loc: "1f,3",
        vendor: 0x8086,
        device: 0xa348,
        class: 0x040300,
    },
    PciSpec {
        name: "SBUS",
        loc: "1f,4",
        vendor: 0x8086,
        device: 0xa323,
        class: 0x0c0500,
    },
];

/// The root ports and the endpoint behind each (the endpoint's location is `0`).
pub(crate) const ROOT_PORTS: &[(&str, PciSpec)] = &[
    ("RP01", endpoint("PXSX", 0x106b, 0x2005, 0x010802)),
    ("RP05", endpoint("ARPT", 0x14e4, 0x43dc, 0x028000)),
    ("RP09", endpoint("TBT0", 0x8086, 0x15ea, 0x088000)),
    ("RP17", endpoint("TBT1", 0x8086, 0x15ea, 0x088000)),
];

const fn endpoint(name: &'static str, vendor: u16, device: u16, class: u32) -> PciSpec {
    PciSpec {
        name,
        loc: "0",
        vendor,
        device,
        class,
    }
}

/// The USB device `--demo-hotplug` unplugs and replugs.
pub const HOTPLUG_DEVICE: &str = "USB Flash Drive";

/// One interface of a USB device and the driver chain above it (class, name).
#[derive(Debug)]
pub(crate) struct IfaceSpec {
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
    pub drivers: &'static [&'static str],
    pub user_client: bool,
}

/// What a USB device says it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsbProduct {
    pub name: &'static str,
    /// The vendor string's bytes (not always UTF-8: old devices report MacRoman).
    pub vendor: &'static [u8],
    pub id_vendor: u16,
    pub id_product: u16,
}

/// A USB device that can be unplugged and replugged.
#[derive(Debug)]
pub(crate) struct UsbSpec {
    pub product: UsbProduct,
    pub speed: u8,
    pub serial: Option<&'static str>,
    pub port: usize,
    pub interfaces: &'static [IfaceSpec],
    pub user_client: bool,
}

pub(crate) const HID_IFACE: IfaceSpec = IfaceSpec {
    class: 3,
    subclass: 1,
    protocol: 1,
    drivers: &["IOUSBHostHIDDevice", "IOHIDInterface", "IOHIDEventDriver"],
    user_client: false,
};

pub(crate) const USB_DEVICES: &[UsbSpec] = &[
    UsbSpec {
        product: UsbProduct {
            name: "Magic Keyboard",
            vendor: b"Apple Inc.",
            id_vendor: 0x05ac,
            id_product: 0x029c,
        },
        speed: 2,
        serial: Some("F0T8403C1Q2J1KLAJ"),
        port: 0,
        interfaces: &[
            HID_IFACE,
            IfaceSpec {
                protocol: 0,
                ..HID_IFACE
            },
        ],
        user_client: false,
    },
    UsbSpec {
        product: UsbProduct {
            name: HOTPLUG_DEVICE,
            // MacRoman bytes in a vendor string (0x8e is 'é'), as old devices report them.
            vendor: b"Caf\x8e Devices",
            id_vendor: 0x0781,
            id_product: 0x5583,
        },
        speed: 3,
        serial: Some("4C530001230531117185"),
        port: 13,
        interfaces: &[IfaceSpec {
            class: 8,
            subclass: 6,
            protocol: 0x50,
            drivers: &[
                "IOUSBMassStorageInterfaceNub",
                "IOUSBMassStorageDriver",
                "IOSCSILogicalUnitNub",
                "IOSCSIPeripheralDeviceType00",
                "IOBlockStorageServices",
                "IOBlockStorageDriver",
                "IOMedia",
                "IOFDiskPartitionScheme",
                "IOMedia",
                "IOMediaBSDClient",
            ],
            user_client: false,
        }],
        user_client: false,
    },
    UsbSpec {
        product: UsbProduct {
            name: "iPhone",
            vendor: b"Apple Inc.",
            id_vendor: 0x05ac,
            id_product: 0x12a8,
        },
        speed: 3,
        serial: Some("00008110000A1C2E3E90801E"),
        port: 1,
        interfaces: &[
            IfaceSpec {
                class: 6,
                subclass: 1,
                protocol: 1,
                drivers: &[],
                user_client: false,
            },
            IfaceSpec {
                class: 255,
                subclass: 254,
                protocol: 2,
                drivers: &[],
                user_client: true,
            },
            IfaceSpec {
                class: 255,
                subclass: 253,
                protocol: 1,
                drivers: &[],
                user_client: false,
            },
        ],
        user_client: true,
    },
    UsbSpec {
        product: UsbProduct {
            name: "USB Receiver",
            vendor: b"Logitech",
            id_vendor: 0x046d,
            id_product: 0xc52b,
        },
        speed: 1,
        serial: None,
        port: 2,
        interfaces: &[
            HID_IFACE,
            IfaceSpec {
                protocol: 2,
                ..HID_IFACE
            },
            IfaceSpec {
                protocol: 0,
                ..HID_IFACE
            },
        ],
        user_client: false,
    },
];

/// Internal USB devices the machine keeps plugged in.
pub(crate) const BLUETOOTH_CONTROLLER: UsbProduct = UsbProduct {
    name: "Bluetooth USB Host Controller",
    vendor: b"Apple Inc.",
    id_vendor: 0x05ac,
    id_product: 0x8290,
};
pub(crate) const USB2_HUB: UsbProduct = UsbProduct {
    name: "USB2.0 Hub",
    vendor: b"Genesys Logic",
    id_vendor: 0x05e3,
    id_product: 0x0610,
};

/// More products a generated registry plugs in (besides the machine's).
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
const MORE_USB_PRODUCTS: &[UsbProduct] = &[
    UsbProduct {
        name: "Apple Internal Keyboard / Trackpad",
        vendor: b"Apple Inc.",
        id_vendor: 0x05ac,
        id_product: 0x027e,
    },
    UsbProduct {
        name: "Magic Keyboard with Touch ID",
        vendor: b"Apple Inc.",
        id_vendor: 0x05ac,
        id_product: 0x029a,
    },
    UsbProduct {
        name: "Cl\u{e9} USB 3.0",
        vendor: b"SanDisk",
        id_vendor: 0x0781,
        id_product: 0x5581,
    },
    UsbProduct {
        name: "FaceTime HD Camera (Built-in)",
        vendor: b"Apple Inc.",
        id_vendor: 0x05ac,
        id_product: 0x8514,
    },
    UsbProduct {
        name: "Archie\u{2019}s Keyboard",
        vendor: b"Keychron",
        id_vendor: 0x3434,
        id_product: 0x0281,
    },
];

/// Every USB product in the catalogue: the machine's devices, then the others.
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
pub(crate) fn usb_products() -> impl Iterator<Item = UsbProduct> {
    USB_DEVICES
        .iter()
        .map(|d| d.product)
        .chain([BLUETOOTH_CONTROLLER, USB2_HUB])
        .chain(MORE_USB_PRODUCTS.iter().copied())
}

/// The bundle identifier of the kext that holds `class`.
pub(crate) fn bundle_for(class: &str) -> String {
    let family = if class.starts_with("IOUSB") || class.starts_with("AppleUSB") {
        "iokit.IOUSBHostFamily"
    } else if class.starts_with("IOHID") {
        "iokit.IOHIDFamily"
    } else if class.starts_with("IOPCI")
        || class.starts_with("IOACPI")
        || class.starts_with("AppleACPI")
    {
        "driver.AppleACPIPlatform"
    } else if class.contains("Storage") || class.contains("Media") || class.contains("Partition") {
        "iokit.IOStorageFamily"
    } else if class.starts_with("IOThunderbolt") || class.starts_with("AppleThunderbolt") {
        "iokit.IOThunderboltFamily"
    } else if class.starts_with("IO") {
        "kernel"
    } else {
        return format!("com.apple.driver.{class}");
    };
    format!("com.apple.{family}")
}

/// The superclass of `class`: from [`CLASSES`], and `IOService` for a kext service.
pub(crate) fn superclass(class: &str) -> Option<&'static str> {
    CLASSES
        .iter()
        .find(|(c, _)| *c == class)
        .map(|(_, s)| *s)
        .or_else(|| KEXT_SERVICES.contains(&class).then_some("IOService"))
}

/// The `&'static str` for a class of the catalogue (`IOService` for an unknown one).
pub(crate) fn class_name(class: &str) -> &'static str {
    CLASSES
        .iter()
        .map(|(c, _)| c)
        .chain(KEXT_SERVICES)
        .find(|c| **c == class)
        .copied()
        .unwrap_or("IOService")
}

/// The class chain of `class`, base first (`IORegistryEntry` … `class`); `OSObject` above
/// the root class is left out, as `ioreg -i` does.
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
pub(crate) fn class_chain(class: &'static str) -> Vec<&'static str> {
    let mut chain = vec![class];
    while let Some(s) = superclass(chain[chain.len() - 1]).filter(|s| *s != "OSObject") {
        if chain.len() > 64 {
            break;
        }
        chain.push(s);
    }
    chain.reverse();
    chain
}

/// The user-client classes of the catalogue (subclasses of `IOUserClient` a process opens).
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
pub(crate) fn user_client_classes() -> Vec<&'static str> {
    CLASSES
        .iter()
        .filter(|(c, s)| *s == "IOUserClient" && *c != "IOUserServer")
        .map(|(c, _)| *c)
        .collect()
}

// --- Value builders ------------------------------------------------------------------------

pub(crate) fn s(v: &str) -> Value {
    Value::string(v)
}
pub(crate) fn i32v(v: i64) -> Value {
    Value::Integer(Integer::signed(v, 32))
}
pub(crate) fn u32v(v: u64) -> Value {
    Value::Integer(Integer::unsigned(v, 32))
}
pub(crate) fn u64v(v: u64) -> Value {
    Value::u64(v)
}
pub(crate) fn data(v: &[u8]) -> Value {
    Value::Data(v.into())
}
/// A NUL-terminated string as data, as the device tree stores names (`<"PNP0A08">`).
pub(crate) fn data_str(v: &str) -> Value {
    let mut bytes = v.as_bytes().to_vec();
    bytes.push(0);
    Value::Data(bytes.into())
}
/// A little-endian 32-bit cell as data (`<86800000>`).
pub(crate) fn data_u32(v: u32) -> Value {
    Value::Data(Box::new(v.to_le_bytes()))
}
pub(crate) fn dict(kv: Vec<(&str, Value)>) -> Value {
    Value::Dict(kv.into_iter().map(|(k, v)| (Text::from(k), v)).collect())
}
pub(crate) fn props(kv: Vec<(&str, Value)>) -> Properties {
    kv.into_iter().map(|(k, v)| (Text::from(k), v)).collect()
}
