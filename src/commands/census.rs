//! What `classes`, `clients` and `diff` share: where a registry comes from, the baseline and
//! the report format (the counting and comparing live in [`ioscope::census`]).

use super::{load_at, print_bytes};
use anyhow::Result;
use ioscope::registry::Registry;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where a registry comes from: FILE, `--demo`, or the live registry (the demo off macOS).
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// Use the simulated Mac (the demo) as the live registry, on any OS.
    #[arg(long)]
    pub demo: bool,
}

/// What `classes` and `clients` share: the moment, the baseline, the source, the format.
#[derive(Debug, Clone, clap::Args)]
pub struct CensusArgs {
    /// With a recording: the moment to read (seconds from the start, `12.5`, or an RFC 3339
    /// time); default its last.
    #[arg(long, value_name = "T")]
    pub at: Option<String>,
    /// Add each count in this earlier registry, and the change since (the leak signal).
    #[arg(long, value_name = "A")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Output format of the census commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// A file (at a moment, for a recording), `--demo`, or the live registry.
type Source<'a> = (Option<&'a Path>, Option<&'a str>);

pub(super) fn load_source(file: Source<'_>, demo: bool) -> Result<Registry> {
    match (file.0, demo) {
        (Some(f), _) => load_at(Some(f), file.1),
        (None, true) => {
            use ioscope::kernel::session::LiveSession;
            let mut session = ioscope::kernel::sim::demo_session();
            session
                .walk(&mut |_| {})
                .map_err(|code| anyhow::anyhow!("walking the demo registry failed: {code}"))
        }
        (None, false) => load_at(None, file.1),
    }
}

pub(super) fn live_name(demo: bool) -> &'static str {
    if demo || cfg!(not(target_os = "macos")) {
        "demo"
    } else {
        "live"
    }
}

/// Prints rows as text or JSON.
pub(super) fn print_report<T: serde::Serialize>(
    format: ReportFormat,
    rows: &[T],
    text: fn(&[T]) -> String,
) -> Result<ExitCode> {
    let out = match format {
        ReportFormat::Text => text(rows),
        ReportFormat::Json => json_line(&rows)?,
    };
    print_bytes(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn json_line<T: serde::Serialize>(v: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(ioscope::registry::escape::json_controls(&s).into_owned())
}
