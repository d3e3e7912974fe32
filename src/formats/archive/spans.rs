//! An XML archive's property values left in the file ([`ValueMode::Defer`], issue 22's lazy
//! values), and decoded from there again.
//!
//! `ioreg -a` writes an entry's keys sorted, so its own fields (`IORegistryEntryName`,
//! `IOObjectClass`, …) lie among its properties, and `IORegistryEntryChildren` — its
//! children, maybe most of the file — in the middle. An entry's [`Span`] is therefore the
//! keys of its dict, from just after `<dict>` to just after `</dict>`, with a hole: the
//! children key and its value (an array, or one dict in the `-r -t` form). The reader
//! records it as it reads the keys ([`Extent`]) and parses every value with the same checks
//! and errors (the load report and limits are the same), but builds only the values of keys
//! it may interpret (`keys::interpreted`: synthetic and `ioscope:` keys); the others it reads
//! past (`Values::skip`), counting them. Where the values are needed after all — an entry
//! with `ioscope:annotations` (applied to its values, which may make raw values or misfit),
//! or one kept loaded (below) — the entry's keys are read again from the document when its
//! dict ends (`Builder::reread`).
//! [`decode_properties`] runs the reader's own key loop (`Builder::entry_keys`, with
//! `field`/`synthetic` filing the entry's own fields into a throwaway scratch and the same
//! key un-escaping) over the span without its hole, and applies the entry's `ioscope:`
//! annotations as the reader did: the same list a [`ValueMode::Keep`] read gives.
//!
//! The one state outside an entry that decides how its keys are filed is whether the archive
//! is ioscope's (`Builder::ours`: `ioscope:key:` escapes are undone only then), set by an
//! `ioscope:format` key wherever it comes: the span's flags carry it ([`OURS`]) as it was
//! when the entry's keys began; one of the entry's own keys that sets it is read again
//! with them. Entries kept loaded (their properties stay in the model, correct but not
//! deferred; read again whole, children and all, when values were read past), because one
//! span cannot describe them:
//! - an entry dict with two `IORegistryEntryChildren` keys (two holes);
//! - an entry whose children set `Builder::ours` (an `ioscope:format` key in a child: the
//!   keys after the hole were filed otherwise than those before it);
//! - an entry without properties (nothing to leave).

use super::events::Events;
use super::xml::Open;
use super::{Builder, Scratch, annotate_all};
use crate::formats::{ReadError, ValueMode};
use crate::registry::{Budget, EntryId, Limits, Properties, Span, Value};

/// [`Span::flags`]: the archive was known to be ioscope's when the entry's keys began.
pub(crate) const OURS: u32 = 1;

/// Where an entry dict's keys lie, as its reader (or the chunks that read its parts) saw
/// them: offsets, each with `Builder::ours` at that point.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub(super) struct Extent {
    /// Just after the `<dict>` tag.
    start: Option<(u64, bool)>,
    /// Where the first `IORegistryEntryChildren` key begins.
    hole_start: Option<(u64, bool)>,
    /// Just after the children's value.
    hole_end: Option<(u64, bool)>,
    /// Just after `</dict>`.
    end: Option<u64>,
    /// How many `IORegistryEntryChildren` keys the dict has.
    children_keys: u32,
}

impl Extent {
    pub(super) fn starts(&mut self, at: u64, ours: bool) {
        self.start = Some((at, ours));
    }

    /// An `IORegistryEntryChildren` key at `at`.
    pub(super) fn hole_starts(&mut self, at: u64, ours: bool) {
        self.children_keys = self.children_keys.saturating_add(1);
        self.hole_start.get_or_insert((at, ours));
    }

    /// The children's value ended just before `at`.
    pub(super) fn hole_ends(&mut self, at: u64, ours: bool) {
        self.hole_end = Some((at, ours));
    }

    pub(super) fn ends(&mut self, at: u64) {
        self.end = Some(at);
    }

    /// This part of a dict, then `tail`: what a later chunk read of the same dict.
    pub(super) fn then(self, tail: Extent) -> Extent {
        Extent {
            start: self.start.or(tail.start),
            hole_start: self.hole_start.or(tail.hole_start),
            hole_end: tail.hole_end.or(self.hole_end),
            end: tail.end.or(self.end),
            children_keys: self.children_keys.saturating_add(tail.children_keys),
        }
    }

