use super::*;
use crate::formats::Position;
use proptest::prelude::*;
use std::time::UNIX_EPOCH;

/// Every event of a document, or the first error.
fn events(doc: &[u8]) -> Result<Vec<Event<'_>>, ReadError> {
    let mut s = Scanner::new(doc);
    let mut out = Vec::new();
    while let Some(ev) = s.next()? {
        out.push(ev);
    }
    Ok(out)
}

fn string(s: &str) -> Event<'static> {
    Event::String(Cow::Owned(s.to_owned()))
}

fn key(s: &str) -> Event<'static> {
    Event::Key(Cow::Owned(s.to_owned()))
}

fn error_of(doc: &str) -> ReadError {
    events(doc.as_bytes()).expect_err("must fail")
}

#[test]
fn reads_what_core_foundation_writes() {
    let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
        <plist version=\"1.0\">\n<dict>\n\t<key>IORegistryEntryName</key>\n\t<string>Root</string>\n\
        \t<key>n</key>\n\t<integer>22</integer>\n\t<key>on</key>\n\t<true/>\n\
        \t<key>list</key>\n\t<array>\n\t\t<false/>\n\t\t<real>1.5</real>\n\t</array>\n</dict>\n</plist>\n";
    assert_eq!(
        events(doc.as_bytes()).unwrap(),
        vec![
            Event::StartDict,
            key("IORegistryEntryName"),
            string("Root"),
            key("n"),
            Event::Integer(Integer::unsigned(22, 64)),
            key("on"),
            Event::Bool(true),
            key("list"),
            Event::StartArray,
            Event::Bool(false),
            Event::Real(1.5),
            Event::End,
            Event::End,
        ]
    );
}

#[test]
fn plain_text_is_borrowed_and_entities_are_decoded() {
    let doc = b"<array><string>plain</string><string>a &amp; b &lt;&gt; &quot;&apos; &#65;&#x263A;</string>\
        <string><![CDATA[<raw> & ]]>tail</string><key>x<!-- note -->y</key></array>";
    let evs = events(doc).unwrap();
    assert!(
        matches!(&evs[1], Event::String(Cow::Borrowed("plain"))),
        "{evs:?}"
    );
    assert_eq!(evs[2], string("a & b <> \"' A☺"));
    assert_eq!(evs[3], string("<raw> & tail"));
    assert_eq!(evs[4], key("xy"));
}

#[test]
fn empty_forms() {
    let doc = b"<plist><array><dict/><array/><string/><key></key><true></true><data></data>\
        <dict></dict></array></plist>";
    assert_eq!(
        events(doc).unwrap(),
        vec![
            Event::StartArray,
            Event::StartDict,
            Event::End,
            Event::StartArray,
            Event::End,
            string(""),
            key(""),
            Event::Bool(true),
            Event::Data(Vec::new()),
            Event::StartDict,
            Event::End,
            Event::End,
        ]
    );
    assert_eq!(events(b"<plist/>").unwrap(), vec![]);
    assert_eq!(
        events(b"\xef\xbb\xbf<plist><true/></plist>").unwrap(),
        vec![Event::Bool(true)]
    );
    assert_eq!(events(b"  \n").unwrap(), vec![]);
}

#[test]
fn integers_keep_sign_and_width() {
    let doc =
        b"<array><integer>18446744073709551615</integer><integer>-9223372036854775808</integer>\
        <integer>0xdeadBEEF</integer><integer> 7 </integer><integer>-1</integer></array>";
    assert_eq!(
        events(doc).unwrap()[1..6],
        [
            Event::Integer(Integer::unsigned(u64::MAX, 64)),
            Event::Integer(Integer::signed(i64::MIN, 64)),
            Event::Integer(Integer::unsigned(0xdead_beef, 64)),
            Event::Integer(Integer::unsigned(7, 64)),
            Event::Integer(Integer::signed(-1, 64)),
        ]
    );
    for bad in [
        "18446744073709551616",
        "-9223372036854775809",
        "zz",
        "",
        "0x",
    ] {
        let e = error_of(&format!("<array><integer>{bad}</integer></array>"));
        assert_eq!(e.at, Position::Byte(7), "{bad}: {e}");
        assert!(e.message.contains("64-bit integer"), "{e}");
    }
}

