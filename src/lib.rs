//! ioscope: a terminal explorer for the macOS I/O Registry.
pub mod app;
pub mod census;
pub mod formats;
pub mod kernel;
pub mod registry;
pub mod ui;
pub mod values;
