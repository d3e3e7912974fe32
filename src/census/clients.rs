//! `ioscope clients`: the user clients each process opened. An IOUserClient carries
//! `IOUserClientCreator` = `"pid N, name"` (set by IOUserClient::setTask… when the client is
//! created); each is counted once (an entry with several parents once), by its class and by
//! the class of the service it was opened on (its first parent in IOService).

use crate::registry::{Registry, Value};
use serde::Serialize;
use std::collections::BTreeMap;

/// The user clients of one process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessClients {
    pub pid: u32,
    pub process: String,
    pub clients: u64,
    /// User-client class → count.
    pub classes: BTreeMap<String, u64>,
    /// Class of the service each client was opened on → count.
    pub services: BTreeMap<String, u64>,
    /// With a baseline: that process's count there (same PID and name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<u64>,
    /// With a baseline: `clients - baseline`, the leak signal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<i64>,
}

pub(crate) use crate::registry::parse_creator;

/// Processes with user clients, most clients first (then by PID).
pub fn census(r: &Registry) -> Vec<ProcessClients> {
    let service = r.plane("IOService");
    let mut by: BTreeMap<(u32, String), ProcessClients> = BTreeMap::new();
    for (id, e) in r.entries() {
        if e.synthetic {
            continue;
        }
        let Some(Value::String(creator)) = e.property("IOUserClientCreator") else {
            continue;
        };
        let Some((pid, process)) = parse_creator(&creator.to_string_lossy()) else {
            continue;
        };
        let p = by
            .entry((pid, process.clone()))
            .or_insert_with(|| ProcessClients {
                pid,
                process,
                clients: 0,
                classes: BTreeMap::new(),
                services: BTreeMap::new(),
                baseline: None,
                growth: None,
            });
        p.clients += 1;
        let class = r.class_name(id).unwrap_or("?").to_owned();
        *p.classes.entry(class).or_default() += 1;
        let provider = service
            .and_then(|s| s.parent(id))
            .map(|s| r.class_name(s).unwrap_or("?").to_owned())
            .unwrap_or_else(|| "?".into());
        *p.services.entry(provider).or_default() += 1;
    }
    let mut out: Vec<ProcessClients> = by.into_values().collect();
    out.sort_by(|a, b| b.clients.cmp(&a.clients).then(a.pid.cmp(&b.pid)));
    out
}

/// Adds each process's count in the baseline and its growth; processes gone since are
/// listed with 0 clients.
pub fn with_baseline(
    mut now: Vec<ProcessClients>,
    before: &[ProcessClients],
) -> Vec<ProcessClients> {
    for p in &mut now {
        let b = before
            .iter()
            .find(|q| q.pid == p.pid && q.process == p.process)
            .map_or(0, |q| q.clients);
        p.baseline = Some(b);
        p.growth = Some(p.clients as i64 - b as i64);
    }
    for q in before {
        if !now.iter().any(|p| p.pid == q.pid && p.process == q.process) {
            now.push(ProcessClients {
                clients: 0,
                classes: BTreeMap::new(),
                services: BTreeMap::new(),
                baseline: Some(q.clients),
                growth: Some(-(q.clients as i64)),
                ..q.clone()
            });
        }
    }
    now.sort_by(|a, b| {
        b.growth
            .cmp(&a.growth)
            .then(b.clients.cmp(&a.clients))
            .then(a.pid.cmp(&b.pid))
    });
    now
}

/// A table: `PID  PROCESS  CLIENTS [GROWTH]  CLASSES`.
pub fn text(rows: &[ProcessClients]) -> String {
    let mut out = String::new();
    let growth = rows.iter().any(|p| p.growth.is_some());
    out.push_str(if growth {
        "  PID  PROCESS                    CLIENTS  GROWTH  CLASSES\n"
    } else {
        "  PID  PROCESS                    CLIENTS  CLASSES\n"
    });
    for p in rows {
        let classes: Vec<String> = p.classes.iter().map(|(c, n)| format!("{c} {n}")).collect();
        out.push_str(&format!("{:>5}  {:<26} {:>7}", p.pid, p.process, p.clients));
        if let Some(g) = p.growth {
            out.push_str(&format!("  {g:>+6}"));
        }
        out.push_str(&format!("  {}\n", classes.join(", ")));
    }
    crate::registry::escape::lines_for_terminal(&out)
}
