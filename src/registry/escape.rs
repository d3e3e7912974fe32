//! The one rule for showing untrusted text to a person: on screen, in `dump --format text`, in
//! stderr messages and inside JSON strings.
//!
//! Names, classes, property keys and values come from dumps anyone can write, and file names
//! from anyone who can name a file. A raw ESC or BEL reaching a terminal could recolour it,
//! move the cursor, retitle the window or write the clipboard (OSC 52); a C1 control such as
//! U+009B is a one-character CSI for terminals in 8-bit mode. Such characters are shown
//! visibly instead: `\x1b` for C0/C1 controls and DEL, `\u{202e}` for bidirectional overrides
//! and the other invisible characters that can reorder or hide what the user sees.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a character must not reach a terminal as is.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides and isolates can reorder what the user sees.
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        // Line and paragraph separators, and the BOM / zero-width no-break space.
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
        // Zero-width space, non-joiner and joiner; word joiner and invisible operators;
        // the Arabic letter mark, Mongolian vowel separator, soft hyphen, deprecated
        // format characters and interlinear annotation controls: they hide text, and a
        // terminal and ratatui disagree on their width, which breaks the layout.
        || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{206a}'..='\u{206f}')
        || matches!(c, '\u{061c}' | '\u{180e}' | '\u{00ad}' | '\u{fff9}'..='\u{fffb}')
}

/// Appends the visible form of one unsafe character: `\x1b` below U+0100, else `\u{…}`.
fn push_escape(c: char, out: &mut String) {
    if (c as u32) < 0x100 {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
}

/// The text with every control character, escape sequence introducer and bidi override
/// replaced by a visible escape. Borrowed (no allocation) when the text is already safe,
/// which is the common case.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            push_escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`for_terminal`] line by line: a report of several lines keeps its newlines.
pub fn lines_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(&for_terminal(line));
        out.push('\n');
    }
    out
}

/// Appends `bytes` to `out` with the same rule, for byte-exact registry text (which may not be
/// UTF-8: old dumps hold MacRoman). Valid UTF-8 is escaped as [`for_terminal`] does; a byte
/// outside valid UTF-8 is shown as its MacRoman character, as the explorer shows such text
/// (`Caf\x8e` is `Café`), so the output is always UTF-8 and a lone C1 byte never reaches the
/// terminal. With `keep_layout`, newline and tab pass through (an `ioreg -l` text dump has
/// multi-line strings; neither can change a terminal's state).
pub(crate) fn bytes_for_terminal(bytes: &[u8], keep_layout: bool, out: &mut Vec<u8>) {
    let safe_ascii =
        |b: u8| (0x20..0x7f).contains(&b) || (keep_layout && (b == b'\n' || b == b'\t'));
    if bytes.iter().all(|&b| safe_ascii(b)) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut buf = String::new();
    let mut push = |c: char, out: &mut Vec<u8>| {
        buf.clear();
        if is_unsafe(c) && !(keep_layout && (c == '\n' || c == '\t')) {
            push_escape(c, &mut buf);
        } else {
            buf.push(c);
        }
        out.extend_from_slice(buf.as_bytes());
    };
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push(c, out);
        }
        let (macroman, _, _) = encoding_rs::MACINTOSH.decode(chunk.invalid());
        for c in macroman.chars() {
            push(c, out);
        }
    }
}

fn is_c1_or_del(c: char) -> bool {
    ('\u{7f}'..='\u{9f}').contains(&c)
}

/// Whether the text holds a control that `serde_json` leaves unescaped (DEL or C1).
pub(crate) fn has_json_unescaped_controls(text: &str) -> bool {
    text.chars().any(is_c1_or_del)
}

/// JSON text (as `serde_json` writes it) with DEL and every C1 control inside strings written
/// as `\u00XX` escapes too: `serde_json` escapes only C0, and a raw U+009B is a CSI to some
/// terminals. Outside strings JSON is ASCII, so replacing these characters anywhere is exact.
pub fn json_controls(json: &str) -> Cow<'_, str> {
    if !has_json_unescaped_controls(json) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_c1_or_del(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            for_terminal("AppleT8103USBXHCI@1"),
            Cow::Borrowed(_)
        ));
        assert_eq!(for_terminal("Größe 你好"), "Größe 你好");
    }

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        assert_eq!(for_terminal("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(for_terminal("bell\x07"), "bell\\x07");
        assert_eq!(for_terminal("a\nb\tc\r"), "a\\x0ab\\x09c\\x0d");
        assert_eq!(for_terminal("del\x7f"), "del\\x7f");
    }

    #[test]
    fn osc52_and_title_sequences_are_neutralised() {
        let hostile = "\x1b]52;c;aGVsbG8=\x07\x1b]0;pwned\x1b\\";
        let shown = for_terminal(hostile);
        assert!(!shown.chars().any(|c| c.is_control()));
        assert!(shown.starts_with("\\x1b]52;c;"));
    }

    #[test]
    fn c1_controls_and_bidi_overrides_are_escaped() {
        assert_eq!(for_terminal("\u{9b}2J"), "\\x9b2J");
        assert_eq!(for_terminal("abc\u{202e}def"), "abc\\u{202e}def");
    }

    #[test]
    fn bytes_keep_macroman_letters_and_escape_controls() {
        let mut out = Vec::new();
        // 0x8a is MacRoman 'ä' (not UTF-8); a lone 0x9b, a C1 CSI to 8-bit terminals, is
        // MacRoman 'õ'; U+009B in UTF-8 (c2 9b) is the control itself.
        bytes_for_terminal(b"K\x8anig\x1b[2J\n\x9b1m\xc2\x9b", true, &mut out);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "Känig\\x1b[2J\nõ1m\\x9b"
        );
        out.clear();
        bytes_for_terminal(b"a\nb\tc", false, &mut out);
        assert_eq!(out, b"a\\x0ab\\x09c");
    }

    #[test]
    fn json_c1_controls_become_u_escapes() {
        let json = serde_json::to_string("a\u{9b}b\u{1b}c\u{7f}").unwrap();
        assert_eq!(json_controls(&json), r#""a\u009bb\u001bc\u007f""#);
        let back: String = serde_json::from_str(&json_controls(&json)).unwrap();
        assert_eq!(back, "a\u{9b}b\u{1b}c\u{7f}");
    }
}
