//! `ioreg -l` style text, exactly as `ioreg` prints it (IOKitTools `ioreg.c`: `scan`, `show`,
//! `indent`, `cfshow`), so that an unclipped text dump read and written again gives back
//! the same lines.
//!
//! The dialect a text dump was read in (`LoadReport::dialect`: header form, `-x`, `-i`,
//! property blocks, CRLF, HTML escaping) is kept; other sources print as a modern
//! `ioreg -l`.
//!
//! Indentation (`indent` in `ioreg.c`): a tree line has, for each ancestor depth, `"| "` if
//! the entry on the path at that depth has more siblings below it, else `"  "`, then `"+-o "`.
//! Property lines have the same columns through the entry's own depth, one more column that
//! is `"| "` when the entry has children, then `"  "`, the key, `" = "` and the value. A block
//! is `{`, its lines, `}` and one line of just the prefix. `-r` prints an empty line after
//! each tree whose top is not the registry root.

mod node;
mod value;

/// `ioreg`'s test for data that is text (the explorer shows such data the same way).
pub(crate) use value::{hex_digits, looks_like_text, quoted_strings};

#[cfg(test)]
mod tests;

use crate::formats::select::{self, SelectOptions, Selected, Top};
use crate::formats::{Selection, Style};
use crate::registry::{EntryId, Registry, TextDialect, escape};
use std::io::{self, Write};

/// Writes the selected part of `registry` as `ioreg` text, exactly as read.
#[cfg(test)]
pub(crate) fn write(
    registry: &Registry,
    selection: &Selection,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_styled(registry, selection, &Style::default(), out)
}

/// Writes the selected part of `registry` as `ioreg` text in `style` (escaping, `-w`, `-x`,
/// `-i`). With `--all-planes` each plane is preceded by a `PLANE:` line, as a file holding
/// several `ioreg -p` runs is.
pub(crate) fn write_styled(
    registry: &Registry,
    selection: &Selection,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    if registry.planes().is_empty() {
        return Ok(());
    }
    let mut dialect = registry.report.dialect.unwrap_or(TextDialect {
        properties: true,
        ..TextDialect::default()
    });
    dialect.hex |= style.hex;
    dialect.inheritance |= style.inheritance;
    // A dump read without `-l` is written without property blocks (but `ioreg` still shows
    // the properties of entries matching `-c`/`-n`/`-k`).
    let options = SelectOptions {
        list: selection.list || (dialect.properties && !selection.has_filter()),
        tree: selection.tree,
    };
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    for plane in select::planes(registry, selection)? {
        let selected = select::select_in(registry, plane, selection, options)?;
        let mut w = Writer {
            selected: &selected,
            dialect,
            style,
            out: &mut out,
            line: Vec::new(),
            shown: Vec::new(),
        };
        if selection.all_planes {
            w.line.extend_from_slice(plane.name().as_bytes());
            w.line.push(b':');
            w.emit()?;
        }
        for top in &selected.tops {
            w.top(top)?;
            if selected.subtrees || !registry.is_registry_root(top.entry) {
                w.emit_empty()?;
            }
        }
    }
    out.flush()
}

/// One property value exactly as `ioreg` prints it after `"key" = ` (`{"a"=1,"b"=(2,3)}`,
/// `<"text">`, `Yes`); `hex` is `ioreg -x`. Used where a value is handed out as text (the
/// explorer's `y` on a container).
pub(crate) fn value_text(value: &crate::registry::Value, hex: bool) -> Vec<u8> {
    let mut out = Vec::new();
    value::show(value, hex, &mut out);
    out
}

struct Writer<'s, 'r, 'o, 'w> {
    selected: &'s Selected<'r>,
    dialect: TextDialect,
    style: &'s Style,
    out: &'o mut io::BufWriter<&'w mut dyn Write>,
    /// The line being built (written out with the dialect's line ending).
    line: Vec<u8>,
    /// The line as shown: escaped and clipped (reused buffer).
    shown: Vec<u8>,
}

/// An entry waiting to be printed: whether more siblings follow it, and `ioreg`'s
/// `stackOfBits` as its parent left it.
struct Item {
    id: EntryId,
    depth: usize,
    more: bool,
    bits: u64,
}

/// `ioreg` builds its column masks as C `int` shifts (`1 << depth`): past depth 31 the shift
/// wraps (x86 and arm64 take the count modulo 32) and bit 31 sign-extends into the `UInt64`.
/// Real dumps are that deep, so the same arithmetic is used here.
fn mask(base: i32, depth: usize) -> u64 {
    base.wrapping_shl(depth as u32) as i64 as u64
}

fn set(bits: u64, base: i32, depth: usize, on: bool) -> u64 {
    if on {
        bits | mask(base, depth)
    } else {
        bits & !mask(base, depth)
    }
}

/// `indent`: `"| "` or `"  "` for each column index in `columns`.
fn bars(bits: u64, columns: std::ops::Range<usize>, out: &mut Vec<u8>) {
    for i in columns {
        out.extend_from_slice(if bits & mask(1, i) != 0 { b"| " } else { b"  " });
    }
}

