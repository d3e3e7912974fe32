//! ioscope's JSON (`dump --format json`, schema in the README): the writer and the reader.

pub(crate) mod read;
pub(crate) mod write;

pub(crate) use read::read;