    /// The span [`decode_properties`] reads the entry's properties from again, when one
    /// can (see the module's notes).
    pub(super) fn span(&self) -> Option<Span> {
        let (start, ours) = self.start?;
        let end = self.end?;
        let (hole_start, hole_end) = match (self.children_keys, self.hole_start, self.hole_end) {
            (0, None, None) => (end, end),
            (1, Some((from, before)), Some((to, after)))
                if before == after && start <= from && from <= to && to <= end =>
            {
                (from, to)
            }
            _ => return None,
        };
        (start <= end).then_some(Span {
            start,
            end,
            hole_start,
            hole_end,
            flags: if ours { OURS } else { 0 },
        })
    }
}

/// The properties of one entry dict left in the file by a reader given [`ValueMode::Defer`]:
/// `head` and `tail` hold the bytes of its span before and after its hole (see
/// [`Span`]), `flags` the span's flags. Read with the reader's own key loop, under `limits`
/// (the whole `decoded-bytes` limit: the entry passed it within the whole file).
pub(crate) fn decode_properties(
    head: &[u8],
    tail: &[u8],
    flags: u32,
    limits: &Limits,
) -> Result<Properties, ReadError> {
    let (mut properties, annotations) = keys_at(head, tail, flags, limits)?;
    annotate_all(&mut properties, annotations.as_deref());
    Ok(properties)
}

/// [`decode_properties`] without the annotations applied: the properties and the entry's
/// annotations.
fn keys_at(
    head: &[u8],
    tail: &[u8],
    flags: u32,
    limits: &Limits,
) -> Result<(Properties, Option<Vec<Value>>), ReadError> {
    let joined;
    let bytes: &[u8] = if tail.is_empty() {
        head
    } else {
        joined = [head, tail].concat();
        &joined
    };
    let budget = Budget::decoded(limits, usize::MAX);
    let events = Events::xml_inside(bytes, vec![Open::Dict], limits, &budget);
    let mut b = Builder::new(events, limits, ValueMode::Keep);
    b.ours = flags & OURS != 0;
    let mut s = Scratch::default();
    b.entry_keys(EntryId(0), 1, &mut s)?;
    if !b.registry.is_empty() {
        return Err(b
            .events
            .error("expected an entry's properties, found its children"));
    }
    b.document_end()?;
    Ok((b.props, s.annotations))
}

impl Builder<'_> {
    /// The properties of the entry dict whose keys lie at `at`, read again from the document
    /// with their values (the reader read past some: `Scratch::skipped`), annotations not
    /// applied. One span when there is one; otherwise the whole dict, its children with it
    /// (read into a throwaway registry: what makes it no span — a second children array,
    /// an `ioscope:format` key in a child — is read again as it was read).
    ///
    /// Whole dicts read again cost their children too: nested ones (a hostile archive) would
    /// read the document once per level. Past one document's worth of bytes the read stops
    /// with [`REREAD_EXHAUSTED`], and `read_xml` reads the document again keeping every value.
    pub(super) fn reread(&mut self, at: &Extent) -> Result<Properties, ReadError> {
        let lost = || self.events.error("an entry's keys cannot be read again");
        let bytes = self.events.xml_bytes().ok_or_else(lost)?;
        let part = |from: u64, to: u64| {
            usize::try_from(from)
                .ok()
                .zip(usize::try_from(to).ok())
                .and_then(|(from, to)| bytes.get(from..to))
                .ok_or_else(lost)
        };
        if let Some(span) = at.span() {
            let head = part(span.start, span.hole_start)?;
            let tail = part(span.hole_end, span.end)?;
            return Ok(keys_at(head, tail, span.flags, &self.limits)?.0);
        }
        let ((start, ours), end) = at.start.zip(at.end).ok_or_else(lost)?;
        let dict = part(start, end)?;
        self.reread_bytes = self.reread_bytes.saturating_add(dict.len());
        if self.reread_bytes > bytes.len() {
            return Err(ReadError::byte(start, REREAD_EXHAUSTED));
        }
        let budget = Budget::decoded(&self.limits, usize::MAX);
        let events = Events::xml_inside(dict, vec![Open::Dict], &self.limits, &budget);
        let mut b = Builder::new(events, &self.limits, ValueMode::Keep);
        b.ours = ours;
        b.entry_keys(EntryId(u32::MAX), 1, &mut Scratch::default())?;
        Ok(b.props)
    }
}

/// Why a read leaving values in the file stopped: it would read more again than the document
/// holds (see `Builder::reread`); never shown (the document is read again keeping them).
pub(super) const REREAD_EXHAUSTED: &str = "too many entry dicts to read again";

#[cfg(test)]
mod tests;
