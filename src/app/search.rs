//! Incremental search over names, classes, registry IDs, property keys and values.
//!
//! A query is terms (see [`query`]): plain text looks everywhere, `class:`, `name:`, `key:`,
//! `value:` and `id:` in one field, quotes ask for a whole field. Matches are ranked: an
//! exact, then prefix, then substring match of a name or class, then a match in a property,
//! then a fuzzy subsequence of the name or class (nucleo); within a rank, tree order. Typing
//! more characters only narrows: the new query is checked against the previous matches,
//! not the whole registry. [`Search::hit`] says what matched in one entry, for highlighting.

pub(crate) mod index;
pub(crate) mod query;

use index::KEY_SEP;
pub(crate) use index::{PropertyText, SearchIndex, VALUE_CAP};
use query::{Field, Query, Term};

use crate::registry::{EntryId, Plane};
use memchr::memmem::Finder;
use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

/// How well an entry matched; lower ranks come first.
pub(crate) mod rank {
    pub(crate) const EXACT: u8 = 0;
    pub(crate) const PREFIX: u8 = 1;
    pub(crate) const SUBSTRING: u8 = 2;
    pub(crate) const PROPERTY: u8 = 3;
    pub(crate) const FUZZY: u8 = 4;
}

/// A term made ready for matching.
struct Compiled {
    term: Term,
    finder: Finder<'static>,
    /// Plain text only: the fuzzy subsequence.
    atom: Option<Atom>,
    /// `id:` (or plain text that is a number): the registry IDs it can mean.
    ids: Vec<u64>,
}

impl Compiled {
    fn new(term: Term) -> Compiled {
        let finder = Finder::new(term.needle.as_bytes()).into_owned();
        let atom = (term.field == Field::Any && !term.exact).then(|| {
            Atom::new(
                &term.text,
                CaseMatching::Smart,
                Normalization::Smart,
                AtomKind::Fuzzy,
                false,
            )
        });
        let ids = parse_ids(&term.needle);
        Compiled {
            term,
            finder,
            atom,
            ids,
        }
    }

    fn found(&self, hay: &str) -> Option<usize> {
        self.finder.find(hay.as_bytes())
    }

    /// The rank of a name or class field.
    fn rank_field(&self, field_lc: &str) -> Option<u8> {
        let needle = &self.term.needle;
        if field_lc == needle {
            Some(rank::EXACT)
        } else if self.term.exact {
            None
        } else if field_lc.starts_with(needle.as_str()) {
            Some(rank::PREFIX)
        } else {
            self.found(field_lc).map(|_| rank::SUBSTRING)
        }
    }

    /// A label is `name@location`: a quoted name may leave the location out.
    fn rank_label(&self, label_lc: &str) -> Option<u8> {
        let name = label_lc.rsplit_once('@').map_or(label_lc, |(n, _)| n);
        if name == self.term.needle {
            return Some(rank::EXACT);
        }
        self.rank_field(label_lc)
    }

    /// The first byte of `text` (NUL-separated segments) where the term matches: anywhere,
    /// or (quoted) a whole segment, keys also split at nested keys.
    fn find_in(&self, text: &str, keys: bool) -> Option<usize> {
        if !self.term.exact {
            return self.found(text);
        }
        let mut at = 0;
        for seg in text.split(|c| c == '\0' || (keys && c == KEY_SEP)) {
            if seg == self.term.needle {
                return Some(at);
            }
            at += seg.len() + 1;
        }
        None
    }

    fn rank_id(&self, id: Option<u64>) -> Option<u8> {
        id.filter(|id| self.ids.contains(id)).map(|_| rank::EXACT)
    }

    /// The rank of `id` for this term, if it matches.
    fn rank(
        &self,
        index: &SearchIndex,
        id: EntryId,
        m: &mut Matcher,
        buf: &mut Vec<char>,
    ) -> Option<u8> {
        match self.term.field {
            Field::Name => self.rank_label(index.label_lc(id)),
            Field::Class => self.rank_field(index.class_lc(id)),
            Field::Id => self.rank_id(index.registry_id(id)),
            Field::Key => self.find_in(index.keys(id), true).map(|_| rank::PROPERTY),
            Field::Value => self
                .find_in(index.values(id), false)
                .map(|_| rank::PROPERTY),
            Field::Any => {
                let named = [
                    self.rank_label(index.label_lc(id)),
                    self.rank_field(index.class_lc(id)),
                    self.rank_id(index.registry_id(id)),
                ]
                .into_iter()
                .flatten()
                .min();
                if named.is_some() {
                    return named;
                }
                if self.find_in(index.keys(id), true).is_some()
                    || self.find_in(index.values(id), false).is_some()
                {
                    return Some(rank::PROPERTY);
                }
                let atom = self.atom.as_ref()?;
                index
                    .fuzzy_fields(id)
                    .into_iter()
                    .any(|f| atom.score(Utf32Str::new(f, buf), m).is_some())
                    .then_some(rank::FUZZY)
            }
        }
    }
}

