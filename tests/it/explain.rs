//! `ioscope explain`: every row of the embedded table, the three numeric input forms, names,
//! unknown codes and unreadable input, through the built binary.

use crate::common::ioscope_bin;
use ioscope::kernel::{KernReturn, RowKind, code_table};
use std::process::{Command, Output};

fn explain(arg: &str) -> Output {
    Command::new(ioscope_bin())
        .args(["explain", arg])
        .output()
        .expect("run ioscope explain")
}

fn explain_ok(arg: &str) -> String {
    let out = explain(arg);
    assert!(
        out.status.success(),
        "explain {arg}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn every_row_of_the_table_is_named_by_its_value() {
    let rows = code_table();
    assert!(rows.len() > 200, "the table is embedded whole");
    for row in rows {
        let hex = format!("{:#010x}", row.value);
        let text = explain_ok(&hex);
        assert!(text.starts_with(&hex), "{hex}: {text}");
        assert!(
            text.contains(row.name),
            "{hex} should name {}: {text}",
            row.name
        );
        assert!(
            text.contains(row.meaning),
            "{hex} should say {}",
            row.meaning
        );
    }
}

#[test]
fn every_code_name_is_accepted_as_input() {
    for row in code_table().iter().filter(|r| r.kind == RowKind::Code) {
        let text = explain_ok(row.name);
        assert!(
            text.starts_with(&format!("{:#010x}", row.value)),
            "{}: {text}",
            row.name
        );
    }
}

#[test]
fn hex_decimal_and_negative_forms_agree() {
    let hex = explain_ok("0x10000003");
    assert_eq!(explain_ok("268435459"), hex);
    assert!(hex.contains("MACH_SEND_INVALID_DEST"));
    assert!(hex.contains("err_mach_ipc"));

    let negative = explain_ok("-536870212");
    assert_eq!(explain_ok("0xe00002bc"), negative);
    assert!(negative.starts_with("0xe00002bc"), "{negative}");
    assert!(negative.contains("kIOReturnError"));
    assert!(negative.contains("sub_iokit_common"));
    assert!(negative.contains("-536870212"));
}

#[test]
fn zero_lists_every_name_of_success() {
    let text = explain_ok("0");
    for name in ["KERN_SUCCESS", "MACH_MSG_SUCCESS", "kIOReturnSuccess"] {
        assert!(text.contains(name), "{name}: {text}");
    }
}

#[test]
fn unknown_codes_get_their_split_and_subsystem() {
    let usb = explain_ok("0xe0004061");
    assert!(usb.contains("not in the table"), "{usb}");
    assert!(usb.contains("sub_iokit_usb"), "{usb}");
    assert!(usb.contains("0x0061"), "{usb}");

    let kern = explain_ok("0x39");
    assert!(
        kern.contains("not in the table") && kern.contains("err_kern"),
        "{kern}"
    );

    let table_value = |v: u32| code_table().iter().any(|r| r.value == v);
    assert!(!table_value(0xe000_4061) && !table_value(0x39));
    assert!(!KernReturn(0x39).explain().is_known());
}

#[test]
fn unreadable_input_fails_clearly() {
    for bad in ["0xzz", "4294967296", "-2147483649", "banana", ""] {
        let out = explain(bad);
        assert!(!out.status.success(), "{bad:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not a return code"), "{bad:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn hex_without_0x_reads_as_hex() {
    let bare = explain_ok("e00002bc");
    assert_eq!(bare, explain_ok("0xe00002bc"));
    assert!(bare.contains("kIOReturnError"), "{bare}");
}

#[test]
fn a_bare_code_field_suggests_the_iokit_code() {
    let text = explain_ok("0x2c2");
    assert!(text.contains("not in the table"), "{text}");
    assert!(
        text.contains("0xe00002c2 kIOReturnBadArgument"),
        "suggests the IOReturn: {text}"
    );
}
