//! ioscope's JSON (`dump --format json`, schema in the README): the writer and the reader.

pub mod read;
pub mod write;

pub use read::read;