/// The registry IDs a typed number can mean: `0x1f` hex; digits both decimal and hex.
fn parse_ids(needle: &str) -> Vec<u64> {
    let mut out = Vec::new();
    if let Some(hex) = needle.strip_prefix("0x") {
        out.extend(u64::from_str_radix(hex, 16).ok());
    } else {
        out.extend(needle.parse::<u64>().ok());
        out.extend(
            u64::from_str_radix(needle, 16)
                .ok()
                .filter(|_| !needle.is_empty()),
        );
    }
    out
}

/// What matched in one entry, for highlighting (byte ranges of the label and class as the
/// index holds them, which is as the tree shows them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Hit {
    pub label: Vec<Range<usize>>,
    pub class: Vec<Range<usize>>,
    /// The first property (file order) that matched a term.
    pub property: Option<usize>,
    /// Matched by its registry ID.
    pub id: bool,
}

/// The current query and its matches.
pub struct Search {
    pub query: String,
    /// The last accepted query: `/` opens an empty prompt, and ↑ there recalls this.
    pub previous: String,
    /// The query the matches were computed for.
    matched_query: String,
    matched: Query,
    /// Matching entries of the current plane, best rank first, then in tree order.
    matches: Vec<EntryId>,
    /// Per entry: its position in `matches` (`u32::MAX`: not a match).
    slot: Vec<u32>,
    /// Per entry (indexed like `slot`): its rank, kept to re-sort after narrowing.
    ranks: Vec<u8>,
    matcher: Matcher,
    buf: Vec<char>,
    /// A matcher for [`Search::hit`], which drawing calls through a shared reference.
    hit_matcher: RefCell<(Matcher, Vec<char>)>,
    /// Hits already worked out for the current matches: drawing asks for the same rows on
    /// every frame, and a hit may scan all of an entry's properties.
    hits: RefCell<HashMap<EntryId, Hit>>,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            query: String::new(),
            previous: String::new(),
            matched_query: String::new(),
            matched: Query::default(),
            matches: Vec::new(),
            slot: Vec::new(),
            ranks: Vec::new(),
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
            hit_matcher: RefCell::new((Matcher::new(Config::DEFAULT), Vec::new())),
            hits: RefCell::default(),
        }
    }
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("query", &self.query)
            .field("matches", &self.matches.len())
            .finish()
    }
}

const NONE: u32 = u32::MAX;

impl Search {
    pub fn matches(&self) -> &[EntryId] {
        &self.matches
    }

    pub(crate) fn is_match(&self, id: EntryId) -> bool {
        self.position(id).is_some()
    }

    /// The 0-based place of `id` among the matches (`7/21` shows 6 + 1).
    pub(crate) fn position(&self, id: EntryId) -> Option<usize> {
        match self.slot.get(id.index()) {
            Some(&s) if s != NONE => Some(s as usize),
            _ => None,
        }
    }

    pub fn is_active(&self) -> bool {
        !self.matched_query.is_empty()
    }

    /// Forgets the matches (new registry or plane).
    pub(crate) fn reset_matches(&mut self) {
        self.hits.get_mut().clear();
        self.matched_query.clear();
        self.matched = Query::default();
        self.matches.clear();
        self.slot.clear();
        self.ranks.clear();
    }

