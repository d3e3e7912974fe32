//! `ioreg` text (`ioreg -l`, `-x`, tree-only, HTML-escaped …): the reader and the writer.

pub(crate) mod read;
pub(crate) mod write;

pub use read::read;
#[cfg(feature = "testkit")]
#[doc(hidden)]
pub use read::{read_in_chunks, read_in_chunks_deferring};