impl Writer<'_, '_, '_, '_> {
    /// One selected tree, after its ancestors when `-t` kept them (`ioreg`'s `search`
    /// shows each ancestor alone, with only its has-children column set).
    fn top(&mut self, top: &Top) -> io::Result<()> {
        for (depth, &id) in top.ancestors.iter().enumerate() {
            self.entry(id, depth, mask(2, depth))?;
        }
        self.tree(top.entry, top.ancestors.len())
    }

    /// One tree, depth first, without recursion (trees may be deep): `ioreg`'s `scan`.
    fn tree(&mut self, top: EntryId, top_depth: usize) -> io::Result<()> {
        let mut stack = vec![Item {
            id: top,
            depth: top_depth,
            more: false,
            bits: 0,
        }];
        while let Some(item) = stack.pop() {
            let d = item.depth;
            let expands = self.selected.expands(d - top_depth);
            let children: Vec<EntryId> = if expands {
                self.selected.children(item.id).collect()
            } else {
                Vec::new()
            };
            let mut bits = set(item.bits, 1, d, item.more);
            if expands {
                bits = set(bits, 2, d, !children.is_empty());
            }
            self.entry(item.id, d, bits)?;
            let n = children.len();
            for (i, &c) in children.iter().enumerate().rev() {
                stack.push(Item {
                    id: c,
                    depth: d + 1,
                    more: i + 1 < n,
                    bits,
                });
            }
        }
        Ok(())
    }

    /// `show`: the tree line, then the property block if the entry shows one.
    fn entry(&mut self, id: EntryId, depth: usize, bits: u64) -> io::Result<()> {
        let s = self.selected;
        self.line.clear();
        bars(bits, 0..depth, &mut self.line);
        self.line.extend_from_slice(b"+-o ");
        node::header(s.registry, s.plane, id, &self.dialect, &mut self.line);
        self.emit()?;
        if s.shows_properties(id) {
            let mut prefix = Vec::with_capacity(2 * depth + 4);
            bars(bits, 0..depth + 2, &mut prefix);
            self.block(id, &prefix)?;
        }
        Ok(())
    }

    fn block(&mut self, id: EntryId, prefix: &[u8]) -> io::Result<()> {
        self.prefixed(prefix, b"{")?;
        let hex = self.dialect.hex;
        let registry = self.selected.registry;
        // Visited once: decoded for the write, not kept (`EntryProperties::with`).
        registry
            .entry(id)
            .properties
            .with(|list| {
                for (key, value) in list {
                    self.line.clear();
                    self.line.extend_from_slice(prefix);
                    self.line.extend_from_slice(b"  \"");
                    self.line.extend_from_slice(key.as_bytes());
                    self.line.extend_from_slice(b"\" = ");
                    value::show(value, hex, &mut self.line);
                    self.emit()?;
                }
                Ok::<_, io::Error>(())
            })
            .map_err(io::Error::other)??;
        self.prefixed(prefix, b"}")?;
        self.prefixed(prefix, b"")
    }

    fn prefixed(&mut self, prefix: &[u8], text: &[u8]) -> io::Result<()> {
        self.line.clear();
        self.line.extend_from_slice(prefix);
        self.line.extend_from_slice(text);
        self.emit()
    }

    fn emit_empty(&mut self) -> io::Result<()> {
        self.line.clear();
        self.emit()
    }

    /// Writes the built line and the line ending: control characters escaped unless raw
    /// output was asked for, clipped to `-w` as `ioreg` clips, HTML-escaped if the dump was.
    fn emit(&mut self) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.shown);
        line.clear();
        if self.style.escape {
            escape::bytes_for_terminal(&self.line, true, &mut line);
        } else {
            line.extend_from_slice(&self.line);
        }
        if let Some(width) = self.style.width.filter(|&w| w > 0) {
            clip(&mut line, width);
        }
        if self.dialect.html_escaped {
            for &b in &line {
                match b {
                    b'<' => self.out.write_all(b"&lt;")?,
                    b'>' => self.out.write_all(b"&gt;")?,
                    b'&' => self.out.write_all(b"&amp;")?,
                    _ => self.out.write_all(&[b])?,
                }
            }
        } else {
            self.out.write_all(&line)?;
        }
        self.shown = line;
        self.out
            .write_all(if self.dialect.crlf { b"\r\n" } else { b"\n" })
    }
}

/// `ioreg -w WIDTH` (`printva`/`println` in `ioreg.c`): newlines inside the line become
/// spaces, and a line of WIDTH bytes or more keeps its first WIDTH − 1 bytes and ends in `$`
/// (cut back to a character boundary, so a clipped line is still UTF-8 when it was).
pub(super) fn clip(line: &mut Vec<u8>, width: usize) {
    for b in line.iter_mut() {
        if *b == b'\n' {
            *b = b' ';
        }
    }
    if line.len() < width {
        return;
    }
    let mut keep = width - 1;
    while keep > 0 && keep < line.len() && (line[keep] & 0xc0) == 0x80 {
        keep -= 1;
    }
    line.truncate(keep);
    line.push(b'$');
}
