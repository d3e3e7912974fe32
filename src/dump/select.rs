//! `ioreg`-style selection: plane, class, name, key, root subtrees, depth.

/// What part of a registry to write, with `ioreg`'s flags.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `-p PLANE` (default: IOService, or the registry's first plane).
    pub plane: Option<String>,
    /// `-c CLASS` (subclasses count when the chain is known).
    pub class: Option<String>,
    /// `-n NAME` (may include `@location`).
    pub name: Option<String>,
    /// `-k KEY`.
    pub key: Option<String>,
    /// `-r`: root the output at matching entries.
    pub root_subtrees: bool,
    /// `-d DEPTH`.
    pub depth: Option<usize>,
}
