//! The load report (`i`): what the reader or walker noticed, as the lines the popup shows.
//! Everything comes from [`LoadReport`] and the registry itself (model, kernel, OS build are
//! properties a dump carries: the platform device's `model`, Root's `IOKitBuildVersion`,
//! the `OS Build Version` some machines publish).

use crate::registry::{LoadReport, Registry, Value};

/// One line of the report; `warn` lines are drawn in the warning colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportLine {
    pub label: &'static str,
    pub text: String,
    pub warn: bool,
}

fn line(label: &'static str, text: impl Into<String>) -> ReportLine {
    ReportLine {
        label,
        text: text.into(),
        warn: false,
    }
}

fn warning(label: &'static str, text: impl Into<String>) -> ReportLine {
    ReportLine {
        label,
        text: text.into(),
        warn: true,
    }
}

/// The format, as a user would name it.
fn format_name(report: &LoadReport) -> String {
    use crate::registry::Origin;
    match report.origin {
        Origin::IoregText => {
            let mut s = "ioreg text".to_string();
            if let Some(d) = report.dialect {
                let mut flags = Vec::new();
                if d.properties {
                    flags.push("-l");
                }
                if d.hex {
                    flags.push("-x");
                }
                if d.inheritance {
                    flags.push("-i");
                }
                if !flags.is_empty() {
                    s.push_str(&format!(" ({})", flags.join(" ")));
                }
                s.push_str(&format!(", {:?} tree lines", d.header));
                if d.html_escaped {
                    s.push_str(", HTML-escaped");
                }
                if d.crlf {
                    s.push_str(", CRLF");
                }
            }
            s
        }
        Origin::IoregArchive => "ioreg -a archive (plist)".into(),
        Origin::Iorex => "IORegistryExplorer document (.ioreg)".into(),
        Origin::Live => "the live registry (walked through IOKit)".into(),
        Origin::Demo => "the simulated Mac (walked through the IOKit seam)".into(),
        Origin::Built => "built in memory".into(),
        Origin::IoscopeJson => "ioscope JSON export".into(),
        Origin::Recording => "ioscope recording (one moment)".into(),
    }
}

/// A string or data value as text (`model` is data on Intel and Apple Silicon).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(t) => Some(t.to_string_lossy().into_owned()),
        Value::Data(d) => {
            let d = d.strip_suffix(&[0]).unwrap_or(d);
            std::str::from_utf8(d)
                .ok()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        }
        _ => None,
    }
}

/// The first value of `key` on any entry (entries in order), as text.
fn find_property(registry: &Registry, key: &str) -> Option<String> {
    registry.entries().find_map(|(_, e)| {
        e.properties
            .iter()
            .find(|(k, _)| k.as_bytes() == key.as_bytes())
            .and_then(|(_, v)| text_of(v))
    })
}

/// The machine model: the platform device's `model` (the first entry below a root that has one).
fn model(registry: &Registry) -> Option<String> {
    let plane = registry
        .plane("IOService")
        .or_else(|| registry.planes().first())?;
    plane
        .roots()
        .iter()
        .flat_map(|&r| std::iter::once(r).chain(plane.children(r).iter().copied()))
        .find_map(|id| {
            registry
                .entry(id)
                .properties
                .iter()
                .find(|(k, _)| k.as_bytes() == b"model")
                .and_then(|(_, v)| text_of(v))
        })
}

/// Line numbers as `12, 40, 41 … (and 997 more)`, at most `shown` of them.
fn numbers(at: &[u64], total: usize, shown: usize) -> String {
    let mut s: Vec<String> = at.iter().take(shown).map(u64::to_string).collect();
    let more = total.saturating_sub(s.len());
    if more > 0 {
        s.push(format!("… and {more} more"));
    }
    s.join(", ")
}

