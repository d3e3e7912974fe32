//! Saved dumps: format detection and the three readers.
//!
//! The format is told from the bytes, never from the file name (a corpus file named
//! `.ioreg` is plain `ioreg` text).

use super::{Deferred, ValueMode, archive, encoding, iorex, json, recording, text};
use crate::registry::Registry;
use std::fmt;
use std::path::{Path, PathBuf};

/// The dump formats ioscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `ioreg` text (`-l`, `-x`, tree-only, HTML-escaped, post-processed …).
    Text,
    /// `ioreg -a` plist archive, XML or binary.
    Archive,
    /// IORegistryExplorer `.ioreg` document (NSKeyedArchiver binary plist).
    Iorex,
    /// ioscope's own JSON export (`dump --format json`).
    Json,
    /// An ioscope recording (`ioscope record`): read as its last moment unless a time is asked.
    Recording,
}

/// Tells the format from the first bytes (and, for plists, whether it is a keyed archive).
/// A UTF-16 or UTF-32 document is told by what it says once transcoded.
pub fn detect(bytes: &[u8]) -> Format {
    if recording::is_recording(bytes) {
        return Format::Recording;
    }
    if encoding::sniff(bytes).is_some() {
        return match encoding::to_utf8(bytes) {
            Ok(Some(utf8)) => detect(&utf8),
            _ => Format::Archive,
        };
    }
    if !is_plist(bytes) {
        if json::read::looks_like(bytes) {
            return Format::Json;
        }
        return Format::Text;
    }
    let keyed = KEYED
        .iter()
        .all(|k| memchr::memmem::find(bytes, k).is_some());
    if keyed {
        Format::Iorex
    } else {
        Format::Archive
    }
}

/// All appear in an IORegistryExplorer document (and tell it from an `ioreg -a` archive):
/// `$archiver` is the top key of every keyed archive (what [`load_file`] looks for while it
/// reads an XML plist as an `ioreg -a` archive).
const KEYED: [&[u8]; 3] = [b"NSKeyedArchiver", b"RexDataStore", b"$archiver"];

/// Whether the bytes start a plist, judged by the first 4 KB.
fn is_plist(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    bytes.starts_with(b"bplist")
        || trim_start(head).starts_with(b"<?xml")
        || trim_start(head).starts_with(b"<!DOCTYPE plist")
        || trim_start(head).starts_with(b"<plist")
}

fn trim_start(b: &[u8]) -> &[u8] {
    let skip_bom = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let n = skip_bom
        .iter()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    &skip_bom[n..]
}

pub use crate::registry::Limits;

/// Where in the input a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line of a text dump.
    Line(usize),
    /// Byte offset in a plist.
    Byte(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "{n}"),
            Position::Byte(n) => write!(f, "byte {n}"),
        }
    }
}

/// A reader's complaint: where, and what it expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct ReadError {
    pub at: Position,
    /// Says what was expected and what was found, e.g. `expected '=' after a key, found end of line`.
    pub message: String,
}

impl ReadError {
    pub(crate) fn line(line: usize, message: impl Into<String>) -> Self {
        ReadError {
            at: Position::Line(line),
            message: message.into(),
        }
    }
    pub(crate) fn byte(offset: u64, message: impl Into<String>) -> Self {
        ReadError {
            at: Position::Byte(offset),
            message: message.into(),
        }
    }
}

/// A failure to load a file: `FILE:LINE: expected …` or `FILE: byte N: expected …`.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The OS refused: printed once, after the file's name (the OS error is this error's
    /// text, not a source below it, so `{:#}` chains do not print it twice).
    #[error("{path}: {error}", path = .path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}", read_message(.path, .error))]
    Read { path: PathBuf, error: ReadError },
    /// A pipe, FIFO or device gave more than the `input-bytes` limit.
    #[error("{path}: {limit}", path = .path.display())]
    Limit {
        path: PathBuf,
        limit: crate::registry::LimitExceeded,
    },
}

fn read_message(path: &Path, error: &ReadError) -> String {
    match error.at {
        Position::Line(n) => format!("{}:{n}: {}", path.display(), error.message),
        Position::Byte(n) => format!("{}: byte {n}: {}", path.display(), error.message),
    }
}

/// Reads a dump of any format from bytes (UTF-16 and UTF-32 ones transcoded first).
pub fn read_bytes(bytes: &[u8], limits: &Limits) -> Result<Registry, ReadError> {
    encoding::read_as_utf8(bytes, &|_| {}, |bytes| match detect(bytes) {
        Format::Text => text::read(bytes, limits),
        Format::Archive => archive::read(bytes, limits),
        Format::Iorex => iorex::read(bytes, limits),
        Format::Json => json::read(bytes, limits),
        Format::Recording => recording::Recording::read(bytes, limits)?.last(),
    })
    .and_then(settle)
}

