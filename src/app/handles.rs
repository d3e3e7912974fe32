//! The handle table (`H`): every handle we hold, stale ones first.

use super::state::{HandleSort, State};
use crate::kernel::HandleProbe;
use crate::registry::EntryId;

/// The table's rows in display order: stale first, then by the chosen column.
pub fn rows(state: &State, sort: HandleSort) -> Vec<(EntryId, &HandleProbe)> {
    let mut rows: Vec<(EntryId, &HandleProbe)> =
        state.probes.iter().map(|(&id, p)| (id, p)).collect();
    let name = |id: EntryId| state.registry.entry(id).name.to_string_lossy().into_owned();
    let class = |id: EntryId| state.registry.class_name(id).unwrap_or("").to_owned();
    rows.sort_by(|a, b| {
        let stale = b.1.state.is_stale().cmp(&a.1.state.is_stale());
        let by = match sort {
            HandleSort::Port => a.1.port.cmp(&b.1.port),
            HandleSort::Entry => name(a.0).cmp(&name(b.0)),
            HandleSort::Class => class(a.0).cmp(&class(b.0)),
            HandleSort::Urefs => b.1.send_refs.unwrap_or(0).cmp(&a.1.send_refs.unwrap_or(0)),
            HandleSort::Kernel => b.1.kernel_retain.cmp(&a.1.kernel_retain),
        };
        stale.then(by).then(a.1.port.cmp(&b.1.port))
    });
    rows
}