#[test]
fn data_dates_and_reals() {
    let doc = b"<array><data>\n\tTWFj\n\tQm9vaw==\n\t</data><date>2001-01-01T00:00:00Z</date>\
        <date>2020-01-09T20:58:23Z</date><real>-0.25</real></array>";
    let evs = events(doc).unwrap();
    assert_eq!(evs[1], Event::Data(b"MacBook".to_vec()));
    assert_eq!(evs[2], Event::Date(Date(0.0)));
    assert_eq!(evs[3], Event::Date(Date(600_296_303.0)));
    assert_eq!(evs[4], Event::Real(-0.25));
    for (bad, what) in [
        ("<data>!!!!</data>", "base64"),
        ("<date>yesterday</date>", "ISO 8601"),
        ("<real>one</real>", "number"),
        ("<true>x</true>", "nothing inside"),
    ] {
        let e = error_of(&format!("<array>{bad}</array>"));
        assert_eq!(e.at, Position::Byte(7), "{bad}: {e}");
        assert!(e.message.contains(what), "{bad}: {e}");
    }
}

/// Core Foundation ends a tag at its first `>`, quoted or not: `<string =">x</string>`
/// holds `x`, and a `>` inside a quoted attribute ends the tag there.
#[test]
fn a_tag_ends_at_its_first_angle_bracket_as_in_core_foundation() {
    let doc = b"<plist version=\"1.0\" x='a/'><string =\">x</string></plist>";
    assert_eq!(events(doc).unwrap(), vec![string("x")]);
    // `<string a="/>` is an empty string; what follows is stray text.
    let e = events(b"<array><string a=\"/>\">s</string></array>").unwrap_err();
    assert!(e.message.contains("found text"), "{e}");
}

#[test]
fn errors_name_the_byte_where_the_markup_begins() {
    let cases: &[(&str, u64, &str)] = &[
        ("<array></dict>", 7, "expected </array>, found </dict>"),
        (
            "<array><string>x</key></array>",
            16,
            "expected </string>, found </key>",
        ),
        (
            "<array><string>x",
            7,
            "expected </string>, found the end of the file",
        ),
        (
            "<array><string>a&b;</string></array>",
            16,
            "expected an entity",
        ),
        ("<array>", 7, "expected </array>, found the end of the file"),
        (
            "<dict> text </dict>",
            7,
            "expected an XML element, found text",
        ),
        ("<array><foo/></array>", 7, "found <foo>"),
        (
            "<array><string>a<b/></string></array>",
            16,
            "found an opening tag",
        ),
        ("<array><!-- open", 7, "`-->`"),
        ("</array>", 0, "closing nothing"),
        ("<array><string", 7, "`>` closing <string>"),
        ("<", 0, "element name"),
        ("<!ELEMENT x>", 0, "after `<!`"),
    ];
    for &(doc, at, what) in cases {
        let e = error_of(doc);
        assert_eq!(e.at, Position::Byte(at), "{doc}: {e}");
        assert!(e.message.contains(what), "{doc}: {e}");
        assert!(e.message.starts_with("expected"), "{doc}: {e}");
    }
}

#[test]
fn invalid_utf8_is_an_error_at_the_bad_byte() {
    let e = events(b"<array><string>ab\xffc</string></array>").expect_err("must fail");
    assert_eq!(e.at, Position::Byte(17), "{e}");
    assert!(e.message.contains("UTF-8"), "{e}");
}

#[test]
fn releases_the_bytes_behind_it() {
    let item = "<string>a value of some length, repeated</string>\n";
    let doc = format!("<array>{}</array>", item.repeat(300_000));
    let calls = std::cell::RefCell::new(Vec::new());
    let hook = |upto: usize| calls.borrow_mut().push(upto);
    let mut s = Scanner::releasing(doc.as_bytes(), &hook);
    let mut n = 0;
    while let Some(ev) = s.next().unwrap() {
        if let Event::String(_) = ev {
            n += 1;
            let released = calls.borrow().last().copied().unwrap_or(0);
            assert!(
                released < s.offset(),
                "released {released} at {}",
                s.offset()
            );
        }
    }
    assert_eq!(n, 300_000);
    assert!(calls.borrow().len() >= 2, "{:?}", calls.borrow());
}

