//! `ioscope classes`, `ioscope clients` and `ioscope diff`: leak hunting from the command line
//! (the counting and comparing live in [`crate::census`]).

use super::{load, print_bytes};
use crate::census::{classes, clients, diff};
use crate::registry::Registry;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where a registry comes from: FILE, `--demo`, or the live registry (the demo off macOS).
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// Use the simulated Mac (the demo) as the live registry, on any OS.
    #[arg(long)]
    pub demo: bool,
}

/// Output format of the census commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

fn load_source(file: Option<&Path>, demo: bool) -> Result<Registry> {
    match (file, demo) {
        (Some(f), _) => load(Some(f)),
        (None, true) => {
            use crate::source::session::LiveSession;
            let mut session = crate::source::sim::demo_session();
            session
                .walk(&mut |_| {})
                .map_err(|code| anyhow::anyhow!("walking the demo registry failed: {code}"))
        }
        (None, false) => load(None),
    }
}

fn live_name(demo: bool) -> &'static str {
    if demo || cfg!(not(target_os = "macos")) {
        "demo"
    } else {
        "live"
    }
}

/// Splits `classes`' arguments: a first one naming an existing file is the source.
pub fn source_and_classes(
    file: Option<PathBuf>,
    mut args: Vec<String>,
) -> (Option<PathBuf>, Vec<String>) {
    if file.is_some() {
        return (file, args);
    }
    if args.first().is_some_and(|a| Path::new(a).exists()) {
        let first = args.remove(0);
        return (Some(PathBuf::from(first)), args);
    }
    (None, args)
}

/// `ioscope classes [SOURCE] [CLASS…] [--baseline A] [--format json]`.
pub fn classes_command(
    file: Option<&Path>,
    wanted: &[String],
    baseline: Option<&Path>,
    source: &SourceArgs,
    format: ReportFormat,
) -> Result<ExitCode> {
    let r = load_source(file, source.demo)?;
    let mut rows = classes::census(&r);
    if let Some(b) = baseline {
        let before = load(Some(b)).with_context(|| "the baseline".to_string())?;
        rows = classes::with_baseline(rows, &classes::census(&before));
    }
    let rows = classes::select(rows, wanted);
    let out = match format {
        ReportFormat::Text => classes::text(&rows),
        ReportFormat::Json => json_line(&rows)?,
    };
    print_bytes(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `ioscope clients [SOURCE] [--baseline A] [--format json]`.
pub fn clients_command(
    file: Option<&Path>,
    baseline: Option<&Path>,
    source: &SourceArgs,
    format: ReportFormat,
) -> Result<ExitCode> {
    let r = load_source(file, source.demo)?;
    let mut rows = clients::census(&r);
    if let Some(b) = baseline {
        let before = load(Some(b)).with_context(|| "the baseline".to_string())?;
        rows = clients::with_baseline(rows, &clients::census(&before));
    }
    let out = match format {
        ReportFormat::Text => clients::text(&rows),
        ReportFormat::Json => json_line(&rows)?,
    };
    print_bytes(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn json_line<T: serde::Serialize>(v: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(crate::registry::escape::json_controls(&s).into_owned())
}

/// `ioscope diff A [B]`: exit 0 when they are the same, 1 when they differ, 2 on trouble
/// (the caller maps an error to 2).
pub fn diff_command(
    a: &Path,
    b: Option<&PathBuf>,
    options: &diff::DiffOptions,
    quiet: bool,
    source: &SourceArgs,
    format: ReportFormat,
) -> Result<ExitCode> {
    let ra = load(Some(a))?;
    let rb = load_source(b.map(PathBuf::as_path), source.demo)?;
    let names = (
        a.display().to_string(),
        b.map_or_else(
            || live_name(source.demo).to_owned(),
            |p| p.display().to_string(),
        ),
    );
    let d = diff::diff(&ra, &rb, (&names.0, &names.1), options);
    if quiet {
        if !d.is_empty() {
            let line = format!("Registries {} and {} differ\n", names.0, names.1);
            print_bytes(crate::registry::escape::lines_for_terminal(&line).as_bytes())?;
        }
    } else {
        let out = match format {
            ReportFormat::Text => diff::text(&d),
            ReportFormat::Json => diff::json(&d),
        };
        print_bytes(out.as_bytes())?;
    }
    Ok(if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
