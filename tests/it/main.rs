//! The one integration-test binary (one link, not one per file). Each area adds a module here.

mod census;
mod cli;
mod cli_errors;
mod common;
mod corpus;
mod deferred;
mod dump;
mod explain;
mod fixture;
mod generate;
mod graph;
mod hostile;
mod json_checksums;
mod layers;
mod lazy_text;
mod lazy_xml;
mod load;
mod paths;
mod ports;
mod pty;
mod roundtrip;
mod text;
mod tui;
mod values;
mod xml_chunks;
