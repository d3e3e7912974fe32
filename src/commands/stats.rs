//! `ioscope stats`: one JSON object describing a loaded registry.

use super::{keep_until_exit, load_at, print_bytes};
use anyhow::{Context, Result};
use ioscope::registry::escape;
use ioscope::registry::stats::Stats;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

pub(super) fn stats_command(file: Option<&Path>, at: Option<&str>) -> Result<ExitCode> {
    let start = Instant::now();
    let registry = load_at(file, at)?;
    let stats = Stats::of(&registry, start.elapsed().as_secs_f64() * 1000.0);
    let mut json = serde_json::to_string_pretty(&stats)?;
    json.push('\n');
    print_bytes(escape::json_controls(&json).as_bytes()).context("stdout")?;
    keep_until_exit(registry);
    Ok(ExitCode::SUCCESS)
}
