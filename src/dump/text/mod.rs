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

#[cfg(test)]
mod tests;

use super::Selection;
use crate::registry::{EntryId, Plane, Registry, TextDialect};
use std::io::{self, Write};

/// Writes the selected part of `registry` as `ioreg` text.
pub fn write(registry: &Registry, selection: &Selection, out: &mut dyn Write) -> io::Result<()> {
    let Some(plane) = pick_plane(registry, selection)? else {
        return Ok(());
    };
    let dialect = registry.report.dialect.unwrap_or(TextDialect {
        properties: true,
        ..TextDialect::default()
    });
    let mut w = Writer {
        registry,
        plane,
        selection,
        dialect,
        out: io::BufWriter::with_capacity(1 << 16, out),
        line: Vec::new(),
    };
    if selection.root_subtrees {
        w.matched_subtrees()?;
    } else {
        for &root in plane.roots() {
            w.tree(root)?;
            if !registry.is_registry_root(root) {
                w.emit_empty()?;
            }
        }
    }
    w.out.flush()
}

/// `-p PLANE`, else IOService, else the first plane.
fn pick_plane<'r>(registry: &'r Registry, selection: &Selection) -> io::Result<Option<&'r Plane>> {
    match &selection.plane {
        Some(name) => registry.plane(name).map(Some).ok_or_else(|| {
            let names: Vec<&str> = registry.planes().iter().map(Plane::name).collect();
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no plane named {name:?} (planes: {})", names.join(", ")),
            )
        }),
        None => Ok(registry
            .plane("IOService")
            .or_else(|| registry.planes().first())),
    }
}

struct Writer<'r, 'o> {
    registry: &'r Registry,
    plane: &'r Plane,
    selection: &'r Selection,
    dialect: TextDialect,
    out: io::BufWriter<&'o mut dyn Write>,
    /// The line being built (written out with the dialect's line ending).
    line: Vec<u8>,
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

impl Writer<'_, '_> {
    /// `-r`: each entry that matches `-c`/`-n`/`-k`, with its subtree, from depth 0
    /// (matches inside a printed subtree are not printed again).
    fn matched_subtrees(&mut self) -> io::Result<()> {
        let mut inside: Option<usize> = None;
        for (id, depth) in self.plane.walk() {
            if inside.is_some_and(|d| depth > d) {
                continue;
            }
            inside = None;
            if self.matches(id) {
                self.tree(id)?;
                self.emit_empty()?;
                inside = Some(depth);
            }
        }
        Ok(())
    }

    /// One tree, depth first, without recursion (trees may be deep): `ioreg`'s `scan`.
    fn tree(&mut self, top: EntryId) -> io::Result<()> {
        let mut stack = vec![Item {
            id: top,
            depth: 0,
            more: false,
            bits: 0,
        }];
        while let Some(item) = stack.pop() {
            let d = item.depth;
            let children = self.children(item.id, d);
            let mut bits = set(item.bits, 1, d, item.more);
            if self.descends(d) {
                bits = set(bits, 2, d, !children.is_empty());
            }
            self.line.clear();
            bars(bits, 0..d, &mut self.line);
            self.line.extend_from_slice(b"+-o ");
            node::header(
                self.registry,
                self.plane,
                item.id,
                &self.dialect,
                &mut self.line,
            );
            self.emit()?;
            if self.dialect.properties || self.matches(item.id) {
                let mut prefix = Vec::with_capacity(2 * d + 4);
                bars(bits, 0..d + 2, &mut prefix);
                self.block(item.id, &prefix)?;
            }
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

    /// `-d`: `ioreg` goes below an entry at `depth` while the limit is greater than
    /// `depth + 1` (0 means no limit).
    fn descends(&self, depth: usize) -> bool {
        self.selection
            .depth
            .is_none_or(|limit| limit == 0 || limit > depth + 1)
    }

    /// The children printed under an entry at `depth`.
    fn children(&self, id: EntryId, depth: usize) -> Vec<EntryId> {
        if !self.descends(depth) {
            return Vec::new();
        }
        self.plane
            .children(id)
            .iter()
            .copied()
            .filter(|&c| self.plane.parent(c) == Some(id))
            .collect()
    }

    fn block(&mut self, id: EntryId, prefix: &[u8]) -> io::Result<()> {
        self.prefixed(prefix, b"{")?;
        let hex = self.dialect.hex;
        let registry = self.registry;
        for (key, value) in &registry.entry(id).properties {
            self.line.clear();
            self.line.extend_from_slice(prefix);
            self.line.extend_from_slice(b"  \"");
            self.line.extend_from_slice(key.as_bytes());
            self.line.extend_from_slice(b"\" = ");
            value::show(value, hex, &mut self.line);
            self.emit()?;
        }
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

    /// Writes the built line (HTML-escaped if the dump was) and the line ending.
    fn emit(&mut self) -> io::Result<()> {
        if self.dialect.html_escaped {
            for &b in &self.line {
                match b {
                    b'<' => self.out.write_all(b"&lt;")?,
                    b'>' => self.out.write_all(b"&gt;")?,
                    b'&' => self.out.write_all(b"&amp;")?,
                    _ => self.out.write_all(&[b])?,
                }
            }
        } else {
            self.out.write_all(&self.line)?;
        }
        self.out
            .write_all(if self.dialect.crlf { b"\r\n" } else { b"\n" })
    }

    /// `ioreg`'s `compare`: every criterion given holds, and at least one is given.
    fn matches(&self, id: EntryId) -> bool {
        let s = self.selection;
        let entry = self.registry.entry(id);
        if s.class.is_none() && s.name.is_none() && s.key.is_none() {
            return false;
        }
        if let Some(class) = &s.class {
            let ok = entry
                .class
                .is_some_and(|c| self.registry.classes.conforms_to(c, class));
            if !ok {
                return false;
            }
        }
        if let Some(key) = &s.key {
            if entry.property(key).is_none() {
                return false;
            }
        }
        if let Some(name) = &s.name {
            let mut label = self.registry.name_in(self.plane, id).as_bytes().to_vec();
            if name.contains('@') {
                label.push(b'@');
                if let Some(loc) = self.registry.location_in(self.plane, id) {
                    label.extend_from_slice(loc.as_bytes());
                }
            }
            if label != name.as_bytes() {
                return false;
            }
        }
        true
    }
}
