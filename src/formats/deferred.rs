//! Property values left in the file they were read from (issue 22's lazy values).
//!
//! A large text dump or XML archive read from a file ([`super::load_file`]) is read with
//! [`ValueMode::Defer`]: the reader parses every value — the load report, the limits and every
//! error stay what they were — but keeps, per entry, only where its properties lie
//! ([`EntryProperties`](crate::registry::EntryProperties)). [`Deferred`] is the source the
//! loader attaches: it reads those bytes again and decodes them with the reader's own code.
//!
//! A file is read again through its open descriptor (`pread`), never through a memory map:
//! a file that shrinks cannot fault (SIGBUS), and one replaced by a new file (an editor's
//! atomic save) keeps its old bytes behind the descriptor. One written in place shows a
//! new size or modification time: its properties are then unavailable, and say so.

use super::{Limits, ReadError, archive, text};
use crate::registry::{Origin, Properties, PropertySource, Registry, Span, Unavailable};
use std::borrow::Cow;
use std::fs::File;
use std::sync::Arc;
use std::time::SystemTime;

/// Whether a reader keeps the property values it parses, or leaves them in its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueMode {
    #[default]
    Keep,
    Defer,
}

/// How the properties at a span are decoded again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// An `ioreg` text dump (`html`: its `<`, `>` and `&` are HTML-escaped).
    Text { html: bool },
    /// An `ioreg -a` XML archive.
    Xml,
}

/// The bytes a source reads again.
#[derive(Debug)]
enum Store {
    /// A file, as it was when it was read.
    File {
        file: File,
        len: u64,
        modified: Option<SystemTime>,
    },
    /// A copy of bytes read from memory (tests and fuzzing).
    #[cfg_attr(not(any(test, feature = "testkit")), allow(dead_code))]
    Memory(Arc<[u8]>),
}

impl Store {
    fn read(&self, start: u64, end: u64) -> Result<Cow<'_, [u8]>, Unavailable> {
        match self {
            Store::Memory(bytes) => usize::try_from(start)
                .ok()
                .zip(usize::try_from(end).ok())
                .and_then(|(s, e)| bytes.get(s..e))
                .map(Cow::Borrowed)
                .ok_or_else(|| Unavailable("outside the dump".to_owned())),
            Store::File {
                file,
                len,
                modified,
            } => {
                let changed = || Unavailable(CHANGED.to_owned());
                let meta = file.metadata().map_err(|e| Unavailable(e.to_string()))?;
                if meta.len() != *len || meta.modified().ok() != *modified || end > *len {
                    return Err(changed());
                }
                let size = end
                    .checked_sub(start)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| Unavailable("outside the dump".to_owned()))?;
                let mut buf = vec![0; size];
                read_at(file, &mut buf, start).map_err(|e| Unavailable(e.to_string()))?;
                Ok(Cow::Owned(buf))
            }
        }
    }
}

const CHANGED: &str = "the file changed on disk after it was read: reopen it to see its properties";

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(not(unix))]
fn read_at(_file: &File, _buf: &mut [u8], _at: u64) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "deferred properties need a Unix file",
    ))
}

/// Where a registry read with [`ValueMode::Defer`] left its properties.
#[derive(Debug)]
pub(crate) struct Deferred {
    store: Store,
    format: Format,
    limits: Limits,
}

impl Deferred {
    /// The source of `registry`'s properties, read by the text or XML reader from `store`.
    fn attach(registry: &mut Registry, store: Store, limits: &Limits) {
        let format = match registry.report.origin {
            Origin::IoregArchive => Format::Xml,
            _ => Format::Text {
                html: registry
                    .report
                    .dialect
                    .as_ref()
                    .is_some_and(|d| d.html_escaped),
            },
        };
        let source = Deferred {
            store,
            format,
            limits: *limits,
        };
        registry.attach_properties(Arc::new(source));
    }

    /// Attaches `file` (open, read whole into `registry` with [`ValueMode::Defer`]) as the
    /// source of its properties.
    pub(crate) fn attach_file(
        registry: &mut Registry,
        file: File,
        limits: &Limits,
    ) -> std::io::Result<()> {
        let meta = file.metadata()?;
        let store = Store::File {
            len: meta.len(),
            modified: meta.modified().ok(),
            file,
        };
        Self::attach(registry, store, limits);
        Ok(())
    }

