//! Bad input on the command line: `ioscope` exits non-zero with exactly one stderr line,
//! `ioscope: FILE:LINE: …` (text) or `ioscope: FILE: byte N: …` (plists), never a panic.

use crate::common::ioscope_bin;
use std::process::Command;

/// Where the one stderr line says the problem is.
#[derive(Debug)]
enum At {
    Line(usize),
    Byte(u64),
}

/// Runs `ioscope ARGS… FILE` on `bytes` and returns the position its one error line names.
fn error_position(bytes: &[u8], file: &str, args: &[&str]) -> (At, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(ioscope_bin())
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success(), "{file}: exit {:?}", out.status);
    assert_eq!(out.status.code(), Some(1), "{file}: {stderr}");
    assert!(out.stdout.is_empty(), "{file}: wrote to stdout");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{file}: one stderr line, got {stderr:?}");
    let line = lines[0];
    assert!(!line.contains("panicked"), "{line}");
    let prefix = format!("ioscope: {}", path.display());
    let rest = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("names the file: {line}"));
    let at = if let Some(r) = rest.strip_prefix(": byte ") {
        let (n, msg) = r.split_once(": ").expect("byte N: message");
        (At::Byte(n.parse().expect("a byte offset")), msg.to_owned())
    } else if let Some(r) = rest.strip_prefix(':') {
        let (n, msg) = r.split_once(": ").expect("LINE: message");
        (At::Line(n.parse().expect("a line number")), msg.to_owned())
    } else {
        panic!("no position: {line}");
    };
    assert!(!at.1.is_empty() && at.1.starts_with("expected"), "{line}");
    at
}

fn byte_in(bytes: &[u8], at: (At, String)) -> u64 {
    match at.0 {
        At::Byte(n) => {
            assert!(n <= bytes.len() as u64, "byte {n} of {}", bytes.len());
            n
        }
        At::Line(n) => panic!("a plist error names a byte, got line {n}: {}", at.1),
    }
}

fn line_in(bytes: &[u8], at: (At, String)) -> usize {
    match at.0 {
        At::Line(n) => {
            assert!(
                n >= 1 && n <= bytes.split(|&b| b == b'\n').count(),
                "line {n}"
            );
            n
        }
        At::Byte(n) => panic!("a text error names a line, got byte {n}: {}", at.1),
    }
}

const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>IORegistryEntryName</key>
	<string>Root</string>
	<key>IOObjectClass</key>
	<string>IORegistryEntry</string>
	<key>IORegistryEntryChildren</key>
	<array>
		<dict>
			<key>IORegistryEntryName</key>
			<string>MacPro4,1</string>
			<key>IOObjectClass</key>
			<string>IOPlatformExpertDevice</string>
		</dict>
	</array>
</dict>
</plist>
"#;

fn binary_archive() -> Vec<u8> {
    let v = plist::Value::from_reader_xml(XML.as_bytes()).unwrap();
    let mut out = Vec::new();
    v.to_writer_binary(&mut out).unwrap();
    out
}

#[test]
fn the_inputs_are_good_before_they_are_broken() {
    for (bytes, file) in [
        (XML.as_bytes().to_vec(), "good.plist"),
        (binary_archive(), "good.bplist"),
        (TEXT.as_bytes().to_vec(), "good.txt"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file);
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new(ioscope_bin())
            .arg("stats")
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}: {out:?}");
    }
}

#[test]
fn a_truncated_xml_plist() {
    let cut = &XML.as_bytes()[..XML.find("<string>MacPro4,1").unwrap() + 4];
    let at = byte_in(cut, error_position(cut, "cut.plist", &["stats"]));
    assert!(at > 300, "near the cut, not at the start: {at}");
}

#[test]
fn a_garbage_binary_file() {
    let mut junk = vec![0u8, 0xff, 0xfe, 0x80, 0x01];
    junk.extend((0..2000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    // Read as text (no plist magic): the first line is no tree line.
    assert_eq!(
        line_in(&junk, error_position(&junk, "junk.bin", &["stats"])),
        1
    );
    // With a binary plist's magic: the plist readers name a byte.
    let mut magic = b"bplist00".to_vec();
    magic.extend_from_slice(&junk);
    byte_in(&magic, error_position(&magic, "junk.bplist", &["stats"]));
}

#[test]
fn a_truncated_binary_plist() {
    let good = binary_archive();
    for keep in [good.len() / 2, good.len() - 5, 20] {
        let cut = &good[..keep];
        byte_in(cut, error_position(cut, "cut.bplist", &["dump"]));
    }
}

#[test]
fn a_truncated_iorex_document() {
    // A keyed archive naming RexDataStore, cut before its trailer.
    let mut objects = vec![
        plist::Value::String("$null".into()),
        plist::Value::String("RexDataStore".into()),
    ];
    objects.push(plist::Value::String("x".repeat(300)));
    let mut top = plist::Dictionary::new();
    top.insert("$archiver".into(), "NSKeyedArchiver".into());
    top.insert("$objects".into(), plist::Value::Array(objects));
    let mut doc = Vec::new();
    plist::Value::Dictionary(top)
        .to_writer_binary(&mut doc)
        .unwrap();
    let cut = &doc[..doc.len() - 40];
    let (at, msg) = error_position(cut, "cut.ioreg", &["stats"]);
    byte_in(cut, (at, msg));
}

const TEXT: &str = "+-o Root  <class IORegistryEntry, id 0x100000100, retain 11>
  +-o MacPro4,1  <class IOPlatformExpertDevice, id 0x10000010f, registered, matched, active, busy 0 (1 ms), retain 20>
    +-o AppleACPIPlatformExpert  <class AppleACPIPlatformExpert, id 0x100000110, registered, matched, active, busy 0 (3 ms), retain 35>
";

#[test]
fn a_text_file_with_a_broken_header_line() {
    // The second tree line stops in the middle of its fields, and the file goes on.
    let broken = TEXT.replace("busy 0 (1 ms), retain 20>", "busy 0 (1");
    let bytes = broken.as_bytes();
    assert_eq!(
        line_in(bytes, error_position(bytes, "broken.txt", &["stats"])),
        2
    );
}
