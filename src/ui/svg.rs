//! Writes a ratatui buffer as an SVG image, for the README screenshot. Written by hand:
//! a screenshot needs only cell colours, bold/dim and text, which is a few lines here.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::fmt::Write;

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 18.0;
const BG: &str = "#1e1e2e";
const FG: &str = "#cdd6f4";

/// An xterm-like palette for the 16 ANSI colours.
fn rgb(color: Color) -> Option<String> {
    let hex = match color {
        Color::Reset => return None,
        Color::Black => "#45475a",
        Color::Red => "#f38ba8",
        Color::Green => "#a6e3a1",
        Color::Yellow => "#f9e2af",
        Color::Blue => "#3b5bdb",
        Color::Magenta => "#f5c2e7",
        Color::Cyan => "#89dceb",
        Color::Gray => "#bac2de",
        Color::DarkGray => "#6c7086",
        Color::LightRed => "#f38ba8",
        Color::LightGreen => "#a6e3a1",
        Color::LightYellow => "#f9e2af",
        Color::LightBlue => "#89b4fa",
        Color::LightMagenta => "#f5c2e7",
        Color::LightCyan => "#94e2d5",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) => return Some(format!("#{i:02x}{i:02x}{i:02x}")),
    };
    Some(hex.to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The foreground colour and attributes of a cell, as SVG attributes.
fn text_attrs(cell: &ratatui::buffer::Cell) -> String {
    let reversed = cell.modifier.contains(Modifier::REVERSED);
    let fg = if reversed {
        rgb(cell.bg).unwrap_or(BG.into())
    } else {
        rgb(cell.fg).unwrap_or(FG.into())
    };
    let mut attrs = format!(r#" fill="{fg}""#);
    if cell.modifier.contains(Modifier::BOLD) {
        attrs.push_str(r#" font-weight="bold""#);
    }
    if cell.modifier.contains(Modifier::DIM) {
        attrs.push_str(r#" opacity="0.6""#);
    }
    if cell.modifier.contains(Modifier::ITALIC) {
        attrs.push_str(r#" font-style="italic""#);
    }
    attrs
}

/// One `<text>` per run of cells with the same look, stretched to the cells' width.
fn text_runs(buf: &Buffer, y: u16, out: &mut String) {
    let area = buf.area;
    let mut x = 0;
    while x < area.width {
        let cell = &buf[(area.x + x, area.y + y)];
        let attrs = text_attrs(cell);
        let start = x;
        let mut text = String::new();
        let mut cells = 0u16;
        while x < area.width {
            let c = &buf[(area.x + x, area.y + y)];
            if text_attrs(c) != attrs {
                break;
            }
            text.push_str(c.symbol());
            cells += 1;
            x += 1;
        }
        let trimmed = text.trim_end();
        if trimmed.trim().is_empty() {
            continue;
        }
        let len = trimmed.chars().count().min(usize::from(cells));
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" textLength="{:.1}" lengthAdjust="spacingAndGlyphs" xml:space="preserve"{attrs}>{}</text>"#,
            f32::from(start) * CELL_W,
            f32::from(y) * CELL_H + 13.5,
            len as f32 * CELL_W,
            escape(trimmed)
        );
    }
}

/// The buffer as a standalone SVG document.
pub fn render(buf: &Buffer) -> String {
    let area = buf.area;
    let (w, h) = (
        f32::from(area.width) * CELL_W,
        f32::from(area.height) * CELL_H,
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.1} {h:.1}" font-family="Menlo, 'DejaVu Sans Mono', monospace" font-size="14">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="{BG}"/>"#);
    for y in 0..area.height {
        for x in 0..area.width {
            let cell = &buf[(area.x + x, area.y + y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let bg = if reversed {
                rgb(cell.fg).or(Some(FG.into()))
            } else {
                rgb(cell.bg)
            };
            if let Some(bg) = bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{CELL_H}" fill="{bg}"/>"#,
                    f32::from(x) * CELL_W,
                    f32::from(y) * CELL_H,
                    CELL_W + 0.3
                );
            }
        }
        text_runs(buf, y, &mut out);
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};

    #[test]
    fn cells_become_text_and_backgrounds() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf.set_string(0, 0, "a<b", Style::default().bg(Color::Blue));
        let svg = super::render(&buf);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(">a&lt;b</text>"));
        assert_eq!(svg.matches("fill=\"#3b5bdb\"").count(), 3);
    }
}
