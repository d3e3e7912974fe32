//! What can stop the explorer before or while it runs in the terminal.

use std::path::PathBuf;

/// An error of the drawing layer (the terminal, or what the explorer opens first).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file to explore cannot be opened (checked before the screen is taken).
    #[error("{}: {error}", .path.display())]
    Open {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The explorer needs a terminal on stdout.
    #[error(
        "stdout is not a terminal, and the explorer needs one; to print or save the registry use `ioscope dump` \
         (e.g. `ioscope dump FILE --format text`)"
    )]
    NotATerminal,
    /// A dump given to `--diff` cannot be read.
    #[error("{0}")]
    Load(#[source] crate::formats::LoadError),
    /// The first load failed (reported once the screen is given back).
    #[error("{0}")]
    App(#[source] crate::app::Error),
    /// The terminal refused a read or a write.
    #[error("{0}")]
    Terminal(#[source] std::io::Error),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Terminal(e)
    }
}

impl From<crate::formats::LoadError> for Error {
    fn from(e: crate::formats::LoadError) -> Self {
        Error::Load(e)
    }
}

impl From<crate::app::Error> for Error {
    fn from(e: crate::app::Error) -> Self {
        Error::App(e)
    }
}
