//! `x`: export the selected subtree, or the whole plane, to a file named in a prompt —
//! through the same atomic writer and selection rules as `ioscope dump -o`.
//!
//! The prompt takes `FILE [--format json|text|plist] [--redact] [--plane]`. Without
//! `--format` the file's extension picks it (`.json`, `.txt`/`.ioreg`, `.plist`/`.xml`; any
//! other: plist, as `dump`). `--redact` replaces identifying values as `dump --redact`
//! does; `--plane` writes the whole plane instead of the selected subtree. The dump being
//! explored is never overwritten.

use super::Error;
use super::state::{State, plane_at};
use crate::formats::{self, DumpFormat, Selection, Style, output::Target};
use crate::registry::escape;
use std::path::PathBuf;

/// What the prompt asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub path: PathBuf,
    pub format: DumpFormat,
    pub redact: bool,
    pub whole_plane: bool,
}

/// Reads the prompt's text.
pub(crate) fn parse(input: &str) -> Result<Request, Error> {
    let mut path: Option<String> = None;
    let (mut format, mut redact, mut whole_plane) = (None, false, false);
    let mut words = input.split_whitespace();
    while let Some(w) = words.next() {
        match w {
            "--redact" => redact = true,
            "--plane" => whole_plane = true,
            "--format" => {
                format = Some(match words.next() {
                    Some("json") => DumpFormat::Json,
                    Some("text") => DumpFormat::Text,
                    Some("plist") => DumpFormat::Plist,
                    _ => return Err(Error::ExportFormat),
                })
            }
            _ if w.starts_with("--") => {
                return Err(Error::ExportOption(w.to_owned()));
            }
            _ => match &mut path {
                // A file name with spaces: the words join again.
                Some(p) => {
                    p.push(' ');
                    p.push_str(w);
                }
                None => path = Some(w.to_owned()),
            },
        }
    }
    let path = PathBuf::from(path.ok_or(Error::ExportNoFile)?);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let format = format.unwrap_or(match ext.as_deref() {
        Some("json") => DumpFormat::Json,
        Some("txt" | "ioreg" | "text") => DumpFormat::Text,
        _ => DumpFormat::Plist,
    });
    Ok(Request {
        path,
        format,
        redact,
        whole_plane,
    })
}

/// Exports as `input` asks; returns the line for the status bar (what was written, or why not).
pub(crate) fn run(s: &State, input: &str) -> String {
    match export(s, input) {
        Ok(done) => done,
        Err(e) => format!("export: {}", escape::for_terminal(&error_chain(&e))),
    }
}

fn export(s: &State, input: &str) -> Result<String, Error> {
    let req = parse(input)?;
    let target = Target::check(&req.path, s.source_path.as_deref(), false)?;
    let plane = plane_at(&s.registry, s.plane);
    let entry = if req.whole_plane {
        None
    } else {
        Some(s.selected_entry().ok_or(Error::ExportNoEntry)?)
    };
    let selection = Selection {
        plane: Some(plane.name().to_owned()),
        entry,
        list: true,
        ..Selection::default()
    };
    let redacted;
    let (registry, note) = if req.redact {
        let mut copy = s.registry.clone();
        let report = formats::redact::redact(&mut copy);
        redacted = copy;
        (&redacted, format!("; {}", report.line()))
    } else {
        (&s.registry, String::new())
    };
    let style = Style {
        escape: true,
        ..Style::default()
    };
    target.write(|out| formats::write_styled(registry, &selection, req.format, &style, out))?;
    let what = match entry {
        Some(id) => s
            .registry
            .path_in(plane, id)
            .unwrap_or_else(|| s.registry.label_in(plane, id)),
        None => format!("the {} plane", plane.name()),
    };
    Ok(format!(
        "exported {} to {} ({}){note}",
        escape::for_terminal(&what),
        escape::for_terminal(&req.path.display().to_string()),
        match req.format {
            DumpFormat::Json => "json",
            DumpFormat::Text => "text",
            DumpFormat::Plist => "plist",
        }
    ))
}

/// An error with its causes, `message: cause`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_names_file_format_and_options() {
        let r = parse("usb.json --redact").unwrap();
        assert_eq!(
            (r.format, r.redact, r.whole_plane),
            (DumpFormat::Json, true, false)
        );
        let r = parse("--plane my dump.txt").unwrap();
        assert_eq!(r.path, PathBuf::from("my dump.txt"));
        assert_eq!(r.format, DumpFormat::Text);
        assert_eq!(
            parse("x.dat --format json").unwrap().format,
            DumpFormat::Json
        );
        assert_eq!(parse("x.dat").unwrap().format, DumpFormat::Plist);
        assert!(parse("--redact").is_err());
        assert!(parse("a --bogus").is_err());
    }
}
