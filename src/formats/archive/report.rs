//! The `ioscope:report` dict: the parts of a [`LoadReport`] a writer keeps.
//!
//! The origin is written (as `origin`, for people) but not restored: a registry read from
//! an archive comes from an archive. `raw_values` is recounted from the values.

use crate::registry::{HeaderStyle, Integer, LoadReport, Text, TextDialect, Truncation, Value};

type Pairs = Vec<(Text, Value)>;

fn header_name(h: HeaderStyle) -> &'static str {
    match h {
        HeaderStyle::Modern => "modern",
        HeaderStyle::NoId => "no-id",
        HeaderStyle::RetainCount => "retain-count",
        HeaderStyle::ClassOnly => "class-only",
        HeaderStyle::PostProcessed => "post-processed",
    }
}

fn header_from(name: &str) -> HeaderStyle {
    match name {
        "no-id" => HeaderStyle::NoId,
        "retain-count" => HeaderStyle::RetainCount,
        "class-only" => HeaderStyle::ClassOnly,
        "post-processed" => HeaderStyle::PostProcessed,
        _ => HeaderStyle::Modern,
    }
}

fn s(v: &str) -> Value {
    Value::String(Text::from(v))
}

/// The report as a plist dict.
pub(crate) fn to_value(report: &LoadReport) -> Value {
    let mut p: Pairs = vec![("origin".into(), s(report.origin.reader_name()))];
    if let Some(d) = report.dialect {
        let dialect = vec![
            ("header".into(), s(header_name(d.header))),
            ("hex".into(), Value::Bool(d.hex)),
            ("properties".into(), Value::Bool(d.properties)),
            ("html-escaped".into(), Value::Bool(d.html_escaped)),
            ("crlf".into(), Value::Bool(d.crlf)),
            ("inheritance".into(), Value::Bool(d.inheritance)),
        ];
        p.push(("dialect".into(), Value::Dict(dialect)));
    }
    if let Some(h) = &report.host {
        p.push(("host".into(), s(h)));
    }
    p.push((
        "clipped-lines".into(),
        Value::Integer(Integer::unsigned(report.clipped_lines as u64, 64)),
    ));
    if let Some(t) = &report.truncated {
        let tr = vec![
            ("position".into(), s(&t.position)),
            ("message".into(), s(&t.message)),
        ];
        p.push(("truncated".into(), Value::Dict(tr)));
    }
    if !report.warnings.is_empty() {
        let w = report.warnings.iter().map(|w| s(w)).collect();
        p.push(("warnings".into(), Value::Array(w)));
    }
    Value::Dict(p)
}

fn get<'a>(pairs: &'a Pairs, key: &str) -> Option<&'a Value> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn string(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(t)) => Some(t.to_string_lossy().into_owned()),
        _ => None,
    }
}

fn flag(pairs: &Pairs, key: &str) -> bool {
    matches!(get(pairs, key), Some(Value::Bool(true)))
}

/// Restores what [`to_value`] wrote.
pub(crate) fn restore(report: &mut LoadReport, pairs: &Pairs) {
    if let Some(Value::Dict(d)) = get(pairs, "dialect") {
        report.dialect = Some(TextDialect {
            header: header_from(&string(get(d, "header")).unwrap_or_default()),
            hex: flag(d, "hex"),
            properties: flag(d, "properties"),
            html_escaped: flag(d, "html-escaped"),
            crlf: flag(d, "crlf"),
            inheritance: flag(d, "inheritance"),
        });
    }
    report.host = string(get(pairs, "host"));
    if let Some(Value::Integer(i)) = get(pairs, "clipped-lines") {
        report.clipped_lines = usize::try_from(i.value()).unwrap_or(0);
    }
    if let Some(Value::Dict(t)) = get(pairs, "truncated") {
        report.truncated = Some(Truncation {
            position: string(get(t, "position")).unwrap_or_default(),
            message: string(get(t, "message")).unwrap_or_default(),
        });
    }
    if let Some(Value::Array(w)) = get(pairs, "warnings") {
        report.warnings = w.iter().filter_map(|v| string(Some(v))).collect();
    }
}
