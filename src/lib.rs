//! ioscope: a terminal explorer for the macOS I/O Registry.
//!
//! # Layers
//!
//! Each layer uses only the layers below it (checked by `tests/it/layers.rs`). The binary's
//! `commands` (argument parsing, one file per subcommand, one-line errors with `anyhow`) sit
//! above them all.
//!
//! | layer | module | what it holds |
//! |---|---|---|
//! | drawing | [`ui`] | ratatui frames drawn from the app's state, the terminal loop |
//! | state | [`app`] | the explorer's pure `update(state, action)`, its effects, the keymap table |
//! | leak hunting | [`census`] | diff of two registries, class counts, user clients per process (UI-free) |
//! | formats and kernel | [`formats`], [`kernel`] | every dump format, each with its reader and writer; the IOKit seam with the live kernel (macOS) and the simulated Mac |
//! | typed values | [`values`] | property values decoded as a driver developer reads them |
//! | model | [`registry`] | entries, planes as graphs, classes, values, paths as the kernel writes them, limits, the escaping rule — no I/O |
//!
//! A file load: [`formats::load_file`] tells the format from the bytes, a reader builds a
//! [`registry::Registry`] under the limits in force, and the app shows it. A key press: the
//! terminal loop looks the key up in the keymap table, `app::update` changes the state, and
//! `ui` draws the frame from that state.

pub mod app;
pub mod census;
pub mod formats;
pub mod kernel;
pub mod registry;
pub mod ui;
pub mod values;
