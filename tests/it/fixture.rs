//! A small hand-written registry for tests that need a dump's worth of entries without
//! a kernel: every value type and a few planes.

use ioscope::registry::{Entry, EntryId, Integer, Registry, ServiceInfo, ServiceState, Value};

fn service(busy: u32) -> ServiceState {
    ServiceState::Service(ServiceInfo {
        state: ServiceInfo::REGISTERED | ServiceInfo::MATCHED,
        busy: Some(busy),
        busy_time_ns: Some(1_000_000),
    })
}

fn add(
    r: &mut Registry,
    name: &str,
    loc: Option<&str>,
    chain: &[&str],
    id: u64,
    props: Vec<(&str, Value)>,
) -> EntryId {
    let class = r.classes.intern_chain(chain.iter().copied());
    r.add_entry(Entry {
        id: Some(id),
        name: name.into(),
        location: loc.map(Into::into),
        class,
        retain: Some(5 + (id % 7) as u32),
        state: service(0),
        properties: props.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        is_root: false,
        synthetic: false,
    })
}

/// The sample registry: a root, a platform expert, a PCI bridge, a USB controller with devices.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    let base = ["IORegistryEntry"];
    let svc = ["IORegistryEntry", "IOService"];
    let root = add(
        &mut r,
        "Root",
        None,
        &base,
        0x100000100,
        vec![(
            "IOKitBuildVersion",
            Value::string("Darwin Kernel Version 24.0.0"),
        )],
    );
    r.entry_mut(root).is_root = true;
    let pe = add(
        &mut r,
        "Mac14,2",
        None,
        &["IORegistryEntry", "IOService", "IOPlatformExpertDevice"],
        0x100000110,
        vec![
            ("model", Value::Data(b"Mac14,2\0".to_vec().into())),
            ("IOPlatformSerialNumber", Value::string("C02SAMPLE0")),
        ],
    );
    let arm = add(
        &mut r,
        "AppleARMPE",
        None,
        &[
            "IORegistryEntry",
            "IOService",
            "IOPlatformExpert",
            "AppleARMPE",
        ],
        0x100000120,
        vec![],
    );
    let usb = add(
        &mut r,
        "usb-drd0",
        Some("2280000"),
        &svc,
        0x100000200,
        vec![],
    );
    let xhc = add(
        &mut r,
        "XHC1",
        None,
        &[
            "IORegistryEntry",
            "IOService",
            "IOUSBHostController",
            "AppleT8112USBXHCI",
        ],
        0x100000210,
        vec![
            (
                "kUSBSleepPortCurrentLimit",
                Value::Integer(Integer::unsigned(2100, 32)),
            ),
            (
                "IOPowerManagement",
                Value::Dict(vec![
                    ("CurrentPowerState".into(), Value::u64(2)),
                    ("MaxPowerState".into(), Value::u64(2)),
                    ("DevicePowerState".into(), Value::u64(2)),
                ]),
            ),
        ],
    );
    let kb = add(
        &mut r,
        "Magic Keyboard",
        Some("01100000"),
        &["IORegistryEntry", "IOService", "IOUSBHostDevice"],
        0x100000300,
        vec![
            (
                "USB Product Name",
                Value::string("Magic Keyboard with Touch ID"),
            ),
            ("idVendor", Value::Integer(Integer::unsigned(0x5ac, 32))),
            ("idProduct", Value::Integer(Integer::unsigned(0x29a, 32))),
            (
                "locationID",
                Value::Integer(Integer::signed(0x01100000, 32)),
            ),
            (
                "kUSBCurrentConfiguration",
                Value::Integer(Integer::unsigned(1, 8)),
            ),
            ("Built-In", Value::Bool(false)),
            (
                "USB Serial Number",
                Value::Raw {
                    text: "F0T12345 <clipped".into(),
                    clipped: true,
                },
            ),
            (
                "kUSBPreferredConfiguration",
                Value::Array(vec![Value::u64(1)]),
            ),
            (
                "sessionID",
                Value::Date(ioscope::registry::Date(760_000_000.0)),
            ),
            ("bMaxPacketSize0", Value::Real(64.0)),
        ],
    );
    let kbif = add(
        &mut r,
        "Keyboard / Boot",
        Some("0"),
        &["IORegistryEntry", "IOService", "IOUSBHostInterface"],
        0x100000310,
        vec![("bInterfaceClass", Value::Integer(Integer::unsigned(3, 8)))],
    );
    let hub = add(
        &mut r,
        "USB3.1 Hub",
        Some("01200000"),
        &["IORegistryEntry", "IOService", "IOUSBHostDevice"],
        0x100000400,
        vec![("USB Product Name", Value::string("USB3.1 Hub"))],
    );
    let disp = add(
        &mut r,
        "disp0",
        Some("6000000"),
        &svc,
        0x100000500,
        vec![("compatible", Value::Data(b"disp0,t8112\0".to_vec().into()))],
    );
    let gpu = add(
        &mut r,
        "AGXAcceleratorG14G",
        None,
        &[
            "IORegistryEntry",
            "IOService",
            "IOAccelerator",
            "AGXAccelerator",
        ],
        0x100000600,
        vec![],
    );
    let cpus = add(&mut r, "cpus", None, &base, 0x100000700, vec![]);
    r.entry_mut(cpus).state = ServiceState::NotService;
    let cpu: Vec<EntryId> = (0..4)
        .map(|i| {
            add(
                &mut r,
                &format!("cpu{i}"),
                Some(&format!("{i}")),
                &svc,
                0x100000710 + i,
                vec![("cpu-id", Value::Integer(Integer::unsigned(i, 32)))],
            )
        })
        .collect();
    let p = r.plane_mut("IOService");
    p.add_root(root);
    p.add_child(root, pe);
    p.add_child(pe, arm);
    p.add_child(arm, usb);
    p.add_child(usb, xhc);
    p.add_child(xhc, kb);
    p.add_child(kb, kbif);
    p.add_child(xhc, hub);
    p.add_child(arm, disp);
    p.add_child(disp, gpu);
    let dt = r.plane_mut("IODeviceTree");
    dt.add_root(root);
    dt.add_child(root, pe);
    dt.add_child(pe, cpus);
    for c in cpu {
        dt.add_child(cpus, c);
    }
    dt.add_child(pe, usb);
    dt.add_child(pe, disp);
    let pw = r.plane_mut("IOPower");
    pw.add_root(root);
    pw.add_child(root, xhc);
    pw.add_child(xhc, kb);
    r
}
