//! Leak hunting over a registry: class instance counts beside the kernel's own
//! (`ioclasscount`), user clients per process, and the differences between two registries.
//! UI-free: the CLI prints these, the explorer shows them.

pub mod classes;
pub mod clients;
pub mod diff;