    /// Attaches a copy of `bytes` (read into `registry` with [`ValueMode::Defer`]).
    #[cfg_attr(not(any(test, feature = "testkit")), allow(dead_code))]
    pub(crate) fn attach_memory(registry: &mut Registry, bytes: &[u8], limits: &Limits) {
        Self::attach(registry, Store::Memory(bytes.into()), limits);
    }
}

impl PropertySource for Deferred {
    fn decode(&self, span: &Span) -> Result<Properties, Unavailable> {
        let head = self.store.read(span.start, span.hole_start)?;
        let failed = |e: ReadError| Unavailable(format!("could not be read again: {e}"));
        match self.format {
            Format::Text { html } => {
                text::read::decode_properties(&head, html, span.flags, &self.limits).map_err(failed)
            }
            Format::Xml => {
                let tail = self.store.read(span.hole_end, span.end)?;
                archive::decode_properties(&head, &tail, span.flags, &self.limits).map_err(failed)
            }
        }
    }
}

/// Tests and fuzzing (`testkit`): a text dump or XML archive read with its property values
/// left in a copy of `bytes`, as [`super::load_file`] reads a large file; other formats as
/// [`super::read_bytes`] reads them.
#[cfg(feature = "testkit")]
#[doc(hidden)]
pub fn read_deferring(bytes: &[u8], limits: &Limits) -> Result<Registry, ReadError> {
    use super::read::{Format, detect};
    let plain = !bytes.starts_with(b"bplist") && super::encoding::sniff(bytes).is_none();
    let mut registry = match detect(bytes) {
        Format::Text if plain => {
            text::read::read_releasing(bytes, limits, &|_| {}, ValueMode::Defer)?
        }
        Format::Archive if plain => {
            match archive::read_xml_releasing(bytes, limits, &|_| {}, ValueMode::Defer)? {
                Some(registry) => registry,
                None => return super::read_bytes(bytes, limits),
            }
        }
        _ => return super::read_bytes(bytes, limits),
    };
    Deferred::attach_memory(&mut registry, bytes, limits);
    super::read::settle(registry)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_store(path: &std::path::Path) -> Store {
        let file = File::open(path).unwrap();
        let meta = file.metadata().unwrap();
        Store::File {
            len: meta.len(),
            modified: meta.modified().ok(),
            file,
        }
    }

    #[test]
    fn a_file_gives_its_bytes_back_until_it_is_written_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.txt");
        std::fs::write(&path, b"0123456789").unwrap();
        let store = file_store(&path);
        assert_eq!(&*store.read(2, 5).unwrap(), b"234");
        assert!(store.read(8, 11).is_err(), "past the end");
        assert!(store.read(5, 2).is_err(), "backwards");
        // Appended to (a new size): nothing is read again.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"x")
            .unwrap();
        let e = store.read(2, 5).unwrap_err();
        assert_eq!(e.0, CHANGED);
    }

    #[test]
    fn a_file_shrunk_behind_the_reader_fails_without_a_fault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.txt");
        std::fs::write(&path, vec![b'a'; 1 << 16]).unwrap();
        let store = file_store(&path);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(10)
            .unwrap();
        assert!(store.read(60_000, 60_010).is_err());
    }

    #[test]
    fn a_file_replaced_by_a_new_one_keeps_its_old_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.txt");
        std::fs::write(&path, b"old bytes").unwrap();
        let store = file_store(&path);
        // An editor's atomic save: a new file renamed over the old name.
        let new = dir.path().join("new.txt");
        std::fs::write(&new, b"NEW BYTES, longer").unwrap();
        std::fs::rename(&new, &path).unwrap();
        assert_eq!(&*store.read(0, 3).unwrap(), b"old");
    }

    #[test]
    fn memory_gives_back_what_it_holds_and_refuses_outside_it() {
        let store = Store::Memory(Arc::from(&b"abcdef"[..]));
        assert_eq!(&*store.read(1, 3).unwrap(), b"bc");
        assert!(store.read(4, 9).is_err());
    }
}
