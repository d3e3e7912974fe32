//! The one integration-test binary (one link, not one per file). Each area adds a module here.

mod cli_errors;
mod common;
mod corpus;
mod dump;
mod explain;
mod fixture;
mod generate;
mod hostile;
mod load;
mod pty;
mod text;
mod tui;
