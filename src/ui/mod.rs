//! Drawing the explorer from its state (ratatui).

use crate::cli::Cli;
use std::process::ExitCode;

/// Opens the explorer on the source the command line names.
pub fn run_explorer(cli: &Cli) -> anyhow::Result<ExitCode> {
    let registry = crate::cli::load(cli.file.as_deref())?;
    for plane in registry.planes() {
        println!("{}:", plane.name());
        for (id, depth) in plane.walk() {
            println!("{}+-o {}", "  ".repeat(depth), registry.label_in(plane, id));
        }
    }
    Ok(ExitCode::SUCCESS)
}
