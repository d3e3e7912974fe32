//! ioscope: a terminal explorer for the macOS I/O Registry.
//!
//! Data flows one way: [`source`] (dumps, the simulated kernel, the live kernel)
//! → [`registry`] (the model) → [`app`] (state and actions) → [`ui`] (drawing).
//! Input becomes actions through one keymap table.

pub mod app;
pub mod census;
pub mod cli;
pub mod dump;
pub mod registry;
pub mod source;
pub mod stats;
pub mod ui;
pub mod values;
