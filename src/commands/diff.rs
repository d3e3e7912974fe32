//! `ioscope diff`: what changed between two registries (or two moments of a recording).

use super::census::{ReportFormat, SourceArgs, live_name, load_source};
use super::{load, load_at, print_bytes};
use anyhow::Result;
use ioscope::census::diff;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
