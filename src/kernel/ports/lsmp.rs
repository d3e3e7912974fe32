//! Reads the JSON Apple's `lsmp -p PID -j FILE` (or `lsmp -a -j FILE`) writes, as its source
//! writes it (apple-oss-distributions/system_cmds, lsmp/lsmp.c, task_details.c,
//! port_details.c and the stream writer json.h):
//!
//! ```text
//! {"version":"1.0","processes":[{"pid":N,"name":"…","ports":[…],"total":N,"send_rights":N,…}]}
//! ```
//!
//! No whitespace anywhere. Each port is an object: a receive right `{"type":"port",…}`, a port
//! set `{"type":"port set",…}`, a dead name `{"type":"dead name","name":"0x…","ipc-object":
//! "0x…","send_rights":UREFS}`, a send right to a kernel object `{"name":"0x%08x",
//! "ipc-object":"0x%08x","rights":["send"],"notifications":[…],"send_rights":UREFS,
//! "identifier":"0x%08x","type":"IOKIT-OBJECT","description":"Class(0x…)"}` (the description
//! only when the kernel gave one, with `"` and `\` escaped), or a send right to another
//! task's port (no `type`). lsmp escapes nothing else: a process name with a control
//! character is written raw, which this reader accepts.

use super::Pid;
use super::census::{Access, HeldName, PortCensus, UNKNOWN_DEAD, description_class};
use serde_json::Value;
use std::path::Path;

/// Larger files are refused before they are read (lsmp writes about 250 bytes a name: this
/// is some four million names).
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum LsmpError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {size} bytes is more than the {MAX_FILE_BYTES}-byte limit for an lsmp file")]
    TooLarge { path: String, size: u64 },
    #[error("{path}: line {line}, column {column}: {message}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {place}: {message}")]
    Shape {
        path: String,
        place: String,
        message: String,
    },
}

/// Reads an lsmp JSON file: one census per process it holds.
pub fn read_file(path: &Path) -> Result<Vec<PortCensus>, LsmpError> {
    let shown = crate::registry::escape::for_terminal(&path.display().to_string()).into_owned();
    let io = |source| LsmpError::Io {
        path: shown.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(LsmpError::TooLarge { path: shown, size });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    parse(&bytes, &shown)
}

/// Parses lsmp JSON bytes (`shown`: the file name for messages).
pub(crate) fn parse(bytes: &[u8], shown: &str) -> Result<Vec<PortCensus>, LsmpError> {
    let lossy = String::from_utf8_lossy(bytes);
    let text = escape_raw_controls(&lossy);
    let root: Value = serde_json::from_str(&text).map_err(|e| LsmpError::Json {
        path: shown.to_owned(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    let shape = |place: String, message: &str| LsmpError::Shape {
        path: shown.to_owned(),
        place,
        message: message.to_owned(),
    };
    let processes = root
        .get("processes")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            shape(
                "top level".into(),
                "no \"processes\" array: not the JSON `lsmp -j` writes",
            )
        })?;
    let mut out = Vec::with_capacity(processes.len());
    for (i, p) in processes.iter().enumerate() {
        let place = format!("processes[{i}]");
        let pid = p
            .get("pid")
            .and_then(Value::as_i64)
            .and_then(|n| Pid::try_from(n).ok())
            .ok_or_else(|| shape(place.clone(), "no integer \"pid\""))?;
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        let ports = p
            .get("ports")
            .and_then(Value::as_array)
            .ok_or_else(|| shape(place.clone(), "no \"ports\" array"))?;
        let mut census = PortCensus {
            pid,
            process: name.to_owned(),
            access: Access::Lsmp,
            refusal: None,
            no_process: false,
            names: Vec::new(),
            space: None,
            vanished: 0,
            total_names: p
                .get("total")
                .and_then(Value::as_u64)
                .map(|n| n.min(u64::from(u32::MAX)) as u32),
        };
        for (j, port) in ports.iter().enumerate() {
            if let Some(held) = held_name(port)
                .map_err(|m| shape(format!("processes[{i}].ports[{j}]"), &m.to_string()))?
            {
                census.names.push(held);
            }
        }
        out.push(census);
    }
    Ok(out)
}

/// What a port entry of an lsmp file lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum PortField {
    #[error("no \"name\" of the form 0x%08x")]
    Name,
    #[error("no integer \"send_rights\"")]
    SendRights,
}

fn held_name(port: &Value) -> Result<Option<HeldName>, PortField> {
    let ty = port.get("type").and_then(Value::as_str);
    let dead = ty == Some("dead name");
    let type_name = match ty {
        Some("dead name") => UNKNOWN_DEAD.0,
        Some(t) => match super::census::iokit_type(t) {
            Some(t) => t,
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    if !dead {
        let send = port
            .get("rights")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|v| v.as_str() == Some("send")));
        if !send {
            return Ok(None);
        }
    }
    let name = port
        .get("name")
        .and_then(Value::as_str)
        .and_then(parse_hex)
        .ok_or(PortField::Name)?;
    let urefs = port
        .get("send_rights")
        .and_then(Value::as_u64)
        .ok_or(PortField::SendRights)?
        .min(u64::from(u32::MAX)) as u32;
    let described = port
        .get("description")
        .and_then(Value::as_str)
        .and_then(description_class);
    Ok(Some(HeldName {
        name,
        type_name: type_name.to_owned(),
        class: described.as_ref().map(|(c, _)| c.clone()),
        registry_id: described.map(|(_, id)| id),
        urefs,
        dead,
    }))
}

fn parse_hex(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

/// lsmp writes no whitespace between tokens, so a control character can only be inside a
/// string (a process name or description): escape it so the JSON parses.
fn escape_raw_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.bytes().any(|b| b < 0x20) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string && (c as u32) < 0x20 {
            out.push_str(&format!("\\u{:04x}", c as u32));
            escaped = false;
            continue;
        }
        out.push(c);
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
    }
    out.into()
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_control_characters_in_names_are_read() {
        let json =
            "{\"version\":\"1.0\",\"processes\":[{\"pid\":7,\"name\":\"a\u{1b}b\",\"ports\":[]}]}";
        let got = parse(json.as_bytes(), "x.json").unwrap();
        assert_eq!(got[0].process, "a\u{1b}b");
    }

    #[test]
    fn bad_json_names_the_place() {
        let err = parse(b"{\"version\":\"1.0\",\n\"processes\":[", "x.json").unwrap_err();
        assert!(
            err.to_string().starts_with("x.json: line 2, column"),
            "{err}"
        );
        let err = parse(b"{\"version\":\"1.0\"}", "x.json").unwrap_err();
        assert!(err.to_string().contains("no \"processes\" array"), "{err}");
    }
}
