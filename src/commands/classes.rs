//! `ioscope classes`: instances per class beside the kernel's own count.

use super::census::{CensusArgs, load_source, print_report};
use super::load;
use anyhow::{Context, Result};
use ioscope::census::classes;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