/// What every reader's registry gets last: a claimed cycle of parent links is refused (the
/// readers that know positions refuse it first, naming the line or byte); entries whose
/// parent the dump lacks are gathered under one node per plane, never shown as extra roots.
pub(super) fn settle(mut registry: Registry) -> Result<Registry, ReadError> {
    for plane in registry.planes() {
        if let Some(e) = plane.find_cycle() {
            return Err(ReadError::byte(
                0,
                format!(
                    "plane {}: entry {} is listed below itself",
                    plane.name(),
                    registry.entry(e).name
                ),
            ));
        }
    }
    if matches!(
        registry.report.origin,
        crate::registry::Origin::IoregText | crate::registry::Origin::IoregArchive
    ) {
        registry.order_parents_by_age();
    }
    registry.gather_unattached();
    Ok(registry)
}

/// Reads a dump file of any format, under the process's limits ([`Limits::configured`]).
///
/// Same result as [`read_bytes`] on the file's bytes, but with less memory: the goal is a
/// peak resident size of at most 1.5× the file for large dumps, so the file is not held
/// whole beside the model it becomes. A text dump or XML archive of at least
/// [`MAP_AT_LEAST`] bytes is memory-mapped (on Unix) and read with
/// `text::read::read_releasing` or `archive::read_xml_releasing`, which drop the mapped pages
/// behind the reader. Large binary plists and `.ioreg` documents (read at random) are
/// mapped too, without releasing; a large UTF-16 or UTF-32 one is mapped, transcoded, and
/// its pages given back. Small files are read whole.
///
/// The file is opened once and read once: a FIFO gives its bytes a single time, and a pipe,
/// FIFO or device is read only up to the `input-bytes` limit (`/dev/zero` never ends).
pub fn load_file(path: &Path) -> Result<Registry, LoadError> {
    load_file_reporting(path, &mut |_, _| {})
}

/// How much a whole-file read takes at a time between two progress reports.
const READ_CHUNK: u64 = 4 << 20;

