//! Making untrusted text safe to draw.
//!
//! Names, classes, property keys and values come from dumps anyone can write. A raw
//! ESC or BEL in a cell would reach the terminal and could recolour it, move the
//! cursor, retitle the window or write the clipboard (OSC 52). Every string the UI
//! draws from registry data goes through [`sanitize`], which shows such characters
//! visibly instead (`\x1b`, `\x07`, `\u{202e}`).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must not reach the terminal as is.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides and isolates can reorder what the user sees.
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        // Line and paragraph separators, and the BOM / zero-width no-break space.
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// The text with every control character, escape sequence introducer and bidi override
/// replaced by a visible escape: `\x1b` for C0/C1 controls and DEL, `\u{…}` for others.
/// Borrowed (no allocation) when the text is already safe, which is the common case.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            sanitize("AppleT8103USBXHCI@1"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(sanitize("Größe 你好"), "Größe 你好");
    }

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        assert_eq!(sanitize("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
        assert_eq!(sanitize("bell\x07"), "bell\\x07");
        assert_eq!(sanitize("a\nb\tc\r"), "a\\x0ab\\x09c\\x0d");
        assert_eq!(sanitize("del\x7f"), "del\\x7f");
    }

    #[test]
    fn osc52_and_title_sequences_are_neutralised() {
        let hostile = "\x1b]52;c;aGVsbG8=\x07\x1b]0;pwned\x1b\\";
        let shown = sanitize(hostile);
        assert!(!shown.chars().any(|c| c.is_control()));
        assert!(shown.starts_with("\\x1b]52;c;"));
    }

    #[test]
    fn c1_controls_and_bidi_overrides_are_escaped() {
        assert_eq!(sanitize("\u{9b}2J"), "\\x9b2J");
        assert_eq!(sanitize("abc\u{202e}def"), "abc\\u{202e}def");
    }
}
