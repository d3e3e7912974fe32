//! `dump`'s plane and class checks: plane names offered to shell completion, the planes a
//! dump leaves out, and `-c CLASS` resolved as `ioreg -c` (then case-insensitively).

use super::warn;
use anyhow::Result;
use clap::builder::{PossibleValue, TypedValueParser};
use ioscope::formats::Selection;
use ioscope::formats::select;
use ioscope::registry::Registry;

/// The planes of a Mac's registry (xnu and the families that add planes), offered by shell
/// completion for `-p`. Any other name is accepted too: a dump may hold planes of its own.
pub const COMMON_PLANES: &[&str] = &[
    "IOService",
    "IODeviceTree",
    "IOPower",
    "IOUSB",
    "IOACPIPlane",
    "IOFireWire",
    "IOAudio",
    "IOHIDInterface",
    "IOTunnel",
    "IOPort",
];

/// `-p PLANE`: any string, with [`COMMON_PLANES`] as the completion candidates.
#[derive(Debug, Clone, Copy)]
pub struct PlaneParser;

impl TypedValueParser for PlaneParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(COMMON_PLANES.iter().map(PossibleValue::new)))
    }
}

/// Says on stderr which planes a one-plane dump leaves out (without `-p` only IOService is
/// written, as `ioreg` does, but a saved dump may hold more).
pub fn report_left_out(registry: &Registry, selection: &Selection) -> Result<()> {
    if selection.plane.is_some() || selection.all_planes {
        return Ok(());
    }
    let written = select::pick_plane(registry, None)?;
    let left: Vec<String> = registry
        .planes()
        .iter()
        .filter(|p| p.name() != written.name() && !p.is_empty())
        .map(|p| format!("{} ({} entries)", p.name(), p.len()))
        .collect();
    if !left.is_empty() {
        warn(&format!(
            "wrote plane {} only; left out {}: -p PLANE for another, --all-planes for all",
            written.name(),
            left.join(", ")
        ));
    }
    Ok(())
}

/// Settles `-c CLASS` as `ioreg -c` does (the class or a subclass, where the source knows the
/// chain); when no entry of the planes written has it, retries ignoring case and says so on
/// stderr (a deliberate departure from `ioreg`, which prints no properties). `false` (after
/// one stderr line) when no entry has the class at all: the caller exits with status 1.
pub fn settle_class(registry: &Registry, selection: &mut Selection) -> Result<bool> {
    let Some(class) = selection.class.clone() else {
        return Ok(true);
    };
    let planes = select::planes(registry, selection)?;
    let matches = |ignore_case: bool| -> Vec<String> {
        let probe = Selection {
            class: Some(class.clone()),
            class_ignore_case: ignore_case,
            ..Selection::default()
        };
        let mut names: Vec<String> = Vec::new();
        for &plane in &planes {
            let Ok(sel) = select::select_in(registry, plane, &probe, probe.options()) else {
                continue; // Too many appearances: the dump itself says so.
            };
            for (id, _) in registry.entries() {
                if plane.contains(id) && sel.is_match(id) {
                    let name = registry.class_name(id).unwrap_or("?").to_owned();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                    if !ignore_case || names.len() >= 4 {
                        return names;
                    }
                }
            }
        }
        names
    };
    if !matches(false).is_empty() {
        return Ok(true);
    }
    let plane_names: Vec<&str> = planes.iter().map(|p| p.name()).collect();
    let folded = matches(true);
    if folded.is_empty() {
        warn(&format!(
            "no entry in {} is of class {class} or a subclass",
            plane_names.join(", ")
        ));
        return Ok(false);
    }
    warn(&format!(
        "no entry is of class {class} as written; matching it ignoring case ({})",
        folded.join(", ")
    ));
    selection.class_ignore_case = true;
    Ok(true)
}

/// Says on stderr when `-c`/`-n`/`-k` together match no entry of the planes written (the
/// output then has no properties at all, or with `-r` nothing): not an error, as in `ioreg`.
pub fn report_no_match(registry: &Registry, selection: &Selection) -> Result<()> {
    if !selection.has_filter() {
        return Ok(());
    }
    let planes = select::planes(registry, selection)?;
    let any = planes.iter().any(|&plane| {
        select::select_in(registry, plane, selection, selection.options())
            .is_ok_and(|sel| sel.any_match())
    });
    if !any {
        let mut given = Vec::new();
        if let Some(c) = &selection.class {
            given.push(format!("-c {c}"));
        }
        if let Some(n) = &selection.name {
            given.push(format!("-n {n}"));
        }
        if let Some(k) = &selection.key {
            given.push(format!("-k {k}"));
        }
        let names: Vec<&str> = planes.iter().map(|p| p.name()).collect();
        warn(&format!(
            "no entry in {} matches {}",
            names.join(", "),
            given.join(" ")
        ));
    }
    Ok(())
}