/// [`load_file`], telling `progress(done, total)` how many bytes have been read, for the
/// explorer's loading line (`done == total`: parsing). A file read whole reports every few
/// MB; a mapped one is read while it is parsed, so it reports all read as it begins.
pub(crate) fn load_file_reporting(
    path: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Registry, LoadError> {
    load_file_limited(path, &Limits::configured(), progress)
}

/// [`load_file_reporting`] under the given limits.
pub(crate) fn load_file_limited(
    path: &Path,
    limits: &Limits,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Registry, LoadError> {
    let io = |error| LoadError::Io {
        path: path.to_owned(),
        error,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    let regular = meta.is_file();
    let total = if regular { meta.len() } else { 0 };
    progress(0, total);
    let result = if regular {
        // A mapped file is read and parsed in one pass: it reports all read as that pass begins.
        let mapped = mapped_read(&mut file, total, limits, &mut || progress(total, total));
        match mapped.map_err(io)? {
            Some(result) => result,
            None => {
                let bytes = read_reporting(&mut file, total, None, progress).map_err(io)?;
                read_bytes(&bytes, limits)
            }
        }
    } else {
        let cap = limits.max_input_bytes;
        let bytes = read_reporting(&mut file, 0, Some(cap), progress).map_err(io)?;
        if bytes.len() as u64 > cap {
            return Err(LoadError::Limit {
                path: path.to_owned(),
                limit: crate::registry::LimitExceeded::new("input-bytes", cap),
            });
        }
        read_bytes(&bytes, limits)
    };
    result.and_then(settle).map_err(|error| LoadError::Read {
        path: path.to_owned(),
        error,
    })
}

/// The rest of the file, `READ_CHUNK` at a time, reporting the bytes read after each; with
/// a `cap`, at most one byte more than it (so the caller can tell the input was larger).
fn read_reporting(
    file: &mut std::fs::File,
    total: u64,
    cap: Option<u64>,
    progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let stop = cap.map_or(u64::MAX, |c| c.saturating_add(1));
    loop {
        let room = stop - bytes.len() as u64;
        let n = (&mut *file)
            .take(READ_CHUNK.min(room))
            .read_to_end(&mut bytes)?;
        let done = bytes.len() as u64;
        progress(done, total.max(done));
        if n == 0 || done >= stop {
            return Ok(bytes);
        }
    }
}

/// Reads a large XML archive or text dump from a memory map, without holding the whole file;
/// `None` for the files [`load_file`] reads whole (the file is then back at its start).
/// `parsing` is called just before a mapped read begins.
fn mapped_read(
    file: &mut std::fs::File,
    len: u64,
    limits: &Limits,
    parsing: &mut dyn FnMut(),
) -> std::io::Result<Option<Result<Registry, ReadError>>> {
    use std::io::{Read, Seek};
    if len < MAP_AT_LEAST {
        return Ok(None);
    }
    let mut head = Vec::with_capacity(4096);
    (&mut *file).take(4096).read_to_end(&mut head)?;
    file.rewind()?;
    if json::read::looks_like(&head) || recording::is_recording(&head) {
        return Ok(None);
    }
    if head.starts_with(b"bplist") {
        // Read at random: mapped but not released (only the pages the reader touches become
        // resident, so a huge object table that stops at a limit costs what was read).
        return mapped::read(file, len, parsing, |bytes, _| read_bytes(bytes, limits));
    }
    if encoding::sniff(&head).is_some() {
        // UTF-16 or UTF-32: transcoded, then the mapped pages are given back.
        return mapped::read(file, len, parsing, |bytes, release| {
            encoding::read_as_utf8(bytes, release, |utf8| read_bytes(utf8, limits))
        });
    }
    // Property values stay in the file, read again through a descriptor of their own when
    // they are first shown (`deferred`).
    let again = file.try_clone()?;
    let read = if !is_plist(&head) {
        mapped::read(file, len, parsing, |bytes, release| {
            text::read::read_releasing(bytes, limits, release, ValueMode::Defer).map(Some)
        })?
    } else {
        // Read as an `ioreg -a` archive; one with `$archiver` at its top is a keyed archive
        // (maybe an IORegistryExplorer document): read whole, [`detect`] tells.
        mapped::read(file, len, parsing, |bytes, release| {
            archive::read_xml_releasing(bytes, limits, release, ValueMode::Defer)
        })?
    };
    Ok(match read {
        Some(Ok(None)) | None => None,
        Some(Ok(Some(mut registry))) => {
            Deferred::attach_file(&mut registry, again, limits)?;
            Some(Ok(registry))
        }
        Some(Err(e)) => Some(Err(e)),
    })
}

/// Dumps at least this large are mapped rather than read (smaller ones: not worth it).
pub const MAP_AT_LEAST: u64 = 8 << 20;

/// Dumps read from a memory map whose pages are released behind the reader.
#[cfg(unix)]
mod mapped {
    use memmap2::{Advice, Mmap, UncheckedAdvice};
    use std::fs::File;
    use std::io;

    /// Reads a dump of `len` bytes from a map of `file` with `reader` (given the bytes and a
    /// hook that releases them) if it has at least [`super::MAP_AT_LEAST`] bytes; `None` when
    /// it is smaller (the caller reads it whole).
    pub(super) fn read<T>(
        file: &File,
        len: u64,
        parsing: &mut dyn FnMut(),
        reader: impl FnOnce(&[u8], &dyn Fn(usize)) -> T,
    ) -> io::Result<Option<T>> {
        if len < super::MAP_AT_LEAST || usize::try_from(len).is_err() {
            return Ok(None);
        }
        parsing();
        // SAFETY: the mapping is read-only and lives only in this function. Like any reader
        // of a file, it assumes the file is not truncated or rewritten while it is read
        // (a truncated mapping faults with SIGBUS; a rewritten one shows the new bytes).
        let map = unsafe { Mmap::map(file)? };
        let _ = map.advise(Advice::Sequential);
        let release = |upto: usize| {
            // SAFETY: `map` is a shared, read-only mapping of a file: after MADV_DONTNEED
            // its pages read back the file's bytes (re-faulted from the page cache), so the
            // borrows of `map` that the reader still holds see the same bytes as before.
            // (The danger memmap2 warns of, zero-filled pages, is for private or anonymous
            // mappings.) On macOS the advice only marks the pages as reclaimable.
            let _ = unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, 0, upto) };
        };
        Ok(Some(reader(&map, &release)))
    }
}

/// Elsewhere dumps are read whole.
#[cfg(not(unix))]
mod mapped {
    pub(super) fn read<T>(
        _file: &std::fs::File,
        _len: u64,
        _parsing: &mut dyn FnMut(),
        _reader: impl FnOnce(&[u8], &dyn Fn(usize)) -> T,
    ) -> std::io::Result<Option<T>> {
        Ok(None)
    }
}
