//! Wrapping styled lines at a column, so that the number of screen lines is known before
//! drawing. A line breaks after its last `/` when that sits in the line's second half (a
//! path breaks between components, even when its names hold spaces), else after its last
//! space there (prose reads as words); otherwise at the column (hex keeps its place).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Splits `line` into lines of at most `width` columns, keeping each span's style.
pub(crate) fn wrap_line(line: Line<'_>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut out: Vec<Line<'static>> = Vec::new();
    // The current screen line, one styled character at a time, and its width.
    let mut cur: Vec<(char, Style)> = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > 0 {
                let rest = match break_at(&cur) {
                    Some(at) => cur.split_off(at),
                    None => Vec::new(),
                };
                out.push(to_line(&cur, line.style));
                used = rest.iter().map(|(c, _)| c.width().unwrap_or(0)).sum();
                cur = rest;
            }
            cur.push((c, span.style));
            used += w;
        }
    }
    out.push(to_line(&cur, line.style));
    out
}

/// Where to end a full line: just after its last `/`, else its last space, when that keeps
/// at least half of it.
fn break_at(cur: &[(char, Style)]) -> Option<usize> {
    let fits = |at: usize| at + 1 >= cur.len().div_ceil(2) && at + 1 < cur.len();
    let after = |sep: char| {
        cur.iter()
            .rposition(|&(c, _)| c == sep)
            .filter(|&at| fits(at))
            .map(|at| at + 1)
    };
    after('/').or_else(|| after(' '))
}

/// Styled characters back into spans, one span per run of the same style.
fn to_line(chars: &[(char, Style)], style: Style) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    for &(c, s) in chars {
        match spans.last_mut() {
            Some(last) if last.style == s => last.content.to_mut().push(c),
            _ => spans.push(Span::styled(c.to_string(), s)),
        }
    }
    Line::from(spans).style(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: Line<'_>, width: usize) -> Vec<String> {
        wrap_line(line, width)
            .iter()
            .map(|l| l.to_string())
            .collect()
    }

    #[test]
    fn wraps_at_the_column_keeping_styles() {
        let line = Line::from(vec![Span::raw("abc"), Span::raw("defg")]);
        assert_eq!(texts(line, 5), ["abcde", "fg"]);
        assert_eq!(wrap_line(Line::default(), 3).len(), 1);
        let styled = Line::from(vec![
            Span::raw("ab"),
            Span::styled("cdef", Style::new().bold()),
        ]);
        let lines = wrap_line(styled, 3);
        assert_eq!(lines[0].spans.len(), 2);
        assert_eq!(lines[1].spans[0].style, Style::new().bold());
    }

    #[test]
    fn prose_breaks_after_a_space_in_the_second_half() {
        assert_eq!(
            texts(Line::raw("kernel retain 16"), 10),
            ["kernel ", "retain 16"]
        );
        // A space early in the line would waste most of it: break at the column instead.
        assert_eq!(
            texts(Line::raw("a xerylongword"), 8),
            ["a xerylo", "ngword"]
        );
        assert_eq!(
            texts(Line::raw("0123456789abcdef"), 8),
            ["01234567", "89abcdef"]
        );
    }

    #[test]
    fn paths_break_at_slashes_not_at_spaces() {
        assert_eq!(
            texts(
                Line::raw("IOService:/AppleACPIPCI/Magic Keyboard@1/IOUSBHostInterface@0"),
                24
            ),
            [
                "IOService:/AppleACPIPCI/",
                "Magic Keyboard@1/",
                "IOUSBHostInterface@0"
            ]
        );
    }
}