    /// Recomputes the matches for `self.query` among the entries of `plane`. When the
    /// query only grew, only the previous matches are re-checked.
    pub(crate) fn update(&mut self, index: &SearchIndex, plane: &Plane) {
        let text = self.query.trim().to_string();
        let query = Query::parse(&text);
        if query.is_empty() {
            self.reset_matches();
            return;
        }
        let terms: Vec<Compiled> = query.terms.iter().cloned().map(Compiled::new).collect();
        // Plain text that is a number also matches an ID exactly, and `0x1` does not hold
        // the matches of `0x1000002a1`: such a query is looked for in every entry.
        let numeric = terms
            .iter()
            .any(|t| t.term.field == Field::Any && !t.ids.is_empty());
        let narrowing = self.is_active() && !numeric && query.narrows(&self.matched);
        let (matcher, buf) = (&mut self.matcher, &mut self.buf);
        let mut check = |id: EntryId| -> Option<u8> {
            if id.index() >= index.len() {
                return None;
            }
            let mut best = u8::MAX;
            for t in &terms {
                best = best.min(t.rank(index, id, matcher, buf)?);
            }
            Some(best)
        };
        self.ranks.resize(index.len(), u8::MAX);
        let mut found: Vec<EntryId> = Vec::new();
        let candidates: Box<dyn Iterator<Item = EntryId>> = if narrowing {
            Box::new(std::mem::take(&mut self.matches).into_iter())
        } else {
            Box::new(
                (0..index.len() as u32)
                    .map(EntryId)
                    .filter(|&id| plane.contains(id)),
            )
        };
        for id in candidates {
            if let Some(r) = check(id) {
                self.ranks[id.index()] = r;
                found.push(id);
            }
        }
        let ranks = &self.ranks;
        found.sort_unstable_by_key(|&id| (ranks[id.index()], index.order(id)));
        self.slot.clear();
        self.slot.resize(index.len(), NONE);
        for (i, id) in found.iter().enumerate() {
            self.slot[id.index()] = i as u32;
        }
        self.matches = found;
        self.matched_query = text;
        self.matched = query;
        self.hits.get_mut().clear();
    }

    /// The match after (or before, `forward = false`) `current` in rank order, wrapping
    /// around; from an entry that is not a match, the first (or last).
    pub(crate) fn next_after(&self, current: Option<EntryId>, forward: bool) -> Option<EntryId> {
        let n = self.matches.len();
        if n == 0 {
            return None;
        }
        let next = match current.and_then(|c| self.position(c)) {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None if forward => 0,
            None => n - 1,
        };
        Some(self.matches[next])
    }

    /// The best match (for incremental search as you type).
    pub(crate) fn best(&self) -> Option<EntryId> {
        self.matches.first().copied()
    }

    /// The entries to keep in filter mode: matches and all their ancestors in `plane`.
    pub(crate) fn filter_set(&self, plane: &Plane, entries: usize) -> Vec<bool> {
        let mut keep = vec![false; entries];
        for &id in &self.matches {
            let mut cur = Some(id);
            while let Some(c) = cur {
                if keep[c.index()] {
                    break;
                }
                keep[c.index()] = true;
                cur = plane.parent(c);
            }
        }
        keep
    }

    /// What matched in `id`: the parts of its label and class, the first matching property.
    pub(crate) fn hit(&self, index: &SearchIndex, id: EntryId) -> Hit {
        /// Hits kept at most (a screen shows a few dozen).
        const KEPT: usize = 1024;
        if let Some(hit) = self.hits.borrow().get(&id) {
            return hit.clone();
        }
        let hit = self.work_out_hit(index, id);
        let mut hits = self.hits.borrow_mut();
        if hits.len() >= KEPT {
            hits.clear();
        }
        hits.insert(id, hit.clone());
        hit
    }

    fn work_out_hit(&self, index: &SearchIndex, id: EntryId) -> Hit {
        let mut hit = Hit::default();
        if !self.is_match(id) || id.index() >= index.len() {
            return hit;
        }
        for term in &self.matched.terms {
            let t = Compiled::new(term.clone());
            let n = term.needle.len();
            let whole = |field: &str| -> Vec<Range<usize>> {
                match t.rank_field(field) {
                    Some(rank::EXACT) if t.term.exact => std::iter::once(0..field.len()).collect(),
                    Some(_) => t.found(field).map(|at| at..at + n).into_iter().collect(),
                    None => Vec::new(),
                }
            };
            if matches!(term.field, Field::Any | Field::Name) {
                let label = index.label_lc(id);
                let mut ranges = whole(label);
                if ranges.is_empty() && t.term.exact && t.rank_label(label).is_some() {
                    ranges.push(0..label.rsplit_once('@').map_or(label.len(), |(n, _)| n.len()));
                }
                hit.label.extend(ranges);
            }
            if matches!(term.field, Field::Any | Field::Class) {
                hit.class.extend(whole(index.class_lc(id)));
            }
            if matches!(term.field, Field::Any | Field::Id)
                && t.rank_id(index.registry_id(id)).is_some()
            {
                hit.id = true;
            }
            if hit.property.is_none() && matches!(term.field, Field::Any | Field::Key) {
                hit.property = t
                    .find_in(index.keys(id), true)
                    .map(|at| index.property_at(id, true, at));
            }
            if hit.property.is_none() && matches!(term.field, Field::Any | Field::Value) {
                hit.property = t
                    .find_in(index.values(id), false)
                    .map(|at| index.property_at(id, false, at));
            }
            if term.field == Field::Any
                && hit.label.is_empty()
                && hit.class.is_empty()
                && hit.property.is_none()
                && !hit.id
            {
                if let Some(atom) = &t.atom {
                    let [label, class] = index.fuzzy_fields(id);
                    let (m, buf) = &mut *self.hit_matcher.borrow_mut();
                    hit.label = fuzzy_ranges(atom, label, m, buf);
                    if hit.label.is_empty() {
                        hit.class = fuzzy_ranges(atom, class, m, buf);
                    }
                }
            }
        }
        hit
    }
}

