//! Every file format ioscope reads or writes, one folder per format with its reader, its
//! writer and the key names they share; the selection, redaction and atomic output every
//! writer uses.
//!
//! The format of a file is told from its bytes ([`read::detect`]), never from its name.

pub mod archive;
mod deferred;
mod encoding;
pub mod iorex;
pub(crate) mod json;
pub mod output;
pub(crate) mod parallel;
pub(crate) mod read;
pub mod recording;
pub mod redact;
mod release;
pub mod select;
pub mod text;
pub mod write;

#[cfg(feature = "testkit")]
pub use deferred::read_deferring;
pub(crate) use deferred::{Deferred, ValueMode};
pub use read::*;
pub use select::Selection;
pub use write::*;
