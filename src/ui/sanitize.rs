//! Making untrusted text safe to draw. The rule lives in [`crate::registry::escape`] (shared
//! with `dump --format text`, JSON and stderr messages): control characters, bidi controls and
//! zero-width characters are shown as visible escapes (`\x1b`, `\u{202e}`, `\u{200d}`).
//! Every string the UI draws from registry data goes through [`sanitize`].
//!
//! [`sanitize_clipped`] looks at no more of a text than `max` columns need, so that a
//! frame costs what the screen shows, not what the data holds (a 100 MB name included).

pub(crate) use crate::registry::escape::for_terminal as sanitize;
use crate::registry::escape::is_unsafe;
use std::borrow::Cow;
use unicode_width::UnicodeWidthChar;

/// The first `max` columns of `text`, sanitized, ending in `…` when cut. Reads only the
/// characters it shows (and one more), whatever the length of `text`.
pub(crate) fn sanitize_clipped(text: &str, max: usize) -> Cow<'_, str> {
    let mut used = 0;
    let mut end = text.len();
    let mut safe = true;
    for (at, c) in text.char_indices() {
        let w = if is_unsafe(c) {
            safe = false;
            escaped_len(c)
        } else {
            UnicodeWidthChar::width(c).unwrap_or(0)
        };
        if used + w > max {
            end = at;
            break;
        }
        used += w;
    }
    if end == text.len() {
        return if safe {
            Cow::Borrowed(text)
        } else {
            sanitize(text)
        };
    }
    // Room for the `…`: drop characters from the end until it fits.
    let mut head = &text[..end];
    while used + 1 > max {
        let Some(c) = head.chars().next_back() else {
            break;
        };
        used -= if is_unsafe(c) {
            escaped_len(c)
        } else {
            UnicodeWidthChar::width(c).unwrap_or(0)
        };
        head = &head[..head.len() - c.len_utf8()];
    }
    let mut out = sanitize(head).into_owned();
    out.push('…');
    Cow::Owned(out)
}

/// `parts` joined by `sep`, read only up to about `max` bytes (each part is cut there), so
/// that joining huge names costs what is shown.
pub(crate) fn join_clipped(parts: &[&str], sep: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if out.len() >= max {
            break;
        }
        if i > 0 {
            out.push_str(sep);
        }
        let room = max.saturating_sub(out.len()).min(part.len());
        let mut end = room;
        while !part.is_char_boundary(end) {
            end -= 1;
        }
        out.push_str(&part[..end]);
    }
    out
}

/// Columns of a character's visible escape.
fn escaped_len(c: char) -> usize {
    if (c as u32) < 0x100 {
        4
    } else {
        format!("{:x}", c as u32).len() + 4
    }
}

#[cfg(test)]
mod tests {
    use super::{sanitize, sanitize_clipped};

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

    #[test]
    fn zero_width_and_bidi_controls_are_shown() {
        assert_eq!(sanitize("a\u{200d}b"), "a\\u{200d}b");
        assert_eq!(
            sanitize("\u{200b}\u{2066}x\u{2069}"),
            "\\u{200b}\\u{2066}x\\u{2069}"
        );
        assert_eq!(sanitize("\u{61c}\u{ad}"), "\\u{61c}\\xad");
        // Combining marks are text, not controls.
        assert_eq!(sanitize("e\u{301}"), "e\u{301}");
    }

    #[test]
    fn joining_reads_only_what_is_shown() {
        use super::join_clipped;
        assert_eq!(join_clipped(&["a", "b", "c"], " → ", 100), "a → b → c");
        let huge = "x".repeat(1_000_000);
        let joined = join_clipped(&[&huge, "IOService"], " → ", 64);
        assert_eq!(joined.len(), 64);
    }

    #[test]
    fn clipping_reads_only_what_is_shown() {
        assert_eq!(sanitize_clipped("abcdef", 6), "abcdef");
        assert_eq!(sanitize_clipped("abcdefg", 6), "abcde…");
        assert_eq!(sanitize_clipped("ab\x1bcd", 7), "ab\\x1b…");
        assert_eq!(sanitize_clipped("你好世界", 5), "你好…");
        assert!(matches!(
            sanitize_clipped("short", 80),
            std::borrow::Cow::Borrowed(_)
        ));
        let huge = "n".repeat(50_000_000);
        assert_eq!(sanitize_clipped(&huge, 10).chars().count(), 10);
    }
}
