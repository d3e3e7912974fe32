//! The decoders on bytes quoted from corpus dumps (the corpus itself is read by
//! `tests/it/values.rs`).

use super::*;

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn ig_platform_id_reads_little_endian_first() {
    // macbookpro15-2: "AAPL,ig-platform-id" = <0400a53e>
    let v = data_views(
        "AAPL,ig-platform-id",
        &bytes("0400a53e"),
        &Context::default(),
    );
    assert_eq!(v[0].name, "le32");
    assert_eq!(v[0].text, "0x3ea50004");
    assert_eq!(v[0].display(), "0x3ea50004 (1051000836)");
    assert_eq!(v.last().unwrap().name, "hex");
    assert_eq!(v.last().unwrap().text, "0400a53e");
}

#[test]
fn compatible_is_a_string_list() {
    let b = b"pci1028,7a0\0pci8086,5904\0pciclass,060000\0";
    let v = data_views("compatible", b, &Context::default());
    assert_eq!(
        v[0].text,
        r#""pci1028,7a0", "pci8086,5904", "pciclass,060000""#
    );
    assert!(strings(&[0x01, 0x02]).is_none());
}

#[test]
fn mac_takes_the_first_six_bytes() {
    assert_eq!(
        mac(&bytes("061ca8e1d39500000000")).unwrap().text,
        "06:1c:a8:e1:d3:95"
    );
    let v = data_views("IOMACAddress", &bytes("441ca8e1d395"), &Context::default());
    assert_eq!(v[0].text, "44:1c:a8:e1:d3:95");
}

#[test]
fn edid_names_maker_mode_and_text() {
    let b = bytes(
        "00ffffffffffff000610f39c0000000023140103801a0e780aef05975754922722505400000001010101010101010101010101010101201c5686500020300e381300009000000018000000010006102000000000000000000a20000000fe004c544831313641543031413031000000fc00436f6c6f72204c43440a20202000af",
    );
    let v = edid(&b).unwrap();
    assert!(
        v.text
            .starts_with("APP product 0x9cf3 serial 0 26x14 cm, 1366x768"),
        "{}",
        v.text
    );
    assert!(v.text.contains("text \"LTH116AT01A01\""), "{}", v.text);
    assert!(v.text.contains("name \"Color LCD\""), "{}", v.text);
    assert!(edid(&b[..100]).is_none());
}

#[test]
fn reg_splits_by_the_parents_cells() {
    let cx = Context {
        cells: Some((3, 2)),
        big_endian: false,
        model: None,
    };
    let b =
        bytes("00a000000000000000000000000000000000000010a0000200000000000000000000000000000100");
    assert_eq!(
        reg_cells(&b, &cx).unwrap().text,
        "0x0000a000:0x0 size 0x0; 0x0200a010:0x0 size 0x10000"
    );
    let ppc = Context {
        cells: Some((1, 1)),
        big_endian: true,
        model: None,
    };
    assert_eq!(
        reg_cells(&bytes("8000000000001000"), &ppc).unwrap().text,
        "0x80000000 size 0x1000"
    );
    assert!(reg_cells(&b, &Context::default()).is_none());
}

#[test]
fn cells_tell_their_byte_order() {
    assert_eq!(small_cell(&bytes("03000000")), (3, false));
    assert_eq!(small_cell(&bytes("00000001")), (1, true));
}

#[test]
fn link_status_shows_its_fields() {
    let v = integer_views("IOPCIExpressLinkStatus", &Integer::unsigned(0x1043, 32));
    assert_eq!(v[0].text, "speed=3 width=4 training=0");
    assert_eq!(v[1].text, "0x1043");
}

#[test]
fn uuid_and_fourcc() {
    assert_eq!(
        uuid(&bytes("00112233445566778899aabbccddeeff"))
            .unwrap()
            .text,
        "00112233-4455-6677-8899-AABBCCDDEEFF"
    );
    assert_eq!(fourcc(b"AAPL").unwrap().text, "'AAPL'");
    assert!(fourcc(&[0, 1, 2, 3]).is_none());
}