/// Every line of the report.
pub(crate) fn lines(registry: &Registry) -> Vec<ReportLine> {
    let r = &registry.report;
    let mut out = vec![
        line("format", format_name(r)),
        line("reader", r.origin.reader_name()),
    ];
    if let Some(host) = &r.host {
        out.push(line("host", host.clone()));
    }
    if let Some(m) = model(registry) {
        out.push(line("model", m));
    }
    if let Some(b) = find_property(registry, "OS Build Version") {
        out.push(line("OS build", b));
    }
    if let Some(k) = find_property(registry, "IOKitBuildVersion") {
        out.push(line("kernel", k));
    }
    let planes: Vec<String> = registry
        .planes()
        .iter()
        .map(|p| format!("{} ({})", p.name(), p.len()))
        .collect();
    out.push(line(
        "entries",
        format!("{} in {}", registry.entry_count(), planes.join(", ")),
    ));
    let multi: usize = registry.planes().iter().map(|p| p.multi_parent()).sum();
    if r.unmerged {
        out.push(warning(
            "parents",
            "no registry IDs (before 10.6): an entry with several parents shows once per parent, as separate entries",
        ));
    } else if multi > 0 || r.merged_appearances > 0 {
        out.push(line(
            "parents",
            format!(
                "{multi} entries with several parents ({} repeated appearances merged by registry ID; `a` moves between them)",
                r.merged_appearances
            ),
        ));
    }
    if r.duplicate_links > 0 {
        out.push(warning(
            "links",
            format!(
                "{} (parent, child) links listed twice: kept once",
                r.duplicate_links
            ),
        ));
    }
    if r.unattached > 0 {
        out.push(warning(
            "unattached",
            format!(
                "{} entries whose parent the dump lacks, under \"{}\"",
                r.unattached,
                crate::registry::UNATTACHED
            ),
        ));
    }
    match &r.truncated {
        Some(t) => out.push(warning(
            "truncated",
            format!(
                "at {}: {} (what was complete is loaded)",
                t.position, t.message
            ),
        )),
        None => out.push(line("truncated", "no")),
    }
    if r.clipped_lines > 0 {
        out.push(warning(
            "clipped",
            format!(
                "{} lines cut at ioreg's width (`$`), values kept as text: lines {}",
                r.clipped_lines,
                numbers(&r.clipped_at, r.clipped_lines, 40)
            ),
        ));
    } else {
        out.push(line("clipped", "no lines"));
    }
    if r.raw_values > 0 {
        out.push(line(
            "raw values",
            format!(
                "{} kept as the text read (could not be typed)",
                r.raw_values
            ),
        ));
    }
    if r.warnings.is_empty() {
        out.push(line("warnings", "none"));
    } else {
        out.push(warning("warnings", format!("{}:", r.warnings.len())));
        for w in &r.warnings {
            out.push(warning("", w.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Entry, Text, Truncation};

    fn registry() -> Registry {
        let mut r = Registry::new();
        let root = r.add_entry(Entry {
            name: Text::from("Root"),
            properties: vec![(
                Text::from("IOKitBuildVersion"),
                Value::String(Text::from("Darwin Kernel Version 17.3.0")),
            )]
            .into(),
            ..Entry::default()
        });
        let pe = r.add_entry(Entry {
            name: Text::from("iMacPro1,1"),
            properties: vec![(
                Text::from("model"),
                Value::Data(b"iMacPro1,1\0".to_vec().into()),
            )]
            .into(),
            ..Entry::default()
        });
        let opts = r.add_entry(Entry {
            name: Text::from("options"),
            properties: vec![(
                Text::from("OS Build Version"),
                Value::String(Text::from("17C2120")),
            )]
            .into(),
            ..Entry::default()
        });
        let p = r.plane_mut("IOService");
        p.add_root(root);
        p.add_child(root, pe);
        p.add_child(pe, opts);
        r
    }

    #[test]
    fn the_report_names_model_build_kernel_and_every_problem_with_its_place() {
        let mut r = registry();
        for line in [12, 40, 41] {
            r.report.note_clipped(line);
        }
        r.report.truncated = Some(Truncation {
            position: "line 977".into(),
            message: "the file ends in the middle of a tree line".into(),
        });
        r.report
            .warnings
            .push("line 5: unknown field in a tree line: foo".into());
        assert_eq!(r.report.problem_count(), 3);
        let text: Vec<String> = lines(&r)
            .iter()
            .map(|l| format!("{} {}", l.label, l.text))
            .collect();
        let all = text.join("\n");
        assert!(all.contains("model iMacPro1,1"), "{all}");
        assert!(all.contains("OS build 17C2120"), "{all}");
        assert!(all.contains("kernel Darwin Kernel Version 17.3.0"), "{all}");
        assert!(
            all.contains("truncated at line 977: the file ends"),
            "{all}"
        );
        assert!(
            all.contains("3 lines cut") && all.contains("lines 12, 40, 41"),
            "{all}"
        );
        assert!(all.contains("line 5: unknown field"), "{all}");
    }

    #[test]
    fn clipped_line_numbers_are_bounded_and_the_rest_counted() {
        let mut report = LoadReport::default();
        for line in 1..=(LoadReport::CLIPPED_KEPT as u64 + 500) {
            report.note_clipped(line);
        }
        assert_eq!(report.clipped_at.len(), LoadReport::CLIPPED_KEPT);
        assert_eq!(report.clipped_lines, LoadReport::CLIPPED_KEPT + 500);
        assert!(numbers(&report.clipped_at, report.clipped_lines, 3).ends_with("… and 1497 more"));
    }

    #[test]
    fn a_clean_load_has_no_problems() {
        let r = registry();
        assert_eq!(r.report.problem_count(), 0);
    }
}
