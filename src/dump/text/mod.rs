//! Writer stub.
use super::Selection;
use crate::registry::Registry;
use std::io::{self, Write};

/// Writes `registry` in this format.
pub fn write(_registry: &Registry, _selection: &Selection, _out: &mut dyn Write) -> io::Result<()> {
    Err(io::Error::other("this writer is not written yet"))
}
