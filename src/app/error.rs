//! What can go wrong in the explorer's state layer: loading, the timeline, `:` jumps and `x`
//! exports. The text of each is what the status line (or, for a first load, the terminal
//! after the explorer closed) shows.

use crate::formats::output::OutputError;
use crate::formats::{LoadError, ReadError};
use crate::kernel::KernReturn;
use crate::registry::PathError;
use crate::registry::escape;

/// An error of the explorer's state layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A dump could not be read (its text names the file and the place).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The kernel walk failed.
    #[error("walking the registry failed: {}", .0.explain())]
    Walk(KernReturn),
    /// The background loader ended without an answer.
    #[error("the loader stopped unexpectedly")]
    LoaderStopped,
    /// The recording could not be read from disk.
    #[error("{0}")]
    RecordingIo(std::io::Error),
    /// `t` on a source that is not a recording.
    #[error("the timeline needs a recording (ioscope record -o FILE.ioscope)")]
    NotARecording,
    /// The recording is malformed.
    #[error(transparent)]
    Recording(#[from] ReadError),
    /// `:` named no entry.
    #[error(transparent)]
    Jump(#[from] PathError),
    /// `x`: `--format` without json, text or plist.
    #[error("--format takes json, text or plist")]
    ExportFormat,
    /// `x`: an option the prompt does not know.
    #[error("unknown option {} (--format, --redact, --plane)", escape::for_terminal(.0))]
    ExportOption(String),
    /// `x` without a file name.
    #[error("name a file to export to")]
    ExportNoFile,
    /// `x` on an empty tree without `--plane`.
    #[error("no entry selected (--plane exports the whole plane)")]
    ExportNoEntry,
    /// `x`: the file cannot be written (the cause is the source).
    #[error(transparent)]
    Output(#[from] OutputError),
}
