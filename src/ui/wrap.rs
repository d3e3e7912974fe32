//! Wrapping styled lines at a column (not at words), so that paths and hex keep their
//! place and the number of screen lines is known before drawing.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Splits `line` into lines of at most `width` columns, keeping each span's style.
pub fn wrap_line(line: Line<'_>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > 0 {
                if !piece.is_empty() {
                    cur.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                out.push(Line::from(std::mem::take(&mut cur)).style(line.style));
                used = 0;
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            cur.push(Span::styled(piece, span.style));
        }
    }
    out.push(Line::from(cur).style(line.style));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_the_column_keeping_styles() {
        let line = Line::from(vec![Span::raw("abc"), Span::raw("defg")]);
        let lines = wrap_line(line, 5);
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["abcde", "fg"]);
        assert_eq!(wrap_line(Line::default(), 3).len(), 1);
    }
}