/// A plist value tree of a few levels, with text that needs escaping.
fn value() -> impl Strategy<Value = plist::Value> {
    let text = "[a-z&<>\"' \u{e9}\u{1F600}\n\t]{0,12}";
    let leaf = prop_oneof![
        text.prop_map(plist::Value::String),
        any::<bool>().prop_map(plist::Value::Boolean),
        any::<i64>().prop_map(|i| plist::Value::Integer(i.into())),
        any::<u64>().prop_map(|i| plist::Value::Integer(i.into())),
        (-1e12f64..1e12).prop_map(plist::Value::Real),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(plist::Value::Data),
        (0u64..4_000_000_000).prop_map(|s| {
            let t = UNIX_EPOCH + std::time::Duration::from_secs(s);
            plist::Value::Date(t.into())
        }),
    ];
    leaf.prop_recursive(4, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(plist::Value::Array),
            proptest::collection::vec((text, inner), 0..6)
                .prop_map(|kv| plist::Value::Dictionary(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    /// The scanner yields what the `plist` crate's own XML reader yields, for any document
    /// that crate writes.
    #[test]
    fn agrees_with_the_plist_crate(v in value()) {
        let mut doc = Vec::new();
        v.to_writer_xml(&mut doc).unwrap();
        let theirs = from_plist(plist::stream::XmlReader::new(&doc[..]).map(Result::unwrap));
        prop_assert_eq!(events(&doc).unwrap(), theirs);
    }

    /// The binary reader (our own, CF's rules) yields what the `plist` crate's binary reader
    /// yields, for any binary plist that crate writes.
    #[test]
    fn binary_agrees_with_the_plist_crate(v in value()) {
        let mut doc = Vec::new();
        v.to_writer_binary(&mut doc).unwrap();
        let theirs =
            from_plist(plist::stream::BinaryReader::new(std::io::Cursor::new(&doc[..])).map(Result::unwrap));
        let limits = crate::registry::Limits::default();
        let budget = crate::registry::Budget::decoded(&limits, doc.len());
        let mut ours = Vec::new();
        let mut events = super::super::events::Events::new(&doc, &limits, &budget);
        while let Some(ev) = events.next().unwrap() {
            ours.push(ev);
        }
        prop_assert_eq!(ours, theirs);
    }
}

/// The `plist` crate's events in this module's terms: its keys are strings, told by their
/// place in a dict.
fn from_plist(evs: impl Iterator<Item = plist::stream::OwnedEvent>) -> Vec<Event<'static>> {
    use plist::stream::OwnedEvent as O;
    // Per open collection: whether it is a dict, and whether a key comes next.
    let mut open: Vec<(bool, bool)> = Vec::new();
    let mut out = Vec::new();
    for ev in evs {
        if matches!(ev, O::EndCollection) {
            open.pop();
            out.push(Event::End);
            continue;
        }
        let key = matches!(open.last(), Some((true, true)));
        if let Some(top) = open.last_mut() {
            if top.0 {
                top.1 = !top.1;
            }
        }
        out.push(match ev {
            O::StartArray(_) => {
                open.push((false, false));
                Event::StartArray
            }
            O::StartDictionary(_) => {
                open.push((true, true));
                Event::StartDict
            }
            O::String(s) if key => Event::Key(Cow::Owned(s.into_owned())),
            O::String(s) => Event::String(Cow::Owned(s.into_owned())),
            O::Boolean(b) => Event::Bool(b),
            O::Data(d) => Event::Data(d.into_owned()),
            O::Date(d) => Event::Date(cf_date(d)),
            O::Integer(i) => Event::Integer(match (i.as_signed(), i.as_unsigned()) {
                (Some(v), _) if v < 0 => Integer::signed(v, 64),
                (_, Some(v)) => Integer::unsigned(v, 64),
                _ => Integer::unsigned(0, 64),
            }),
            O::Real(r) => Event::Real(r),
            O::Uid(u) => Event::Uid(u.get()),
            _ => Event::Null,
        });
    }
    out
}

/// Core Foundation reads a year of any length (it writes years past 9999 with five digits)
/// and a leading `-`: such dates read, as exact seconds since 2001.
#[test]
fn dates_past_year_9999_and_before_year_1_read_as_core_foundation_reads_them() {
    let evs = events(
        b"<array><date>10000-01-01T00:00:00Z</date><date>2001-01-01T00:00:01Z</date>\
          <date>-0001-03-01T00:00:00Z</date></array>",
    )
    .unwrap();
    // 2001 → 10000: 20 cycles of 400 years (146,097 days each) from 2000, less 2000's 366 days.
    assert_eq!(
        evs[1],
        Event::Date(Date((20 * 146_097 - 366) as f64 * 86_400.0))
    );
    assert_eq!(evs[2], Event::Date(Date(1.0)));
    assert!(
        matches!(evs[3], Event::Date(Date(s)) if s < -63e9),
        "{:?}",
        evs[3]
    );
    for bad in [
        "2001-13-01T00:00:00Z",
        "2001-01-01T00:00:00",
        "2001-01-01 00:00:00Z",
        "T00:00:00Z",
    ] {
        let e = error_of(&format!("<array><date>{bad}</date></array>"));
        assert!(e.message.contains("ISO 8601"), "{bad}: {e}");
    }
}
