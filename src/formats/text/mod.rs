//! `ioreg` text (`ioreg -l`, `-x`, tree-only, HTML-escaped …): the reader and the writer.

pub mod read;
pub mod write;

pub use read::read;