/// The characters of `text` a fuzzy atom matched, as byte ranges.
fn fuzzy_ranges(
    atom: &Atom,
    text: &str,
    m: &mut Matcher,
    buf: &mut Vec<char>,
) -> Vec<Range<usize>> {
    let mut indices = Vec::new();
    if atom
        .indices(Utf32Str::new(text, buf), m, &mut indices)
        .is_none()
    {
        return Vec::new();
    }
    indices.sort_unstable();
    indices.dedup();
    let starts: Vec<(usize, char)> = text.char_indices().collect();
    indices
        .iter()
        .filter_map(|&i| starts.get(i as usize))
        .map(|&(at, c)| at..at + c.len_utf8())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Entry, Registry, Text, Value};

    fn reg() -> Registry {
        let mut r = Registry::new();
        let root = r.add_entry(Entry::named("Root"));
        let xhc = r.add_entry(Entry {
            id: Some(0x1000002a1),
            ..Entry::named("XHC1")
        });
        let kb = r.add_entry(Entry {
            properties: vec![("USB Product Name".into(), Value::string("Magic Keyboard"))].into(),
            ..Entry::named("Keyboard")
        });
        let c = r.classes.intern("AppleUSBXHCI");
        r.entry_mut(xhc).class = Some(c);
        let p = r.plane_mut("IOService");
        p.add_root(root);
        p.add_child(root, xhc);
        p.add_child(xhc, kb);
        r
    }

    fn run(r: &Registry, s: &mut Search, q: &str) -> Vec<String> {
        let p = r.plane("IOService").unwrap();
        let index = SearchIndex::build(r, p);
        s.query = q.into();
        s.update(&index, p);
        s.matches()
            .iter()
            .map(|&id| r.entry(id).name.to_string())
            .collect()
    }

    #[test]
    fn matches_names_classes_ids_and_properties() {
        let r = reg();
        let mut s = Search::default();
        assert_eq!(run(&r, &mut s, "xhc"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "applusb"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "0x1000002a1"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "magic key"), ["Keyboard"]);
        assert_eq!(run(&r, &mut s, "zzz"), Vec::<String>::new());
        assert!(!s.is_active() || s.matches().is_empty());
    }

    /// Root → Keyboard (class IOUSBHostDevice) and entries named so that one query meets
    /// each rank: `usb` exact, `usbx` prefix, `myusb` substring, a property, a fuzzy one.
    fn ranked() -> Registry {
        let mut r = Registry::new();
        let root = r.add_entry(Entry::named("Root"));
        let p = r.plane_mut("IOService");
        p.add_root(root);
        let names = ["u-s-b", "has-prop", "myusb", "usbx", "usb"];
        for name in names {
            let props = if name == "has-prop" {
                let mut v: Vec<(Text, Value)> = (0..200)
                    .map(|i| {
                        (
                            format!("Filler{i}").as_str().into(),
                            Value::string(&"x".repeat(40)),
                        )
                    })
                    .collect();
                v.push(("BootSessionUUID".into(), Value::string("0BB91A50")));
                v.push((
                    "compatible".into(),
                    Value::Data(b"wlan-pcie,bcm4378\0"[..].into()),
                ));
                v
            } else {
                Vec::new()
            };
            let e = r.add_entry(Entry {
                properties: props.into(),
                ..Entry::named(name)
            });
            r.plane_mut("IOService").add_child(root, e);
        }
        r
    }

    #[test]
    fn exact_then_prefix_then_substring_then_property_then_fuzzy() {
        let r = ranked();
        let mut s = Search::default();
        let mut r2 = r.clone();
        let e = r2.entries().find(|(_, e)| e.name == "has-prop").unwrap().0;
        r2.entry_mut(e)
            .properties
            .push(("Kind".into(), Value::string("usb")));
        assert_eq!(
            run(&r2, &mut s, "usb"),
            ["usb", "usbx", "myusb", "has-prop", "u-s-b"]
        );
    }

    #[test]
    fn every_property_and_data_values_are_searched() {
        let r = ranked();
        let mut s = Search::default();
        // Past the first 2 KB of the entry's properties.
        assert_eq!(run(&r, &mut s, "bootsessionuuid"), ["has-prop"]);
        assert_eq!(run(&r, &mut s, "bcm4378"), ["has-prop"]);
        let p = r.plane("IOService").unwrap();
        let index = SearchIndex::build(&r, p);
        let id = s.matches()[0];
        assert_eq!(
            s.hit(&index, id).property,
            Some(201),
            "the data property is named"
        );
        run(&r, &mut s, "BootSession");
        assert_eq!(s.hit(&index, id).property, Some(200));
    }

    #[test]
    fn qualifiers_and_quotes() {
        let r = reg();
        let mut s = Search::default();
        assert_eq!(run(&r, &mut s, "class:xhci"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "name:xhci"), Vec::<String>::new());
        assert_eq!(run(&r, &mut s, "name:\"keyboard\""), ["Keyboard"]);
        assert_eq!(run(&r, &mut s, "name:\"keyb\""), Vec::<String>::new());
        assert_eq!(run(&r, &mut s, "key:product"), ["Keyboard"]);
        assert_eq!(run(&r, &mut s, "key:magic"), Vec::<String>::new());
        assert_eq!(run(&r, &mut s, "value:magic"), ["Keyboard"]);
        assert_eq!(run(&r, &mut s, "value:\"magic keyboard\""), ["Keyboard"]);
        assert_eq!(run(&r, &mut s, "id:0x1000002a1"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, &format!("id:{}", 0x1000002a1u64)), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "class:usb name:xhc"), ["XHC1"]);
        assert_eq!(run(&r, &mut s, "class:usb name:key"), Vec::<String>::new());
    }

    #[test]
    fn hits_name_the_part_that_matched() {
        let r = reg();
        let mut s = Search::default();
        let p = r.plane("IOService").unwrap();
        let index = SearchIndex::build(&r, p);
        run(&r, &mut s, "usbx");
        let xhc = s.matches()[0];
        assert_eq!(
            s.hit(&index, xhc).class,
            std::iter::once(5..9).collect::<Vec<_>>(),
            "AppleUSBXHCI"
        );
        run(&r, &mut s, "xhc");
        assert_eq!(
            s.hit(&index, xhc).label,
            std::iter::once(0..3).collect::<Vec<_>>()
        );
        run(&r, &mut s, "0x1000002a1");
        assert!(s.hit(&index, xhc).id);
        run(&r, &mut s, "aplx");
        let fuzzy = s.hit(&index, xhc);
        assert_eq!(fuzzy.class, [0..1, 1..2, 3..4, 8..9], "A p l X");
    }

    #[test]
    fn position_and_next_wrap_in_rank_order() {
        let r = ranked();
        let mut s = Search::default();
        run(&r, &mut s, "usb");
        let m = s.matches().to_vec();
        assert_eq!(m.len(), 4, "usb, usbx, myusb, u-s-b");
        assert_eq!(s.position(m[1]), Some(1));
        assert_eq!(s.next_after(Some(m[3]), true), Some(m[0]));
        assert_eq!(s.next_after(Some(m[0]), false), Some(m[3]));
        assert_eq!(s.next_after(None, true), Some(m[0]));
    }

    #[test]
    fn an_id_typed_a_character_at_a_time_is_found() {
        let r = reg();
        let mut s = Search::default();
        let id = "0x1000002a1";
        for end in 1..=id.len() {
            run(&r, &mut s, &id[..end]);
        }
        assert_eq!(run(&r, &mut s, id), ["XHC1"]);
        // An exact name ignores the location: `usb-drd0` is exact for `usb-drd0@2280000`.
        let mut r = reg();
        let xhc = r.entries().find(|(_, e)| e.name == "XHC1").unwrap().0;
        r.entry_mut(xhc).location = Some("14".into());
        let p = r.plane("IOService").unwrap();
        let index = SearchIndex::build(&r, p);
        let t = Compiled::new(Query::parse("xhc1").terms.remove(0));
        assert_eq!(t.rank_label(index.label_lc(xhc)), Some(rank::EXACT));
    }

    #[test]
    fn narrowing_keeps_only_previous_matches_and_filter_adds_ancestors() {
        let r = reg();
        let mut s = Search::default();
        assert_eq!(run(&r, &mut s, "k").len(), 1);
        assert_eq!(run(&r, &mut s, "keyb"), ["Keyboard"]);
        let keep = s.filter_set(r.plane("IOService").unwrap(), r.len());
        assert_eq!(keep, [true, true, true]);
    }
}
