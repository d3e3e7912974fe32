//! ioscope: a terminal explorer for the macOS I/O Registry.
//!
//! # Layers
//!
//! Each layer uses only the layers below it (checked by `tests/it/layers.rs`):
//!
//! | layer | modules | what it holds |
//! |---|---|---|
//! | edge | [`cli`] | argument parsing, the commands, one-line errors (`anyhow` only here) |
//! | drawing | [`ui`] | ratatui frames drawn from the app's state, the terminal loop |
//! | state | [`app`], [`census`] | the explorer's pure `update(state, action)` and the keymap; leak hunting (diff, classes, clients), UI-free |
//! | sources and formats | [`source`], [`dump`], [`stats`], [`values`] | readers of every dump format, the IOKit seam (the live kernel on macOS, the simulated Mac elsewhere), the writers, typed views of values |
//! | model | [`registry`] | entries, planes as graphs, classes, values, paths as the kernel writes them, limits, the escaping rule — no I/O |
//!
//! A file load: `source::snapshot::load_file` detects the format from the bytes, a reader
//! builds a [`registry::Registry`] under the limits in force, and the app shows it. A key
//! press: the terminal loop looks the key up in the keymap table, `app::update` changes the
//! state, and `ui` draws the frame from that state.

pub mod app;
pub mod census;
pub mod cli;
pub mod dump;
pub mod registry;
pub mod source;
pub mod stats;
pub mod ui;
pub mod values;
