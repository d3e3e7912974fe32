//! `ioscope clients`: user clients per process (`IOUserClientCreator`).

use super::census::{CensusArgs, load_source, print_report};
use super::load;
use anyhow::{Context, Result};
use ioscope::census::clients;
use std::path::Path;
use std::process::ExitCode;

/// `ioscope clients [SOURCE] [--baseline A] [--format json]`.
pub fn clients_command(file: Option<&Path>, args: &CensusArgs) -> Result<ExitCode> {
    let r = load_source((file, args.at.as_deref()), args.source.demo)?;
    let mut rows = clients::census(&r);
    if let Some(b) = &args.baseline {
        let before = load(Some(b)).with_context(|| "the baseline".to_string())?;
        rows = clients::with_baseline(rows, &clients::census(&before));
    }
    print_report(args.format, &rows, clients::text)
}
