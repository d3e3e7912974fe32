//! `ioscope classes`, `ioscope clients` and `ioscope diff`: leak hunting from the command line
//! (the counting and comparing live in [`ioscope::census`]).

use super::{load, load_at, print_bytes};
use anyhow::{Context, Result};
use ioscope::census::{classes, clients, diff};
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

fn load_source(file: Source<'_>, demo: bool) -> Result<Registry> {
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
    args: &CensusArgs,
) -> Result<ExitCode> {
    let r = load_source((file, args.at.as_deref()), args.source.demo)?;
    let mut rows = classes::census(&r);
    if let Some(b) = &args.baseline {
        let before = load(Some(b)).with_context(|| "the baseline".to_string())?;
        rows = classes::with_baseline(rows, &classes::census(&before));
    }
    let rows = classes::select(rows, wanted);
    print_report(args.format, &rows, classes::text)
}

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

/// Prints rows as text or JSON.
fn print_report<T: serde::Serialize>(
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

/// `ioscope diff A [B]`: exit 0 when they are the same, 1 when they differ, 2 on trouble
/// (the caller maps an error to 2).
pub fn diff_command(
    a: &Path,
    b: Option<&PathBuf>,
    at: &[String],
    options: &diff::DiffOptions,
    (quiet, format): (bool, ReportFormat),
    source: &SourceArgs,
) -> Result<ExitCode> {
    let (ra, rb, names) = match at {
        [] => {
            let ra = load(Some(a))?;
            let rb = load_source((b.map(PathBuf::as_path), None), source.demo)?;
            let names = (
                a.display().to_string(),
                b.map_or_else(
                    || live_name(source.demo).to_owned(),
                    |p| p.display().to_string(),
                ),
            );
            (ra, rb, names)
        }
        [t1, t2] if b.is_none() => {
            let ra = load_at(Some(a), Some(t1))?;
            let rb = load_at(Some(a), Some(t2))?;
            let shown = a.display();
            (
                ra,
                rb,
                (format!("{shown} at {t1}"), format!("{shown} at {t2}")),
            )
        }
        _ => anyhow::bail!(
            "--at: give two moments of one recording (`ioscope diff REC --at T1 --at T2`)"
        ),
    };
    let d = diff::diff(&ra, &rb, (&names.0, &names.1), options);
    let filtered = options.class.is_some() || options.name.is_some() || options.key.is_some();
    if filtered && d.a.compared == 0 && d.b.compared == 0 {
        // Never "the same" because nothing was compared.
        anyhow::bail!(
            "no entry on either side passes -c/-n/-k (a class matches its subclasses only where the dump \
             records the class chain: ioreg -i, .ioreg documents, the live registry)"
        );
    }
    if quiet {
        if !d.is_empty() {
            let line = format!("Registries {} and {} differ\n", names.0, names.1);
            print_bytes(ioscope::registry::escape::lines_for_terminal(&line).as_bytes())?;
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
