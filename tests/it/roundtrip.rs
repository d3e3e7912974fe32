//! `ioscope dump --format plist` of an `ioreg -a` archive gives back the same plist: an
//! `ioreg -a -r` array stays an array, no key is added or dropped, values are exact, and a
//! class equal to its entry's name (AppleUSBInterface, or what 2011–2019 `ioreg` wrote for
//! every entry) is kept as written. ioscope's own keys appear only with `--annotate`.

use crate::common::ioscope_bin;
use std::process::Command;

/// What `ioreg -a -r -c AppleUSBInterface` prints (keys sorted as CoreFoundation writes
/// them): two subtrees, an interface whose class equals its name, a child below it.
const IOREG_A_R: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<array>
	<dict>
		<key>IOCFPlugInTypes</key>
		<dict>
			<key>2d9786c6-9ef3-11d4-ad51-000a27052861</key>
			<string>IOUSBFamily.kext/Contents/PlugIns/IOUSBLib.bundle</string>
		</dict>
		<key>IOObjectClass</key>
		<string>AppleUSBInterface</string>
		<key>IOObjectRetainCount</key>
		<integer>7</integer>
		<key>IORegistryEntryChildren</key>
		<array>
			<dict>
				<key>HIDDefaultBehavior</key>
				<string></string>
				<key>IOObjectClass</key>
				<string>IOUSBHostHIDDevice</string>
				<key>IOObjectRetainCount</key>
				<integer>12</integer>
				<key>IORegistryEntryID</key>
				<integer>4294969876</integer>
				<key>IORegistryEntryName</key>
				<string>IOUSBHostHIDDevice</string>
				<key>IOServiceBusyState</key>
				<integer>0</integer>
				<key>IOServiceBusyTime</key>
				<integer>5291</integer>
				<key>IOServiceState</key>
				<integer>30</integer>
				<key>MaxInputReportSize</key>
				<integer>8</integer>
				<key>ReportDescriptor</key>
				<data>
				BQEJBqEBBQcZ4CnnFQAlAXUBlQiBApUBdQiBAQ==
				</data>
				<key>Transport</key>
				<string>USB</string>
				<key>VersionNumber</key>
				<integer>273</integer>
			</dict>
		</array>
		<key>IORegistryEntryID</key>
		<integer>4294969870</integer>
		<key>IORegistryEntryLocation</key>
		<string>14100000</string>
		<key>IORegistryEntryName</key>
		<string>AppleUSBInterface</string>
		<key>IOServiceBusyState</key>
		<integer>0</integer>
		<key>IOServiceBusyTime</key>
		<integer>16291</integer>
		<key>IOServiceState</key>
		<integer>30</integer>
		<key>bInterfaceClass</key>
		<integer>3</integer>
		<key>bInterfaceNumber</key>
		<integer>0</integer>
		<key>idProduct</key>
		<integer>615</integer>
		<key>kUSBSupportsIPhoneOS</key>
		<true/>
		<key>negative</key>
		<integer>-5</integer>
		<key>ratio</key>
		<real>0.5</real>
		<key>when</key>
		<date>2024-03-05T10:11:12Z</date>
	</dict>
	<dict>
		<key>IOObjectClass</key>
		<string>AppleUSBInterface</string>
		<key>IOObjectRetainCount</key>
		<integer>6</integer>
		<key>IORegistryEntryID</key>
		<integer>4294969871</integer>
		<key>IORegistryEntryLocation</key>
		<string>14100001</string>
		<key>IORegistryEntryName</key>
		<string>AppleUSBInterface</string>
		<key>IOServiceBusyState</key>
		<integer>0</integer>
		<key>IOServiceBusyTime</key>
		<integer>1000</integer>
		<key>IOServiceState</key>
		<integer>30</integer>
		<key>bInterfaceNumber</key>
		<integer>1</integer>
		<key>list</key>
		<array>
			<integer>1</integer>
			<string>two</string>
			<dict/>
		</array>
	</dict>
</array>
</plist>
"#;

/// A plist value with every dict's keys sorted (CF writes dicts sorted; order carries no
/// meaning in a plist).
fn canonical(v: plist::Value) -> plist::Value {
    match v {
        plist::Value::Dictionary(d) => {
            let mut pairs: Vec<(String, plist::Value)> =
                d.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            plist::Value::Dictionary(pairs.into_iter().collect())
        }
        plist::Value::Array(a) => plist::Value::Array(a.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn dump_plist(input: &str, extra: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usb.plist");
    std::fs::write(&file, input).unwrap();
    let out = Command::new(ioscope_bin())
        .args(["dump", file.to_str().unwrap(), "--format", "plist"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn an_ioreg_a_r_archive_dumps_back_to_the_same_plist() {
    let written = dump_plist(IOREG_A_R, &[]);
    let original = canonical(plist::from_bytes(IOREG_A_R.as_bytes()).unwrap());
    let back = canonical(plist::from_bytes(&written).unwrap());
    assert!(back.as_array().is_some(), "an array stays an array");
    assert_eq!(back, original);
    assert!(
        !String::from_utf8_lossy(&written).contains("ioscope:"),
        "no ioscope keys without --annotate"
    );
}

#[test]
fn classes_equal_to_names_are_kept_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usb.plist");
    // Every entry's class equals its name: what 2011–2019 `ioreg -a` wrote, and what is true
    // of AppleUSBInterface entries. Kept as written, and the load report says why it may be
    // doubtful.
    std::fs::write(&file, IOREG_A_R).unwrap();
    let r = ioscope::formats::load_file(&file).unwrap();
    let classes: Vec<_> = r.entries().map(|(id, _)| r.class_name(id)).collect();
    assert_eq!(
        classes,
        [
            Some("AppleUSBInterface"),
            Some("IOUSBHostHIDDevice"),
            Some("AppleUSBInterface")
        ]
    );
    assert!(
        r.report
            .warnings
            .iter()
            .any(|w| w.contains("IOObjectClass equals the entry name")),
        "{:?}",
        r.report.warnings
    );
    let text = Command::new(ioscope_bin())
        .args(["dump", file.to_str().unwrap(), "--format", "text"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains("+-o AppleUSBInterface@14100000  <class AppleUSBInterface, id 0x100000a0e"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}

#[test]
fn annotate_adds_ioscope_keys_and_reads_back_losslessly() {
    let written = dump_plist(IOREG_A_R, &["--annotate"]);
    let text = String::from_utf8_lossy(&written);
    assert!(text.contains("<key>ioscope:format</key>"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("again.plist");
    std::fs::write(&file, &written).unwrap();
    let again = dump_plist(&text, &["--annotate"]);
    assert_eq!(
        canonical(plist::from_bytes(&again).unwrap()),
        canonical(plist::from_bytes(&written).unwrap())
    );
}
