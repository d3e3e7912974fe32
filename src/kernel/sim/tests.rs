//! Tests of the simulated kernel against `mach-iokit-rules.md`, one concept per module.
//! Expected values come from the rules document (cited per test), never from the sim.

mod handle_table;
mod hold;
mod lab;
mod names;
mod port_calls;
mod refs;
mod replug;
mod support;
mod unplug;
mod walker;
