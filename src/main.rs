//! The `ioscope` binary: argument parsing and wiring ([`commands`]); everything else is the library.

mod commands;

fn main() -> std::process::ExitCode {
    commands::main()
}
